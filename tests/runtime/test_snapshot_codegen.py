"""The straight-line SlotCodec functions (runtime/snapshot_codegen.py) on every kind of
fresh value: a slot comes back as it was; scalar slots are written in order, other
slots only when they differ from their fresh value."""

from __future__ import annotations

import json
import math
from collections import deque

import pytest

from leadflow.runtime.snapshot import Codec, SlotCodec, SnapshotError
from leadflow.runtime.snapshot_codegen import build


class Mixed:
    __slots__ = ("context", "count", "far", "flag", "name", "neg", "none", "out", "pair",
                 "pending", "recent", "score", "seen")

    def __init__(self):
        self.none, self.flag, self.count, self.name = None, False, 0, ""
        self.score, self.neg, self.far = 1.5, -0.0, math.inf
        self.recent, self.seen, self.pair = deque(maxlen=3), set(), ()
        self.pending = [(1, "x")]  # a fresh value that is not empty: compared encoded
        self.context, self.out = {}, []


CODEC = Codec([], skip={"out": list})
SLOTS = SlotCodec(Mixed, Mixed(), CODEC)
CHANGES = [("none", 0), ("none", math.nan), ("none", (1, "x")), ("name", ["a", {"k": 1}]),
           ("count", deque([1], maxlen=2)), ("flag", 0), ("count", False), ("count", 1.0),
           ("name", None), ("score", 1), ("score", math.inf), ("neg", 0.0), ("neg", -1),
           ("far", -math.inf), ("far", 2.0), ("recent", deque([1, (2, 3)], maxlen=3)),
           ("recent", deque(maxlen=2)), ("recent", []), ("seen", {("a", 1)}),
           ("seen", frozenset()), ("pair", (1,)), ("pending", []), ("pending", [(1, "y")]),
           ("pending", [[1, "x"]]), ("context", {"k": [1.0]}), ("context", {2: None})]


def encoded(value):
    return json.dumps(CODEC._encode(value, {}), allow_nan=True, sort_keys=True)


# The slots whose fresh value is a number, text, bool or None, in slot order (`far` is
# infinite, which JSON cannot write as a number: like a container, it is written when
# it changes, in the object that ends the list).
SCALARS = ("count", "flag", "name", "neg", "none", "score")
FRESH = '[0,false,"",-0.0,null,1.5,{}]'


def test_a_fresh_object_is_its_scalars_and_no_containers_and_reads_back_fresh():
    assert SLOTS.dumps(Mixed()) == FRESH
    back = SLOTS.loads(FRESH)
    for name in Mixed.__slots__:
        assert encoded(getattr(back, name)) == encoded(getattr(Mixed(), name)), name
    assert back.recent.maxlen == 3 and back.pending is not SLOTS.loads(FRESH).pending


@pytest.mark.parametrize("name, value", CHANGES, ids=[f"{n}={v!r}" for n, v in CHANGES])
def test_a_changed_slot_is_written_and_comes_back_the_same(name, value):
    lead = Mixed()
    setattr(lead, name, value)
    lead.out.append("emitted")
    text = SLOTS.dumps(lead)
    *scalars, others = json.loads(text)
    assert len(scalars) == len(SCALARS)
    fresh = json.loads(FRESH)
    changed = {n for n, v, f in zip(SCALARS, scalars, fresh) if json.dumps(v) != json.dumps(f)}
    changed |= {n for n, v in others.items() if v != fresh[-1].get(n)}
    assert changed == {name}
    got = getattr(SLOTS.loads(text), name)
    assert type(got) is type(value) and encoded(got) == encoded(value)
    assert SLOTS.loads(text).out == []


def test_a_slot_back_at_its_fresh_value_is_left_out():
    lead = Mixed()
    lead.recent.append(1)
    lead.recent.clear()
    lead.pending = [(1, "x")]
    lead.score = 3.0 / 2
    assert SLOTS.dumps(lead) == FRESH


def snapshot(others: str) -> str:
    """A snapshot of fresh scalars with these other slots (a JSON object's text)."""
    return FRESH.replace("{}", others)


@pytest.mark.parametrize("text", [snapshot('{"recent": {"~o": "Popen", "i": 0, "v": {}}}'),
                                  snapshot('{"recent": {"~q": [], "m": "x"}}'),
                                  snapshot('{"seen": {"~s": 5}}'), snapshot('{"out": []}'),
                                  snapshot('{"__class__": 1}'), snapshot("[]"),
                                  FRESH.replace("[0,", "[[0],"), FRESH.replace("[0,", "["),
                                  FRESH.replace("[0,", "[0,0,"), "{}", "[]"])
def test_what_the_generated_loads_cannot_read_is_a_snapshot_error(text):
    with pytest.raises(SnapshotError):
        SLOTS.loads(text)


def test_a_slot_name_that_is_not_an_identifier_is_never_written_into_code():
    with pytest.raises(ValueError, match="not a slot name"):
        build(Mixed, [("x = 1; import os", 0, None)], Mixed(), [], {}, CODEC._encode,
              CODEC._decode, frozenset({list, dict}))


DEQUES = [deque([1, 2], maxlen=3), deque(["a", None, True], maxlen=3), deque([1.5, 2], maxlen=3),
          deque([(1, "x"), (2, 3.5)], maxlen=3), deque([(1, math.inf)], maxlen=3),
          deque([math.nan], maxlen=3), deque([[1], {"k": 2}], maxlen=3), deque([(1, (2,))], maxlen=3),
          deque([1, (2, 3)], maxlen=3), deque(maxlen=5), deque([1]), deque([frozenset({1})], maxlen=3)]


@pytest.mark.parametrize("value", DEQUES, ids=[repr(v) for v in DEQUES])
def test_a_deque_slot_is_written_as_the_codec_writes_it_and_read_back(value):
    """Flat items, tuples of them, floats that need tags, nested values: as Codec writes them."""
    lead = Mixed()
    lead.recent = value
    text = SLOTS.dumps(lead)
    assert json.loads(text)[-1]["recent"] == json.loads(CODEC.careful(lambda: json.dumps(
        CODEC._encode(value, {}), allow_nan=False)))
    got = SLOTS.loads(text).recent
    assert type(got) is deque and got.maxlen == value.maxlen
    assert encoded(got) == encoded(value)
    assert [type(v) for v in got] == [type(v) for v in value]


@pytest.mark.parametrize("others", ['{"recent": {"~q": [1, {"~t": [2]}], "m": 3}}',
                                    '{"recent": {"~qt": [[1, "a"]], "m": null}}',
                                    '{"recent": {"m": 3, "~q": [1]}}', '{"recent": {}}'])
def test_a_deque_slot_reads_what_the_general_decoder_reads(others):
    got = SLOTS.loads(snapshot(others)).recent
    assert encoded(got) == encoded(CODEC._decode(json.loads(others)["recent"], {}))


@pytest.mark.parametrize("others", ['{"recent": {"~q": [1], "m": "x"}}',
                                    '{"recent": {"~qt": [1], "m": 3}}', '{"recent": {"~q": [1]}}'])
def test_a_malformed_deque_slot_is_a_snapshot_error(others):
    with pytest.raises(SnapshotError):
        SLOTS.loads(snapshot(others))
