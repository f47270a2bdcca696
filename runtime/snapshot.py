"""A lead's engine state as JSON text, and back: how `run --state` saves leads between runs.

The saved form is data, never code: JSON whose only non-JSON values are a few
tagged containers, and objects of classes the engine names in advance (its
own state classes). Decoding a snapshot written by someone else can therefore
build nothing but those objects and plain values; it never imports, calls or
evaluates anything from the text (unlike pickle).

Encoding rules (a key beginning with `~` marks a tagged value):

    None, bool, int, str, finite float  as themselves
    inf, -inf, nan                      {"~f": "inf"}
    list                                [ ... ]
    tuple                               {"~t": [ ... ]}
    set, frozenset                      {"~s": [ ... ]}, {"~z": [ ... ]}
    deque                               {"~q": [ ... ], "m": maxlen}
    dict with str keys                  {"key": value, ...}; other keys: {"~d": [[k, v], ...]}
    object of a named class             {"~o": "Name", "i": 3, "v": {"field": value}}
    the same object again               {"~r": 3}
    an external object (model data)     {"~x": "token"}

Objects keep their identity (a timer that is both in the heap and in a flow
run is one object after decoding), which the engines rely on to cancel
timers. External objects are parts of the ruleset an engine's state points at
(a flow's step list); the engine names them with stable tokens.
"""

from __future__ import annotations

import json
import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields, is_dataclass
from typing import Any

FORMAT = 1


class SnapshotError(ValueError):
    """A snapshot that this engine cannot read (another ruleset, a damaged or foreign file)."""


def _slots_of(cls: type) -> tuple[str, ...]:
    """The attribute names of a class: its dataclass fields, or its __slots__ (through the MRO)."""
    if is_dataclass(cls):
        return tuple(f.name for f in fields(cls))
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        slots = klass.__dict__.get("__slots__", ())
        names += [slots] if isinstance(slots, str) else list(slots)
    return tuple(n for n in names if n not in ("__weakref__", "__dict__"))


class Codec:
    """Encodes and decodes values whose objects belong to `classes`.

    `external` maps tokens to objects that are never copied (parts of the
    ruleset); `skip` names fields written as their empty value (a cache, or
    outputs already emitted) that decoding restores from `empty`.
    """

    def __init__(self, classes: Iterable[type], external: Mapping[str, Any] | None = None,
                 skip: Mapping[str, Callable[[], Any]] | None = None):
        self.classes = {cls.__name__: cls for cls in classes}
        self.fields = {name: _slots_of(cls) for name, cls in self.classes.items()}
        self.external = dict(external or {})
        self.token_of = {id(obj): token for token, obj in self.external.items()}
        self.skip = dict(skip or {})

    # ----------------------------------------------------------------- encode

    def dumps(self, value: Any) -> str:
        return json.dumps(self._encode(value, {}), ensure_ascii=False, separators=(",", ":"),
                          allow_nan=False)

    def _encode(self, value: Any, seen: dict[int, int]) -> Any:
        if value is None or isinstance(value, (bool, int, str)):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else {"~f": repr(value)}
        token = self.token_of.get(id(value))
        if token is not None:
            return {"~x": token}
        encode = self._encode
        if isinstance(value, list):
            return [encode(v, seen) for v in value]
        if isinstance(value, tuple):
            return {"~t": [encode(v, seen) for v in value]}
        if isinstance(value, dict):
            if all(isinstance(k, str) and not k.startswith("~") for k in value):
                return {k: encode(v, seen) for k, v in value.items()}
            return {"~d": [[encode(k, seen), encode(v, seen)] for k, v in value.items()]}
        if isinstance(value, deque):
            return {"~q": [encode(v, seen) for v in value], "m": value.maxlen}
        if isinstance(value, frozenset):
            return {"~z": [encode(v, seen) for v in value]}
        if isinstance(value, set):
            return {"~s": [encode(v, seen) for v in value]}
        name = type(value).__name__
        if self.classes.get(name) is not type(value):
            raise TypeError(f"cannot save a {type(value).__qualname__} in a lead's state")
        if id(value) in seen:
            return {"~r": seen[id(value)]}
        number = seen[id(value)] = len(seen)
        data = {}
        for field in self.fields[name]:
            if field in self.skip:
                continue
            if hasattr(value, field):
                data[field] = encode(getattr(value, field), seen)
        return {"~o": name, "i": number, "v": data}

    # ----------------------------------------------------------------- decode

    def loads(self, text: str) -> Any:
        try:
            return self._decode(json.loads(text), {})
        except SnapshotError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            raise SnapshotError(f"not a lead snapshot of this ruleset ({exc})") from None

    def _decode(self, data: Any, seen: dict[int, Any]) -> Any:
        if not isinstance(data, (list, dict)):
            return data
        decode = self._decode
        if isinstance(data, list):
            return [decode(v, seen) for v in data]
        if len(data) == 0 or not next(iter(data)).startswith("~"):
            return {k: decode(v, seen) for k, v in data.items()}
        tag = next(iter(data))
        items = data[tag]
        if tag == "~t":
            return tuple(decode(v, seen) for v in items)
        if tag == "~d":
            return {decode(k, seen): decode(v, seen) for k, v in items}
        if tag == "~q":
            return deque((decode(v, seen) for v in items), data["m"])
        if tag == "~s":
            return {decode(v, seen) for v in items}
        if tag == "~z":
            return frozenset(decode(v, seen) for v in items)
        if tag == "~f":
            if items not in ("inf", "-inf", "nan"):
                raise SnapshotError(f"bad number {items!r}")
            return float(items)
        if tag == "~x":
            if items not in self.external:
                raise SnapshotError(f"unknown ruleset part {items!r}")
            return self.external[items]
        if tag == "~r":
            if items not in seen:
                raise SnapshotError(f"reference to object {items} before it is defined")
            return seen[items]
        if tag == "~o":
            cls = self.classes.get(items)
            if cls is None:
                raise SnapshotError(f"unknown object kind {items!r}")
            obj = object.__new__(cls)
            seen[data["i"]] = obj
            allowed = self.fields[items]
            for field, value in data["v"].items():
                if field not in allowed or field in self.skip:
                    raise SnapshotError(f"unknown field {items}.{field}")
                object.__setattr__(obj, field, decode(value, seen))
            for field in allowed:
                if field in self.skip:
                    object.__setattr__(obj, field, self.skip[field]())
            return obj
        raise SnapshotError(f"unknown tag {tag!r}")
