"""How fast is `leadflow check`? Parse + check a generated 5,000-rule file.

    .venv/bin/python bench/check_bench.py [--rules N] [--repeat K] [--profile]

Prints one table: rules, the best time of K runs of `leadflow.api.load_text`
(parse and check), rules per second and the target (< 2 s for 5,000 rules),
with the parse and check shares so a slow stage is easy to spot. `--profile`
adds the ten most expensive functions of one run. Not a pytest test: timings
depend on the machine.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time

from leadflow.api import load_text
from leadflow.dsl.checker import check
from leadflow.dsl.parser import parse

TARGET_SECONDS = 2.0
TARGET_RULES = 5_000

HEADER = """\
ruleset bench
timezone "Europe/Madrid"

event email_open
event email_click(campaign: text)
event page_view(url: text)
event purchase(amount: number, category: text)

lead(country: text, industry: text)

score engagement min 0
score fit min 0 max 100
stage visitor
stage mql when engagement >= 20
stage sql when engagement >= 60 and count(purchase) >= 1

flow cart_recovery
  start on page_view where url matches "*/mi_cesta*"
  stop on purchase
  send "cart_items"
  wait 2 days
  send "coupon" with code = "VUELVE10"
end
"""

# Every rule form of SPEC 4, with actions and modifiers; {i} makes each rule distinct.
RULE_FORMS = (
    "rule open{i}: on email_open add 1",
    'rule click{i}: on email_click where campaign == "c{i}" add 2 once per 1 day',
    "rule big{i}: on purchase where amount > {i} add 10 capped at 40",
    "rule frequent{i}: on purchase count >= 3 within 6 months add 15 up to 2 times",
    'rule offer{i}: on purchase count == 3 within 6 months send "offer" with category = category',
    'rule heels{i}: on page_view where url matches "*/tacon{i}*" count > 3 tag "vestir"',
    "rule cooling{i}: every 30 days without activity subtract 5",
    "rule decay{i}: every 2 weeks without email_open subtract 10%",
    'rule handoff{i}: on enter sql notify "sales" with points = engagement',
    "rule hot{i}: when engagement >= {i} and since(purchase) < 30 days add 5 to fit once",
    'rule fit{i}: while lead.industry in ["retail", "moda"] add 10 to fit',
    ('rule spend{i}: on purchase where sum(purchase.amount within 1 year) > 500 '
     'and category != "x" add 3 expires after 90 days'),
    'rule cart{i}: on page_view where url matches "*/mi_cesta*" start cart_recovery',
)


def generate(rules: int) -> str:
    lines = [RULE_FORMS[i % len(RULE_FORMS)].format(i=i) for i in range(rules)]
    return HEADER + "\n" + "\n".join(lines) + "\n"


def best_of(repeat: int, run, clock=time.perf_counter) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = clock()
        run()
        best = min(best, clock() - started)
    return best


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--rules", type=int, default=TARGET_RULES)
    options.add_argument("--repeat", type=int, default=3)
    options.add_argument("--profile", action="store_true")
    args = options.parse_args()

    text = generate(args.rules)
    loaded = load_text(text, "bench.leadflow")
    if not loaded.ok:
        print(loaded.render()[:3000], file=sys.stderr)
        print("the generated file does not check cleanly", file=sys.stderr)
        return 1

    total = best_of(args.repeat, lambda: load_text(text, "bench.leadflow"))
    # CPU time of this process: what the code costs, even when other jobs share the machine.
    cpu = best_of(args.repeat, lambda: load_text(text, "bench.leadflow"), time.process_time)
    parse_only = best_of(args.repeat, lambda: parse(text, "bench.leadflow"))
    module = parse(text, "bench.leadflow")
    check_only = best_of(args.repeat, lambda: check(module))
    target = TARGET_SECONDS * args.rules / TARGET_RULES
    verdict = "PASS" if total < target else "FAIL"

    print(f"{'rules':>7}  {'bytes':>9}  {'best s':>7}  {'cpu s':>6}  {'rules/s':>8}  "
          f"{'parse s':>7}  {'check s':>7}  {'target':>8}  result")
    print(f"{args.rules:>7}  {len(text):>9,}  {total:>7.3f}  {cpu:>6.3f}  "
          f"{args.rules / total:>8,.0f}  {parse_only:>7.3f}  {check_only:>7.3f}  "
          f"{'< ' + format(target, '.1f') + ' s':>8}  {verdict}")
    print(f"best of {args.repeat} runs of load_text (parse + check), wall clock; parse and check "
          "are also timed alone")
    if total > 1.5 * cpu:
        print("note: wall time is well above CPU time: the machine is busy with other work")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(load_text, text, "bench.leadflow")
        report = io.StringIO()
        pstats.Stats(profiler, stream=report).sort_stats("cumulative").print_stats(25)
        print(report.getvalue())
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
