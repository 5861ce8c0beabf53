"""Arms mnemo's test switches (`MNEMO_TESTONLY_*`, read in `mnemo_cli/testonly.py`) by existing.

mnemo honours those variables only in a process that can import this module, and only the test
tree has it: `tests/conftest.py` puts this folder on `sys.path` and on `PYTHONPATH` for the
processes the tests start. An installed mnemo (a venv, the one-file binary) never finds it, so a
switch set there is ignored with a warning. There is nothing to import from here.
"""
