"""The `leadflow` command. Each sub-command lives in its own module under leadflow/commands/.

Exit codes (SPEC 8): 0 success, 1 rule/test/data errors reported, 2 usage errors.
"""

from __future__ import annotations

import signal
import sys

import click

from leadflow import __version__
from leadflow.commands import LazyGroup


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="leadflow")
def cli() -> None:
    """leadflow: lead scoring and nurturing as code."""


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM (kill, a scheduler's timeout) unwinds like Ctrl-C: work files are removed."""
    sys.exit(128 + signum)


def main() -> None:
    signal.signal(signal.SIGTERM, _terminated)
    try:
        cli.main(prog_name="leadflow", standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
