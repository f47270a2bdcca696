"""Lead snapshots (runtime/snapshot.py): exact round trips, and nothing but data comes back."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections import deque
from dataclasses import dataclass, field

import pytest

from leadflow.runtime.snapshot import Codec, SlotCodec, SnapshotError


@dataclass(eq=False)
class Node:
    value: object = None
    other: object = None
    cache: dict = field(default_factory=dict)


STEPS = ("step-1", "step-2")
CODEC = Codec([Node], external={"flow": STEPS}, skip={"cache": dict})


def round_trip(value):
    return CODEC.loads(CODEC.dumps(value))


@pytest.mark.parametrize("value", [
    None, True, False, 0, -7, 2**70, "texto ñ", 1.5, [1, [2, (3, 4)]], (1, "a"), {"a": 1},
    {1: "int key", (2, 3): "tuple key"}, {"~not a tag": 1}, {1, 2}, frozenset({"x"}),
    deque([1, 2], maxlen=3), deque([]), {"nested": [{"~t": "looks like a tag"}]},
    [(1, 2.5), (3, "x")], deque([(1, 2.0), (2, None)], maxlen=2), [(1, (2, 3))], [(1, [2])],
    deque([(1, math.inf)]), [1.5, -math.inf], [(True, 1), (1, True)],
])
def test_values_come_back_equal_and_of_the_same_type(value):
    got = round_trip(value)
    assert got == value and type(got) is type(value)
    if isinstance(value, deque):
        assert got.maxlen == value.maxlen


@pytest.mark.parametrize("number", [math.inf, -math.inf, -0.0, 1e308, 5e-324])
def test_floats_come_back_exactly(number):
    got = round_trip(number)
    assert math.copysign(1, got) == math.copysign(1, number) and got == number


def test_nan_comes_back_as_nan():
    assert math.isnan(round_trip(math.nan))


def test_objects_keep_their_identity_and_cycles():
    shared = Node("shared")
    a = Node(shared, None)
    a.other = a  # a cycle, like a flow run and its wait timer
    got = round_trip([a, shared])
    assert got[0].value is got[1] and got[0].other is got[0]


def test_external_parts_are_the_same_objects_and_skipped_fields_start_empty():
    node = Node(STEPS, None, {"a cache": 1})
    got = round_trip(node)
    assert got.value is STEPS and got.cache == {}


@pytest.mark.parametrize("text, why", [
    ('{"~o": "Popen", "i": 0, "v": {}}', "unknown object kind"),
    ('{"~o": "Node", "i": 0, "v": {"__class__": 1}}', "unknown field"),
    ('{"~o": "Node", "i": 0, "v": {"cache": {}}}', "unknown field"),
    ('{"~r": 3}', "before it is defined"),
    ('{"~x": "os.system"}', "unknown ruleset part"),
    ('{"~f": "1e999"}', "bad number"),
    ('{"~eval": "1"}', "unknown tag"),
    ("not json", "not a lead snapshot"),
])
def test_anything_but_our_own_data_is_refused(text, why):
    with pytest.raises(SnapshotError, match=why):
        CODEC.loads(text)


def test_only_named_classes_can_be_saved():
    with pytest.raises(TypeError, match="cannot save"):
        CODEC.dumps(object())


class Flat:
    __slots__ = ("a", "b", "c", "d", "out")

    def __init__(self):
        self.a, self.b, self.c, self.d, self.out = 0, 0.0, deque(maxlen=2), {}, []


SLOTS = SlotCodec(Flat, Flat(), Codec([], skip={"out": list}))


def test_a_slot_codec_writes_scalars_in_order_and_only_the_containers_that_differ():
    lead = Flat()
    lead.a = 5
    lead.out.append("emitted")
    text = SLOTS.dumps(lead)
    assert json.loads(text) == [5, 0.0, {}]
    got = SLOTS.loads(text)
    assert (got.a, got.b, list(got.c), got.c.maxlen, got.d, got.out) == (5, 0.0, [], 2, {}, [])


@pytest.mark.parametrize("name, value", [("a", False), ("a", 0.0), ("b", -0.0), ("b", 0),
                                         ("c", deque([True], maxlen=2)), ("d", {"k": 1.0})])
def test_a_slot_codec_tells_apart_what_python_calls_equal(name, value):
    lead = Flat()
    setattr(lead, name, value)
    got = getattr(SLOTS.loads(SLOTS.dumps(lead)), name)
    assert json.dumps(CODEC._encode(got, {})) == json.dumps(CODEC._encode(value, {}))
    assert type(got) is type(value)


@pytest.mark.parametrize("text", ['[0, 0.0, {"zz": 1}]', "[]", "[0, 0.0]", "[0, {}]", "{",
                                  '{"a": 1}', '[0, 0.0, 1]', '[[1], 0.0, {}]', '[{}, 0.0, {}]',
                                  '[0, 0.0, {"c": {"~o": "Popen", "i": 0, "v": {}}}]'])
def test_a_slot_codec_refuses_what_it_did_not_write(text):
    with pytest.raises(SnapshotError):
        SLOTS.loads(text)


SAVE_A_SET = """
from leadflow.runtime.snapshot import Codec
print(Codec([]).dumps({"tags": {"vestir", "deporte", "gran_importe", 3, 2.5, "a", "b"},
                     "seen": frozenset({"x", "y", "z", "w"})}))
"""


def test_a_set_is_saved_as_the_same_text_whatever_the_hash_seed():
    """Sets iterate in an order that follows the string hash seed of each process; the
    state a run saves must not (a killed run's rerun, and a split run, compare states)."""
    texts = {subprocess.run([sys.executable, "-c", SAVE_A_SET], capture_output=True, text=True,
                            check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
             for seed in ("1", "2", "3", "4", "5")}
    assert len(texts) == 1 and "vestir" in texts.pop()
