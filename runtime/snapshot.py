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
    list, deque of tuples of plain values {"~lt": [[...], ...]}, {"~qt": [[...], ...], "m": maxlen}
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
from functools import partial
from itertools import chain
from typing import Any

from leadflow.runtime.snapshot_codegen import build

FORMAT = 1
_PLAIN = frozenset({type(None), bool, int, str})  # written as themselves
_NESTED = frozenset({list, dict})  # what JSON gives back that may hold tagged values
_UNSET = object()
_SEQUENCES = frozenset({"~t", "~q", "~s", "~z"})
_FLAT = _PLAIN | {float}  # a float is flat while finite (Codec.careful)
_TUPLES = frozenset({tuple})


def _stable(value: Any) -> tuple[str, str]:
    """A set member's place when saved: by type, then by its text (any mix of types sorts)."""
    return type(value).__name__, repr(value)


# One encoder for every snapshot (json.dumps with options builds a new one per call).
_TO_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                            check_circular=False).encode  # what _encode returns is a tree
# The C encoder and scanner json.dumps and json.loads use, called directly: a daily run
# writes and reads a snapshot for every lead it touches, and the Python layers around
# them (a new encoder per call, the whitespace checks) cost ~3 µs of each (~15%).
_C_ENCODE = json.encoder.c_make_encoder
_C_SCAN = json.scanner.c_make_scanner
if _C_ENCODE is not None and _C_SCAN is not None:
    _ENCODE_LIST = _C_ENCODE(None, None, json.encoder.encode_basestring, None, ":", ",",
                             False, False, False)  # no sort, no skipped keys, allow_nan=False

    def _list_to_json(items: list) -> str:
        """_TO_JSON(items) for a list, as its text (a ValueError for inf or nan)."""
        return "".join(_ENCODE_LIST(items, 0))

    _SCAN = _C_SCAN(json.JSONDecoder())

    def _from_json(text: str) -> Any:
        """json.loads(text) for a snapshot (written without whitespace)."""
        try:
            value, end = _SCAN(text, 0)
        except StopIteration as exc:
            raise ValueError(f"no JSON value at character {exc.value}") from None
        if end != len(text):
            raise ValueError(f"extra data at character {end}")
        return value
else:  # a Python without the json module's C parts
    _list_to_json, _from_json = _TO_JSON, json.loads


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
        self.allowed = {name: frozenset(f) - set(skip or ()) for name, f in self.fields.items()}
        self.written = {name: tuple(f for f in fields if f not in (skip or ()))
                        for name, fields in self.fields.items()}
        self.external = dict(external or {})
        self.token_of = {id(obj): token for token, obj in self.external.items()}
        self.skip = dict(skip or {})
        self._flat = _FLAT  # what lists may hold to skip per-item encoding (see careful)

    # ----------------------------------------------------------------- encode

    def dumps(self, value: Any) -> str:
        return self.careful(lambda: _TO_JSON(self._encode(value, {})))

    def careful(self, write: Callable[[], str]) -> str:
        """`write()`, taking floats as flat values (fast); if a float was inf or nan (json
        refuses it), again with every float tagged as needed."""
        try:
            return write()
        except ValueError:
            self._flat = _PLAIN
            try:
                return write()
            finally:
                self._flat = _FLAT

    def _encode(self, value: Any, seen: dict[int, int]) -> Any:
        kind = type(value)
        if kind in _PLAIN:
            return value
        if kind is float:
            return value if math.isfinite(value) else {"~f": repr(value)}
        token = self.token_of.get(id(value))
        if token is not None:
            return {"~x": token}
        encode = self._encode
        flat = self._flat
        if kind is list or kind is deque:
            # Fast shapes, left to the json module's C encoder: flat values, or tuples of
            # flat values (json writes a tuple as a list; "~lt"/"~qt" make them tuples again).
            # (issuperset over map(type, ...) checks every item without a Python loop)
            if flat.issuperset(map(type, value)):
                items = list(value)
            elif _TUPLES.issuperset(map(type, value)) and flat.issuperset(
                    map(type, chain.from_iterable(value))):
                return ({"~lt": list(value)} if kind is list
                        else {"~qt": list(value), "m": value.maxlen})
            else:
                items = [v if type(v) in _PLAIN else encode(v, seen) for v in value]
            return items if kind is list else {"~q": items, "m": value.maxlen}
        if kind is tuple:
            return {"~t": [v if type(v) in _PLAIN else encode(v, seen) for v in value]}
        if kind is dict:
            if all(type(k) is str and not k.startswith("~") for k in value):
                return {k: v if type(v) in _PLAIN else encode(v, seen) for k, v in value.items()}
            return {"~d": [[encode(k, seen), encode(v, seen)] for k, v in value.items()]}
        if kind is frozenset or kind is set:
            # In a stable order: a set's own order follows the process's string hash seed,
            # and the same state must be saved as the same text by any process.
            items = [v if type(v) in _PLAIN else encode(v, seen) for v in sorted(value, key=_stable)]
            return {"~z" if kind is frozenset else "~s": items}
        name = kind.__name__
        if self.classes.get(name) is not kind:
            raise TypeError(f"cannot save a {kind.__qualname__} in a lead's state")
        if id(value) in seen:
            return {"~r": seen[id(value)]}
        number = seen[id(value)] = len(seen)
        data = {}
        for field in self.written[name]:
            item = getattr(value, field, _UNSET)
            if item is not _UNSET:
                data[field] = item if type(item) in _PLAIN else encode(item, seen)
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
        decode = self._decode
        if type(data) is list:
            return [v if type(v) not in _NESTED else decode(v, seen) for v in data]
        if type(data) is not dict:
            return data
        if len(data) == 0 or not next(iter(data)).startswith("~"):
            return {k: v if type(v) not in _NESTED else decode(v, seen) for k, v in data.items()}
        tag = next(iter(data))
        items = data[tag]
        if tag in _SEQUENCES:
            values = [v if type(v) not in _NESTED else decode(v, seen) for v in items]
            if tag == "~t":
                return tuple(values)
            if tag == "~q":
                return deque(values, data["m"])
            return set(values) if tag == "~s" else frozenset(values)
        if tag == "~qt":
            return deque(map(tuple, items), data["m"])
        if tag == "~lt":
            return list(map(tuple, items))
        if tag == "~d":
            return {decode(k, seen): decode(v, seen) for k, v in items}
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
            allowed = self.allowed[items]
            for field, value in data["v"].items():
                if field not in allowed:
                    raise SnapshotError(f"unknown field {items}.{field}")
                object.__setattr__(obj, field,
                                   value if type(value) not in _NESTED else decode(value, seen))
            for field in self.fields[items]:
                if field in self.skip:
                    object.__setattr__(obj, field, self.skip[field]())
            return obj
        raise SnapshotError(f"unknown tag {tag!r}")


