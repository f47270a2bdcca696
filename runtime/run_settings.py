"""Choices and defaults of `leadflow run` that its --help shows.

Kept apart from the modules that use them (runtime/outputs.py, runtime/staging.py)
because those import duckdb and pyarrow, and `leadflow run --help` must not.
"""

OUTPUT_FORMATS = ("csv", "parquet", "jsonl")
DEFAULT_MEMORY_LIMIT = "512MB"
