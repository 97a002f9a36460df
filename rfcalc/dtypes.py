"""Element types a spec may name, with their sizes in bytes (for activation and parameter memory)."""

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1, "float64": 8}
