"""embed: the embedded ONNX model through fastembed, offline only.

`model_files` finds and verifies the model's files; `embedder` turns text into normalised 384-d
float32 vectors. fastembed, onnxruntime and numpy are imported only when text is embedded.
"""
