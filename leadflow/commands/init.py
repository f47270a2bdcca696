"""`leadflow init [DIR]`: write a starter ruleset with tests and a sample event log.

DIR (default: the current directory) is created if needed. Nothing is
overwritten: if a starter file already exists there, nothing is written and
the command exits 2. The starter passes `check`, `fmt --check` and `test
--fail-under 100`, and `run rules.leadflow events.csv` accepts its log
(tests/cli/test_init.py runs the four).
"""

from __future__ import annotations

import os
import shlex

import click

from leadflow.terminal import usage_error

RULES = "rules.leadflow"
EVENTS = "events.csv"

STARTER_RULES = """\
# A starter ruleset, written by `leadflow init`. Try:
#   leadflow check                           find mistakes (all .leadflow files here)
#   leadflow test -v                         run the test blocks below
#   leadflow run rules.leadflow events.csv   score the sample log into out/
ruleset starter
timezone "Europe/Madrid"

# The events your site or CRM exports, with their fields.
event email_open
event page_view(url: text)
event purchase(amount: number)

# Lead attributes, read from `run --leads FILE` (a missing one is simply unknown).
lead(country: text)

score engagement min 0
stage visitor
stage mql when engagement >= 20
stage customer when count(purchase) >= 1

rule open:    on email_open add 1
rule pricing: on page_view where url matches "*/pricing*" add 5 once per 7 days
rule buyer:   on purchase add 20, tag "customer"
rule big:     on purchase where amount > 100 add 10
rule local:   while lead.country == "ES" add 3
rule welcome: on enter mql send "welcome_guide"
rule cooling: every 30 days without activity subtract 5

# Tests run with `leadflow test`: events at a time, then what you expect.
test "an open is worth a point, a pricing visit 5 points at most once a week"
  at 2024-03-04T10:00 email_open
  at 2024-03-04T10:05 page_view(url: "/pricing")
  at 2024-03-05T10:00 page_view(url: "/pricing")
  expect engagement == 6
  expect stage == "visitor"
end

test "a lead from Spain starts with 3 points"
  lead(country: "ES")
  at 2024-03-04T10:00 email_open
  expect engagement == 4
end

test "twenty points make an MQL, who gets the welcome guide"
  at 2024-03-04T10:00 page_view(url: "/pricing")
  at 2024-03-11T10:00 page_view(url: "/pricing")
  at 2024-03-18T10:00 page_view(url: "/pricing")
  at 2024-03-25T10:00 page_view(url: "/pricing")
  expect engagement == 20
  expect stage == "mql"
  expect sent "welcome_guide"
end

test "a purchase makes a customer; a big one is worth 10 more"
  at 2024-03-04T10:00 purchase(amount: 150)
  expect engagement == 30
  expect stage == "customer"
  expect tagged "customer"
end

test "30 days without activity cost 5 points"
  at 2024-05-06T10:00 purchase(amount: 40)
  at 2024-06-05T09:59 expect engagement == 20
  at 2024-06-05T10:00 expect engagement == 15
end
"""

STARTER_EVENTS = """\
lead_id,event,ts,url,amount
L001,email_open,2024-03-04 09:12,,
L001,page_view,2024-03-04 09:15,/pricing,
L001,page_view,2024-03-06 18:40,/pricing,
L001,purchase,2024-03-07 11:02,,180
L002,email_open,2024-03-05 08:30,,
L002,page_view,2024-03-05 08:31,/blog/first-steps,
L003,page_view,2024-03-01 10:00,/pricing,
L003,page_view,2024-03-08 10:00,/pricing,
L003,page_view,2024-03-15 10:00,/pricing,
L003,page_view,2024-03-22 10:00,/pricing,
L003,email_open,2024-03-22 10:05,,
"""

STARTER_FILES = {RULES: STARTER_RULES, EVENTS: STARTER_EVENTS}


@click.command("init")
@click.argument("directory", default=".", type=click.Path(file_okay=False))
def command(directory: str) -> None:
    """Write a starter ruleset, with tests, and a sample event log.

    Writes rules.leadflow and events.csv into DIRECTORY (default: the current
    directory), never over an existing file."""
    targets = {name: os.path.join(directory, name) for name in STARTER_FILES}
    existing = [path for path in targets.values() if os.path.lexists(path)]
    if existing:
        usage_error(f"{existing[0]} already exists; nothing was written")
    try:
        os.makedirs(directory, exist_ok=True)
        for name, path in targets.items():
            with open(path, "x", encoding="utf-8", newline="\n") as handle:
                handle.write(STARTER_FILES[name])
    except OSError as exc:
        usage_error(f"cannot write into {directory}: {exc.strerror}")
    rules, events = (_shown(targets[RULES]), _shown(targets[EVENTS]))
    where = "" if os.path.normpath(directory) == "." else " " + shlex.quote(directory)
    click.echo(f"created {rules}  a starter ruleset, with tests")
    click.echo(f"created {events}  a sample event log")
    click.echo("next:")
    click.echo(f"  leadflow check{where}")
    click.echo(f"  leadflow test -v{where}")
    click.echo(f"  leadflow run {shlex.quote(rules)} {shlex.quote(events)} --out "
               f"{shlex.quote(os.path.join(directory, 'out'))}")


def _shown(path: str) -> str:
    return os.path.normpath(path)
