"""graph: link traversal over the memory graph, used by recall expansion and `show`."""
