"""Straight-line `dumps`/`loads` for a SlotCodec (runtime/snapshot.py), made once per class.

A daily `run --state` loads and saves every lead it touches; a loop over ~70
slots that looks up how to treat each one cost more than the rules' work on
those leads. SlotCodec knows each slot's fresh value up front, so it writes one
function with one short block per slot, decided in advance, and compiles it.

The generated text holds nothing but slot names (checked to be identifiers) and
references to values in its own namespace; a snapshot's text only ever reaches
it as the argument of `loads`, as parsed JSON, never as code. The output is the
same JSON object SlotCodec has always written: only what differs from fresh.
"""

from __future__ import annotations

import json
import keyword
import math
from collections import deque
from collections.abc import Callable, Iterable
from functools import partial
from itertools import chain
from typing import Any

# What a snapshot value is written as without encoding (see snapshot._PLAIN).
PLAIN_TYPES = (type(None), bool, int, str)
# What JSON reads a scalar slot's place in the snapshot's list as (`build`).
SCALAR_TYPES = (*PLAIN_TYPES, float)
_INF = math.inf


def _differs(encoded: Any, fresh: Any, fresh_json: str | None) -> bool:
    """An encoded value differs from the encoded fresh one (1 == 1.0 == True in Python,
    not in JSON text: a fresh value holding numbers is compared as text too)."""
    return encoded != fresh or (fresh_json is not None and json.dumps(encoded) != fresh_json)


def _scalar(fresh: Any) -> bool:
    """A slot whose fresh value is this is a scalar slot: always written, in the list."""
    return type(fresh) in PLAIN_TYPES or (type(fresh) is float and math.isfinite(fresh))


def _check(name: str) -> str:
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"not a slot name: {name!r}")
    return name


def build(cls: type, layout: Iterable[tuple[str, Any, str | None]], fresh: Any,
          skipped: Iterable[tuple[str, Callable[[], Any]]], makers: dict[str, Callable[[], Any]],
          encode: Callable[[Any, dict], Any], decode: Callable[[Any, dict], Any],
          nested: frozenset[type], codec: Any = None
          ) -> tuple[Callable[[Any], list], Callable[[list], Any]]:
    """(dumps(obj) → list to write as JSON, loads(parsed list) → obj) for `cls`.

    `layout` is SlotCodec's (slot, encoded fresh value, its JSON or None); `fresh` a
    fresh object; `makers` make the fresh value of slots whose fresh value is a container.

    The list holds the value of every slot whose fresh value is a number, text, bool or
    None (a scalar slot), in layout order, then one object: the other slots that differ
    from their fresh value, encoded, and any scalar slot holding something else (its
    place in the list is then null). Reading sets the scalar slots in one unpacking
    assignment, and fills the other slots from the object or fresh.

    With `codec` (the Codec whose `encode` and `decode` these are), a slot whose fresh
    value is an empty deque is written and read inline when it holds flat values or
    tuples of them (`_deque_blocks`), as `encode`/`decode` would: a lead's windows of
    recent events are such deques, and most of what a daily run saves and loads.
    """
    layout = [(_check(name), encoded_fresh, fresh_json)
              for name, encoded_fresh, fresh_json in layout]
    scalars = [name for name, _, _ in layout if _scalar(getattr(fresh, name))]
    others = [item for item in layout if item[0] not in scalars]
    space: dict[str, Any] = {"PLAIN": frozenset(PLAIN_TYPES), "NESTED": nested, "enc": encode,
                             "dec": decode, "differs": _differs,
                             "INF": _INF, "NEW": object.__new__, "CLS": cls, "MISSING": object(),
                             "DEQUE": deque, "SET": set, "TUPLE": frozenset({tuple}), "CHAIN": chain,
                             "C": codec, "SCALARS": tuple(scalars),
                             "SCALAR_JSON": frozenset(SCALAR_TYPES),
                             "OTHERS": frozenset(name for name, _, _ in others),
                             "unflat": _unflat}
    space["extras"] = partial(_extras, frozenset(scalars), space["OTHERS"], decode, nested)
    flat = "C._flat" if codec is not None else "PLAIN | {float}"
    save = ["def dumps(o):", f"    flat = {flat}", "    data = {}",
            f"    vals = [{', '.join(f'o.{name}' for name in scalars)}]",
            "    if not flat.issuperset(map(type, vals)):",
            "        unflat(vals, data, flat, SCALARS, enc)"]
    load = ["def loads(vals):", "    o = NEW(CLS)", "    data = vals.pop()",
            "    if type(data) is not dict or not SCALAR_JSON.issuperset(map(type, vals)):",
            "        raise ValueError('not a lead snapshot')"]
    if scalars:
        load.append(f"    {', '.join(f'o.{name}' for name in scalars)}, = vals")
    else:
        load += ["    if vals:", "        raise ValueError('not a lead snapshot')"]
    load += ["    if not data.keys() <= OTHERS:", "        extras(o, data)", "    get = data.get"]
    for i, (name, encoded_fresh, fresh_json) in enumerate(others):
        value = getattr(fresh, name)
        kind = type(value)
        space[f"T{i}"] = kind
        write = (f"data[{name!r}] = x if t in PLAIN or (t is float and -INF < x < INF) "
                 f"else enc(x, {{}})")
        save += [f"    x = o.{name}", "    t = type(x)"]
        if name in makers and not value:  # an empty container: left out while it is one
            same = f"t is T{i} and not x"
            if hasattr(value, "maxlen"):
                space[f"M{i}"] = value.maxlen
                same += f" and x.maxlen == M{i}"
            save += [f"    if not ({same}):"]
            fill = _empty_literal(value)
            if fill is None:
                fill = f"MAKE{i}()"
                space[f"MAKE{i}"] = makers[name]
            if kind is deque and codec is not None:
                dumps_block, loads_block = _deque_blocks(name, write, fill)
                save += dumps_block
                load += loads_block
                continue
            save.append(f"        {write}")
        else:  # anything else: encoded, and compared with the encoded fresh value
            space[f"E{i}"], space[f"J{i}"] = encoded_fresh, fresh_json
            save += ["    e = enc(x, {})", f"    if differs(e, E{i}, J{i}):",
                     f"        data[{name!r}] = e"]
            if name in makers:
                fill = f"MAKE{i}()"
                space[f"MAKE{i}"] = makers[name]
            else:
                space[f"D{i}"] = encoded_fresh
                fill = f"D{i}"
        load += [f"    x = get({name!r}, MISSING)",
                 (f"    o.{name} = {fill} if x is MISSING else "
                  f"(x if type(x) not in NESTED else dec(x, {{}}))")]
    for i, (name, make) in enumerate(skipped):
        space[f"SKIP{i}"] = make
        load.append(f"    o.{_check(name)} = SKIP{i}()")
    save.append("    vals.append(data)")
    save.append("    return vals")
    load.append("    return o")
    exec(compile("\n".join(save + [""] + load) + "\n", f"<snapshot codec of {cls.__name__}>",  # noqa: S102
                 "exec"), space)
    return space["dumps"], space["loads"]