def _empty(encoded: Any) -> bool:
    """An encoded empty container (a deque keeps its maxlen): equal means identical."""
    if type(encoded) is list:
        return not encoded
    if type(encoded) is dict:
        return all(v == [] or k == "m" for k, v in encoded.items())
    return False


class SlotCodec:
    """Faster snapshots of a flat object with __slots__ (a compiled module's Lead).

    A snapshot is one JSON array: the values of the slots whose fresh value is a
    number, text, bool or None, in the class's slot order, then an object of the
    other slots (containers) whose value differs from a fresh object's. Reading
    sets the scalar slots in one go and starts the others from their fresh values;
    a fresh lead's containers are mostly empty, so a snapshot is small and quick
    to write and read back, which is what a daily run does for every lead it
    touches. Values go through `codec`, so the same rules hold: data only. The
    slot order is the compiled module's, which the state's ruleset fingerprint
    and engine version pin (runtime/incremental.py).
    """

    def __init__(self, cls: type, fresh: Any, codec: Codec):
        self.cls = cls
        self.codec = codec
        # (slot, encoded fresh value, its JSON or None when `==` alone tells it apart)
        self.layout: list[tuple[str, Any, str | None]] = []
        for name in _slots_of(cls):
            if name not in codec.skip:
                default = codec._encode(getattr(fresh, name), {})
                self.layout.append((name, default, None if _empty(default) else json.dumps(default)))
        # How loads() fills the container slots a snapshot leaves out: fresh ones.
        self.fresh_containers = [(n, self._maker(d)) for n, d, _ in self.layout
                                 if type(d) in _NESTED]
        self.skipped = [(name, make) for name, make in codec.skip.items()
                        if name in _slots_of(cls)]
        # The per-slot work below, as straight-line code (runtime/snapshot_codegen.py).
        self._fields, self._from_fields = build(
            cls, self.layout, fresh, self.skipped, dict(self.fresh_containers), codec._encode,
            codec._decode, _NESTED, codec)

    def _maker(self, encoded: Any) -> Callable[[], Any]:
        """A quick maker of a fresh container (a new one each time: they are mutated)."""
        if encoded == [] or encoded == {}:
            return type(encoded)
        if _empty(encoded) and len(encoded) == 2 and "~q" in encoded:
            return partial(deque, (), encoded["m"])
        if _empty(encoded) and len(encoded) == 1:
            tag = next(iter(encoded))
            if tag in ("~s", "~z", "~t"):
                return {"~s": set, "~z": frozenset, "~t": tuple}[tag]
        return lambda: self.codec._decode(encoded, {})

    def _dumps(self, obj: Any) -> str:
        return _list_to_json(self._fields(obj))

    def dumps(self, obj: Any) -> str:
        return self.codec.careful(lambda: self._dumps(obj))

    def loads(self, text: str) -> Any:
        try:
            data = _from_json(text)
        except (ValueError, RecursionError) as exc:
            raise SnapshotError(f"not a lead snapshot ({exc})") from None
        if type(data) is not list:
            raise SnapshotError("not a lead snapshot of this ruleset")
        try:
            return self._from_fields(data)
        except SnapshotError:
            raise
        except (ValueError, TypeError, KeyError, IndexError, AttributeError,
                RecursionError) as exc:
            raise SnapshotError(f"not a lead snapshot of this ruleset ({exc})") from None
