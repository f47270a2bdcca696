"""The leadflow front end: text → AST (parser) → checked model (checker), with diagnostics."""