def _unflat(vals: list, data: dict, flat: frozenset[type], names: tuple[str, ...],
            encode: Callable[[Any, dict], Any]) -> None:
    """Move the scalar slots that hold something else (a container; inf or nan, when
    Codec.careful writes again with `flat` without floats) into `data`."""
    for i, value in enumerate(vals):
        if type(value) not in flat and not (type(value) is float and -_INF < value < _INF):
            data[names[i]] = encode(value, {})
            vals[i] = None


def _extras(scalars: frozenset[str], others: frozenset[str], decode: Callable[[Any, dict], Any],
            nested: frozenset[type], obj: Any, data: dict) -> None:
    """Set the scalar slots a snapshot wrote in its object (see `build`); any name but
    theirs and the other slots' is an error."""
    for name, value in data.items():
        if name in scalars:
            setattr(obj, name, value if type(value) not in nested else decode(value, {}))
        elif name not in others:
            raise ValueError(f"unknown slot {name!r}")


def _empty_literal(value: Any) -> str | None:
    """Python that makes a new empty container equal to `value` without a call through a
    maker (`{}`, `[]`, `DEQUE((), 4)`...): most of a saved lead's containers are fresh, and
    loading it makes each anew. None for anything else."""
    kind = type(value)
    if value or kind not in (dict, list, set, deque):
        return None
    if kind is deque:
        maxlen = value.maxlen
        return "DEQUE()" if maxlen is None else f"DEQUE((), {int(maxlen)})"
    return {dict: "{}", list: "[]", set: "SET()"}[kind]


def _deque_blocks(name: str, write: str, fill: str) -> tuple[list[str], list[str]]:
    """The inline dumps and loads lines of a slot whose fresh value is an empty deque.

    The same JSON as Codec._encode writes ({"~q": items, "m": maxlen}, or "~qt" for
    tuples of flat values) and the same deque as Codec._decode makes of it; any
    other value (or a snapshot holding something else there) takes the general way.
    """
    dumps = [
        "        if t is DEQUE and flat.issuperset(map(type, x)):",
        f"            data[{name!r}] = {{'~q': list(x), 'm': x.maxlen}}",
        "        elif (t is DEQUE and TUPLE.issuperset(map(type, x))",
        "              and flat.issuperset(map(type, CHAIN.from_iterable(x)))):",
        f"            data[{name!r}] = {{'~qt': list(x), 'm': x.maxlen}}",
        "        else:",
        f"            {write}"]
    loads = [
        f"    x = get({name!r}, MISSING)",
        "    if x is MISSING:",
        f"        o.{name} = {fill}",
        "    else:",
        "        tag = next(iter(x), None) if type(x) is dict else None",
        "        if tag == '~q' and type(x['~q']) is list and NESTED.isdisjoint(map(type, x['~q'])):",
        f"            o.{name} = DEQUE(x['~q'], x['m'])",
        "        elif tag == '~qt':",
        f"            o.{name} = DEQUE(map(tuple, x['~qt']), x['m'])",
        "        else:",
        f"            o.{name} = x if type(x) not in NESTED else dec(x, {{}})"]
    return dumps, loads
