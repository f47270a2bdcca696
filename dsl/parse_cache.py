"""Rule files parsed before, kept between processes: a daily `leadflow run` of an
unchanged file loads its syntax tree instead of parsing it (and importing the parser).

A file that parsed without errors has its tree (dsl/ast.py's nodes: text, numbers
and spans) pickled into leadflow's private cache directory (dsl/private_cache.py),
sealed with the sha256 of the pickle and keyed by the sha256 of the front end's own
sources (parser, grammar, checker), the file's path and its text. A tree is read
back only from a sealed file that only this user can have written, exactly as it
was written; anything else is parsed again (and the file rewritten). The tree is
then checked as any other: the checker, its diagnostics and the model are the same.
"""

from __future__ import annotations

import hashlib
import pickle
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

from leadflow.dsl.private_cache import cache_dir, digest, read_sealed, write_sealed

if TYPE_CHECKING:
    from leadflow.dsl import ast

HEADER = b"leadflow syntax tree sha256="


@lru_cache(maxsize=1)
def front_end_version() -> str:
    """A digest of the parser, the grammar and the checker: what makes a model of a text.

    Keys the parsed trees here, and with the compiler's version the module cache
    (compiler/load.py), which finds a rule file's module by its text."""
    sha = hashlib.sha256()
    for package, suffix in (("leadflow.dsl", ".py"), ("leadflow.grammars", ".lark")):
        for entry in sorted(resources.files(package).iterdir(), key=lambda e: e.name):
            if entry.name.endswith(suffix):
                sha.update(entry.name.encode())
                sha.update(entry.read_bytes())
    return sha.hexdigest()[:16]


def parse(text: str, path: str = "<input>") -> ast.Module:
    """dsl/parser.py's `parse(text, path)`, from the cache when this text was parsed here before."""
    from leadflow.dsl import ast

    file = cache_dir() / f"syntax-{digest(front_end_version(), path, text)[:40]}.pickle"
    body = read_sealed(file, HEADER)
    if body is not None:
        try:
            module = pickle.loads(body)
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError,
                KeyError, TypeError, ValueError, RecursionError):
            module = None  # written by another Python or leadflow: parse again
        if isinstance(module, ast.Module):
            return module
    from leadflow.dsl.parser import parse as parse_text

    module = parse_text(text, path)  # a LeadflowError for a file with errors: nothing kept
    write_sealed(file, HEADER, pickle.dumps(module, protocol=pickle.HIGHEST_PROTOCOL))
    return module
