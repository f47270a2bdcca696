"""`leadflow fit` output: the fitted weights and held-out AUCs for people, the unified diff
for `git apply`."""

from __future__ import annotations

import difflib
import os

from leadflow.runtime.backtest_report import duration_text, table
from leadflow.runtime.fit import FitResult
from leadflow.runtime.outputs import format_score
from leadflow.semantics.timemath import format_local


def _signed(value: float) -> str:
    text = format_score(value)
    return text if text.startswith("-") or text == "0" else "+" + text


def _auc(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def render_summary(result: FitResult, ruleset: str, tz: str, seed: int) -> str:
    setup = result.setup
    first, last = (format_local(c, tz)[:10] for c in (setup.cutoffs[0], setup.cutoffs[-1]))
    lines = [(f"Fit of {result.score} in {ruleset}: {len(setup.cutoffs)} cutoffs from {first} "
              f"to {last}, horizon {duration_text(setup.horizon)}"),
             (f"Fitted on {result.train_samples} samples ({result.train_converted} converted); "
              f"held out {result.holdout_leads} leads: {result.holdout_samples} samples "
              f"({result.holdout_converted} converted), split by lead with seed {seed}"), ""]
    rows = [["rule", "fires", "weight", "points now", "suggested"]]
    for s in result.suggestions:
        rows.append([s.rule.id, f"{s.fires:.2f}", f"{s.weight:+.3f}", _signed(s.rule.points),
                     _signed(s.points)])
    lines += table(rows, {1, 2, 3, 4})
    lines.append(f"  (fires: mean firings per sample before the cutoff; "
                 f"points = weight x {result.scale:.1f}, rounded)")
    if result.not_fitted:
        lines.append("Not fitted: " + ", ".join(f"{rule} ({why})" for rule, why in result.not_fitted))
    lines += ["", (f"Held-out ROC AUC of {result.score}: current points "
                   f"{_auc(result.auc_old)}, suggested points {_auc(result.auc_new)}"),
              (f"  (the fitted weights themselves, before rounding and without the ruleset's "
               f"bounds and decay: {_auc(result.auc_model)})")]
    if result.bounded and any(s.points < 0 for s in result.suggestions):
        lines.append(f"  note: {result.score} has a min or max: points past the bound are lost, "
                     f"so negative points cannot act as the weights say")
    return "\n".join(lines)


def unified_diff(old_text: str, new_text: str, path: str) -> str:
    """A patch `git apply` takes from the directory the path is relative to."""
    name = os.path.normpath(path)
    return "".join(difflib.unified_diff(old_text.splitlines(keepends=True),
                                        new_text.splitlines(keepends=True),
                                        f"a/{name}", f"b/{name}"))
