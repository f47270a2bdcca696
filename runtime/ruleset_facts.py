"""What a run needs to know of a ruleset besides its compiled module, as plain data.

The output files need three things the compiled module does not say: which
action arguments hold times (written as ISO-8601, not as microseconds), which
lead attributes rules set (their columns in leads.csv), and the words of each
pending timer that come from the rule file (an `every` rule's actions, the
steps after a flow's wait). They are read off the checked model; a ruleset
loaded from the cache without its model (compiler/cached_engine.py) carries
them as this data, so a run never needs the model at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from leadflow.runtime.pending import Scheduled, TimerWords, describer

if TYPE_CHECKING:
    from leadflow.dsl.model import Model


@dataclass(frozen=True)
class RulesetFacts:
    time_args: frozenset[tuple[str, str, str]]  # (rule id or flow, target, argument)
    set_attributes: tuple[tuple[str, str], ...]  # (name, type) of the attributes rules set
    timer_words: TimerWords

    @classmethod
    def of(cls, model: Model) -> RulesetFacts:
        from leadflow.runtime.action_args import set_attributes, time_args
        from leadflow.runtime.pending import timer_words

        return cls(time_args(model), set_attributes(model), timer_words(model))

    def describer(self) -> Callable[[Scheduled], str]:
        """pending.csv's `what` of a lead's timer."""
        return describer(self.timer_words)

    def to_json(self) -> str:
        return json.dumps({"time_args": sorted(self.time_args),
                           "set_attributes": [list(pair) for pair in self.set_attributes],
                           "timer_words": [[*key, text] for key, text in self.timer_words.items()]},
                          ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> RulesetFacts:
        """The facts `to_json` wrote (ValueError, KeyError or TypeError for anything else)."""
        data = json.loads(text)
        words = {}
        for kind, source, detail, words_text in data["timer_words"]:
            words[(str(kind), str(source), None if detail is None else int(detail))] = str(words_text)
        return cls(frozenset((str(a), str(b), str(c)) for a, b, c in data["time_args"]),
                   tuple((str(name), str(kind)) for name, kind in data["set_attributes"]),
                   words)


def facts_of(engine: Any) -> RulesetFacts:
    """The engine's own facts (a ruleset from the cache), else the ones its model gives;
    none at all for an engine with neither (one wrapped for analysis, which lists no
    pending timers to describe)."""
    facts = getattr(engine, "facts", None)
    if facts is not None:
        return facts
    model = getattr(engine, "model", None)
    return RulesetFacts.of(model) if model is not None else RulesetFacts(frozenset(), (), {})
