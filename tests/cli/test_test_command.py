"""`leadflow test FILE...` (SPEC 7, 8): failures as file:line, a summary line, exit codes."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from leadflow.commands.test import command

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

SHOP = """event purchase(amount: number)
event email_open
lead(country: text)
score engagement
stage visitor
stage mql when engagement >= 20
rule big: on purchase where amount > 100 add 10
rule hello: on email_open notify "sales"
"""


def invoke(*paths: str | Path):
    return CliRunner().invoke(command, [str(p) for p in paths], catch_exceptions=False)


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_example_passes():
    files = sorted(EXAMPLES.glob("*.leadflow"))
    assert files
    result = invoke(*files)
    summary = last_line(result.output)
    passed, failed = (int(part.split()[0]) for part in summary.split(", "))
    assert (passed > 0, failed, result.exit_code) == (True, 0, 0), result.output


def test_a_failing_block_reports_file_line_expected_and_got(tmp_path):
    path = write(tmp_path, "shop.leadflow", SHOP + """
test "passes"
  at 2024-01-01 purchase(amount: 150)
  expect engagement == 10
end

test "fails"
  at 2024-01-01 purchase(amount: 150)
  expect engagement == 15
  expect stage == "mql" and count(purchase) > 1
  expect sent "offer"
  at 2024-01-02 expect not tagged "x" and lead.country == "ES"
  at 2024-01-03 email_open
  expect not notified "sales"
end
""")
    result = invoke(path)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f"{path}:17: expected engagement == 15, got engagement = 10  (test \"fails\")" in lines
    assert any(line.startswith(f"{path}:18: expected stage == \"mql\" and count(purchase) > 1, "
                               "got stage = \"visitor\"; count(purchase) = 1") for line in lines)
    assert any(line.startswith(f"{path}:19: expected sent \"offer\", got nothing sent")
               for line in lines)
    assert any(line.startswith(f"{path}:20: expected not tagged \"x\" and lead.country == \"ES\", "
                               "got no tags; lead.country = missing") for line in lines)
    assert any(line.startswith(f"{path}:22: expected not notified \"sales\", "
                               "got notified \"sales\" at 2024-01-03T00:00") for line in lines)
    assert last_line(result.output) == "1 passed, 1 failed"


def test_tests_for_another_file(tmp_path):
    write(tmp_path, "shop.leadflow", SHOP)
    tests = write(tmp_path, "shop_tests.leadflow", """tests for "shop.leadflow"

test "an open notifies sales"
  lead(country: "ES")
  at 2024-01-01T09:00 email_open
  expect notified "sales"
  expect lead.country == "ES"
end

test "a deliberate failure"
  at 2024-01-01 purchase(amount: 50)
  expect engagement > 0
end
""")
    result = invoke(tests)
    assert result.exit_code == 1
    assert f"{tests}:12: expected engagement > 0, got engagement = 0" in result.output
    assert last_line(result.output) == "1 passed, 1 failed"


def test_times_without_offset_are_in_the_ruleset_timezone(tmp_path):
    path = write(tmp_path, "tz.leadflow", 'timezone "Europe/Madrid"\n' + SHOP + """
quiet hours 22:00 to 08:00
rule receipt: on purchase send "receipt"
test "quiet hours end at 08:00 Madrid time"
  at 2024-07-01T07:30 purchase(amount: 10)
  at 2024-07-01T07:59 expect not sent "receipt"
  at 2024-07-01T08:00 expect sent "receipt"
  at 2024-07-01T06:00Z expect sent "receipt"
end
""")
    result = invoke(path)
    assert last_line(result.output) == "1 passed, 0 failed", result.output


def test_a_step_back_in_time_is_an_error_at_its_line(tmp_path):
    path = write(tmp_path, "back.leadflow", SHOP + """
test "backwards"
  at 2024-02-01 email_open
  at 2024-01-01 email_open
  expect engagement == 0
end
""")
    result = invoke(path)
    assert result.exit_code == 1
    assert f"{path}:12:" in result.output  # the checker catches it before any test runs
    assert last_line(result.output) == "0 passed, 0 failed"


def test_a_ruleset_that_does_not_settle_fails_the_test_at_the_step(tmp_path):
    path = write(tmp_path, "loop.leadflow", """event e
score s
rule wobble: while s < 5 add 10
test "loops"
  at 2024-01-01 e
  expect s == 0
end
""")
    result = invoke(path)
    assert result.exit_code == 1
    assert f"{path}:5: error: the ruleset does not settle" in result.output
    assert "wobble" in result.output


def test_a_file_with_errors_is_reported_and_exits_1(tmp_path):
    path = write(tmp_path, "bad.leadflow", "event e\non e add 1 to nope\n")
    result = CliRunner().invoke(command, [str(path)])
    assert result.exit_code == 1
    assert f"{path}:2:" in result.stderr and "error" in result.stderr
    assert last_line(result.stdout) == "0 passed, 0 failed"


def test_a_missing_file_and_no_rule_files_are_usage_errors(tmp_path, monkeypatch):
    assert invoke(tmp_path / "absent.leadflow").exit_code == 2  # docs/cli.md: a missing file is 2
    monkeypatch.chdir(tmp_path)  # no path means here, where there is no .leadflow file
    assert CliRunner().invoke(command, []).exit_code == 2


def test_verbose_lists_each_test_with_its_place_and_result(tmp_path):
    path = write(tmp_path, "shop.leadflow", SHOP + """
test "passes"
  at 2024-01-01 purchase(amount: 150)
  expect engagement == 10
end

test "fails"
  at 2024-01-01 purchase(amount: 150)
  expect engagement == 15
end
""")
    result = CliRunner().invoke(command, ["-v", str(path)], catch_exceptions=False)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"PASS  {path}:10  passes"
    assert lines[1] == f"FAIL  {path}:15  fails"
    assert last_line(result.output) == "1 passed, 1 failed"


def test_a_directory_means_its_rule_files(tmp_path, monkeypatch):
    write(tmp_path, "shop.leadflow", SHOP + 'test "t"\n  expect engagement == 0\nend\n')
    (tmp_path / "more").mkdir()
    write(tmp_path / "more", "more_tests.leadflow",
          'tests for "../shop.leadflow"\ntest "u"\n  expect engagement == 0\nend\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(command, [], catch_exceptions=False)
    assert (result.exit_code, last_line(result.output)) == (0, "2 passed, 0 failed")
