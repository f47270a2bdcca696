"""The replay's progress bar: shown on request, and tqdm not even imported otherwise."""

from __future__ import annotations

import subprocess
import sys

from leadflow.runtime.progress import progress_bar

HIDDEN_RUN = """
import sys
from leadflow.runtime.progress import progress_bar
bar = progress_bar(10, False)
bar.update(5)
bar.close()
print("tqdm" in sys.modules)
"""


def test_a_hidden_bar_does_not_import_tqdm():
    done = subprocess.run([sys.executable, "-c", HIDDEN_RUN], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False" and done.stderr == ""


def test_a_shown_bar_counts_events_on_stderr(capsys):
    bar = progress_bar(1000, True)
    bar.update(1000)
    assert bar.n == 1000
    bar.close()
    assert "events" in capsys.readouterr().err
