"""`leadflow fit FILE EVENTS... --outcomes FILE`: point values learned from history.

Needs scikit-learn (`pip install 'leadflow[fit]'`); without it, one line and
exit 2. Prints the fitted weights and the held-out AUC of the current and
suggested points on stderr, and the suggested change as a unified diff on
stdout (so `leadflow fit ... > points.patch` is ready for `git apply`).
Exit codes: 0 done, 1 the ruleset has errors or the data give nothing to
fit, 2 a usage error or scikit-learn missing.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

import click

from leadflow.api import load_file, load_text
from leadflow.commands import echo_diagnostics
from leadflow.commands.backtest import build_backtest_options, outcome_options, warn_rejected
from leadflow.commands.run import (
    ENGINES,
    build_options,
    fail,
    input_options,
    report_failure,
)
from leadflow.runtime.driver import LeadFailed
from leadflow.runtime.engine import Engine
from leadflow.runtime.readers import InputError

MISSING_SKLEARN = ("leadflow fit needs scikit-learn, which is not installed: "
                   "pip install 'leadflow[fit]'")


@click.command("fit")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("events", nargs=-1, required=True)
@outcome_options
@input_options
@click.option("--score", metavar="NAME", help="The score to fit (default: the first declared).")
@click.option("--holdout", default=0.3, show_default=True, type=click.FloatRange(0.05, 0.95),
              help="Share of leads held out from fitting, to measure on.")
@click.option("--seed", default=0, show_default=True, help="Seed of the split by lead.")
@click.option("--l2", "strength", default=1.0, show_default=True, type=click.FloatRange(min=1e-6),
              help="Regularization strength (larger: weights pulled harder toward 0).")
@click.option("-o", "--output", metavar="FILE", help="Also write the suggested ruleset here.")
def command(file: str, events: tuple[str, ...], engine: str, outcomes: str, horizon: str,
            every: str, cutoffs: tuple[str, ...], until: str | None, score: str | None,
            holdout: float, seed: int, strength: float, output: str | None,
            **inputs: Any) -> None:
    """Suggest points for FILE's rules from the conversions in --outcomes.

    Each sample is a lead at a cutoff: how often each points rule fired before
    it, and whether the lead converted within --horizon. A regularized logistic
    model learns a weight per rule on part of the leads; the weights become
    integer points on the rules' own scale, measured on the held-out leads.
    """
    if importlib.util.find_spec("sklearn") is None:
        fail(MISSING_SKLEARN, 2)
    from leadflow.runtime import fit_model
    from leadflow.runtime.fit import FitError, FitOptions, fit
    from leadflow.runtime.fit_report import render_summary, unified_diff

    loaded = load_file(file)
    if not echo_diagnostics(loaded):
        raise SystemExit(1)
    source = loaded.sources[file]

    def engine_for(text: str) -> Engine:
        suggested = load_text(text, file)
        if not echo_diagnostics(suggested):  # only numbers changed: a bug if it happens
            raise SystemExit(1)
        return ENGINES[engine](suggested.model)

    try:
        backtest = build_backtest_options(outcomes, horizon, every, cutoffs, until)
        result = fit(loaded.model, source, engine_for, build_options(events, **inputs), backtest,
                     FitOptions(score, holdout, seed, strength), fit_model.logistic_weights)
    except InputError as exc:
        fail(str(exc), 2)
    except FitError as exc:
        fail(str(exc), 1)
    except LeadFailed as exc:
        report_failure(exc)
    warn_rejected(result.setup.outcomes.rejected, outcomes)
    label = loaded.model.name or os.path.splitext(os.path.basename(file))[0]
    click.echo(render_summary(result, label, loaded.model.timezone, seed), err=True)
    patch = unified_diff(source, result.text, file)
    click.echo(patch if patch else "(the suggested points are the current ones)", nl=not patch)
    if output is not None:
        try:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(result.text)
        except OSError as exc:
            fail(f"--output {output}: cannot write it ({exc.strerror})", 2)
