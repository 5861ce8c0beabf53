"""embed: text → unit-length float32 vectors, with the embedded model or another one the user chose.

`model_spec` says which model (`ModelSpec`, recorded beside a store's vectors; `resolve` turns a
`--model` argument into one); `model_files` finds and verifies the embedded model's files;
`folder_model` describes and verifies a model folder; `embedder` loads a spec's model through
fastembed and embeds; `runtime` quiets and imports the model libraries. Imports run one way,
embedder → model_spec → folder_model → model_files, with `runtime` a leaf below them all (an
import-linter contract in pyproject.toml keeps it so). fastembed, onnxruntime and numpy are
imported only when a model is resolved or text is embedded.
"""
