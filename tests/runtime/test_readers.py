"""Readers: formats, typing, verdicts, row numbers, time zones, column mapping, usage errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from leadflow.runtime.readers import ColumnNames, InputError, expand_inputs
from leadflow.runtime.staging import Staging

EVENTS = {
    "email_open": (),
    "page_view": (("url", "text"),),
    "purchase": (("amount", "number"), ("category", "text")),
    "visit": (("pages", "int"), ("vip", "bool"), ("due", "time")),
}
MADRID = "Europe/Madrid"


def us(text: str) -> int:
    """An absolute ISO time as microseconds."""
    moment = datetime.fromisoformat(text)
    return int(moment.astimezone(UTC).timestamp()) * 1_000_000 + moment.microsecond


def write_csv(path, header: str, *rows: str) -> str:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return str(path)


DEFAULT_NAMES = ColumnNames()


def staged(files: list[str], events=EVENTS, names=DEFAULT_NAMES, tz=MADRID) -> Staging:
    staging = Staging(tz)
    try:
        staging.load_events(expand_inputs(files), names, events)
    except BaseException:
        staging.close()  # no temporary directory left behind by a failing test
        raise
    return staging


def rows_of(staging: Staging, as_of=None) -> list[dict]:
    return [row for batch in staging.event_reader(as_of) for row in batch.to_pylist()]


def field_value(row: dict, staging: Staging, field: str):
    """The typed value of `field` in a streamed row."""
    j = [name for name, _ in staging.slots.slots].index(field)
    return row[f"v{j}"]


def rejects_of(staging: Staging) -> list[tuple]:
    return staging.con.sql(staging.rejects_query()).fetchall()


# ----------------------------------------------------------------- typing


@pytest.mark.parametrize("value, expected", [
    ("50", 50.0), ("99.95", 99.95), ("-5", -5.0), (" 7 ", 7.0), ("1e3", 1000.0), ("", None),
])
def test_number_values_are_floats(tmp_path, value, expected):
    path = write_csv(tmp_path / "e.csv", "lead_id,event,ts,amount", f"a,purchase,2024-01-10,{value}")
    with staged([path]) as staging:
        [row] = rows_of(staging)
        assert field_value(row, staging, "amount") == expected and rejects_of(staging) == []


@pytest.mark.parametrize("field, value, reason", [
    ("amount", "abc", "field amount: 'abc' is not a number"),
    ("amount", '"12,50"', "field amount: '12,50' is not a number"),
    ("amount", "nan", "field amount: 'nan' is not a number"),
    ("pages", "3.5", "field pages: '3.5' is not a whole number"),
    ("vip", "maybe", "field vip: 'maybe' is not true or false (true/false, yes/no, 1/0)"),
    ("due", "next week", "field due: cannot read time 'next week'"),
])
def test_a_value_of_the_wrong_type_rejects_the_row_with_its_reason(tmp_path, field, value, reason):
    event = "purchase" if field == "amount" else "visit"
    path = write_csv(tmp_path / "e.csv", f"lead_id,event,ts,{field}",
                     "a,email_open,2024-01-10,", f"a,{event},2024-01-10,{value}")
    with staged([path]) as staging:
        assert rejects_of(staging) == [(path, 2, reason)]
        assert len(rows_of(staging)) == 1


def test_int_bool_and_time_fields(tmp_path):
    path = write_csv(tmp_path / "e.csv", "lead_id,event,ts,pages,vip,due",
                     "a,visit,2024-01-10,3,Yes,2024-02-01",
                     "a,visit,2024-01-11,3.0,no,2024-02-01T10:00:00Z",
                     "a,visit,2024-01-12,-2,1,",
                     "a,visit,2024-01-13,,FALSE,")
    with staged([path]) as staging:
        rows = rows_of(staging)
        assert [field_value(r, staging, "pages") for r in rows] == [3, 3, -2, None]
        assert [field_value(r, staging, "vip") for r in rows] == [True, False, True, False]
        assert [field_value(r, staging, "due") for r in rows] == [us("2024-02-01T00:00:00+01:00"),
                                                   us("2024-02-01T10:00:00Z"), None, None]


def test_a_field_of_another_event_is_not_checked(tmp_path):
    # `amount` belongs to purchase; on a page_view its bad value is no one's business.
    path = write_csv(tmp_path / "e.csv", "lead_id,event,ts,url,amount",
                     "a,page_view,2024-01-10,/x,abc")
    with staged([path]) as staging:
        assert rejects_of(staging) == []
        assert field_value(rows_of(staging)[0], staging, "amount") is None


# ------------------------------------------------------------------ times


def test_times_without_offset_are_in_the_ruleset_timezone(tmp_path):
    path = write_csv(tmp_path / "e.csv", "lead_id,event,ts",
                     "a,email_open,2024-01-10 09:30", "b,email_open,2024-07-10T09:30:00",
                     "c,email_open,2024-01-10T09:30:00Z", "d,email_open,2024-01-10T09:30:00+05:00",
                     "e,email_open,2024-01-10")
    with staged([path]) as staging:
        assert [r["ts_us"] for r in rows_of(staging)] == [
            us("2024-01-10T08:30:00Z"), us("2024-07-10T07:30:00Z"), us("2024-01-10T09:30:00Z"),
            us("2024-01-10T04:30:00Z"), us("2024-01-09T23:00:00Z")]


@pytest.mark.parametrize("text, reason", [
    ("yesterday", "cannot read time 'yesterday'"), ("epoch", "cannot read time 'epoch'"),
    ("2024-02-31", "cannot read time '2024-02-31'"), ("", "missing ts"),
])
def test_unreadable_or_missing_times_are_rejected(tmp_path, text, reason):
    path = write_csv(tmp_path / "e.csv", "lead_id,event,ts", f"a,email_open,{text}")
    with staged([path]) as staging:
        assert rejects_of(staging) == [(path, 1, reason)]


def test_parquet_timestamp_columns_naive_and_with_zone(tmp_path):
    naive = datetime(2024, 1, 10, 9, 30)
    aware = datetime(2024, 1, 10, 9, 30, tzinfo=UTC)
    for name, value, kind in (("naive.parquet", naive, pa.timestamp("us")),
                              ("aware.parquet", aware, pa.timestamp("us", tz="UTC"))):
        table = pa.table({"lead_id": ["a"], "event": ["email_open"],
                          "ts": pa.array([value], type=kind)})
        pq.write_table(table, tmp_path / name)
    with staged([str(tmp_path / "naive.parquet"), str(tmp_path / "aware.parquet")]) as staging:
        assert [r["ts_us"] for r in rows_of(staging)] == [us("2024-01-10T08:30:00Z"),
                                                           us("2024-01-10T09:30:00Z")]


# --------------------------------------------------------------- verdicts


def test_every_row_gets_one_verdict_and_the_counts_add_up(tmp_path):
    path = write_csv(tmp_path / "e.csv", "lead_id,event,ts,amount",
                     "a,purchase,2024-01-10,50",        # applied
                     ",purchase,2024-01-10,50",         # missing lead id
                     "b,,2024-01-10,",                  # missing event
                     "b,newsletter,not a time,",        # ignored: the type is not declared
                     "b,newsletter,2024-01-11,",
                     "c,email_open,2024-03-01,",        # after --as-of
                     "c,purchase,2024-01-12,abc")       # bad amount
    with staged([path]) as staging:
        as_of = staging.parse_time("2024-02-01")
        counts = staging.counts(as_of)
        assert (counts.rows, counts.applied, counts.rejected) == (7, 1, 3)
        assert counts.ignored_types == {"newsletter": 2} and counts.after_as_of == 1
        assert counts.rows == counts.applied + counts.rejected + counts.ignored
        assert [r[2] for r in rejects_of(staging)] == [
            "missing lead_id", "missing event", "field amount: 'abc' is not a number"]
        assert len(rows_of(staging, as_of)) == counts.applied


def test_row_numbers_are_data_rows_within_each_file(tmp_path):
    one = write_csv(tmp_path / "one.csv", "lead_id,event,ts", "a,email_open,2024-01-10",
                    "a,email_open,nope")
    two = write_csv(tmp_path / "two.csv", "lead_id,event,ts", "b,email_open,nope",
                    'b,email_open,"2024-01-10"', "b,email_open,")
    with staged([one, two]) as staging:
        assert [(f, r) for f, r, _ in rejects_of(staging)] == [(one, 2), (two, 1), (two, 3)]


def test_ragged_csv_rows_are_kept_as_rows(tmp_path):
    path = write_csv(tmp_path / "e.csv", "lead_id,event,ts,amount",
                     "a,purchase,2024-01-10,5,surplus", "b,purchase", "c,email_open,2024-01-10")
    with staged([path]) as staging:
        assert staging.counts(None).rows == 3
        assert rejects_of(staging) == [(path, 2, "missing ts")]


def test_equal_times_keep_input_order_across_files(tmp_path):
    one = write_csv(tmp_path / "1.csv", "lead_id,event,ts,url", "a,page_view,2024-01-10,/first",
                    "a,page_view,2024-01-10,/second")
    two = write_csv(tmp_path / "2.csv", "lead_id,event,ts,url", "a,page_view,2024-01-10,/third",
                    "a,page_view,2024-01-09,/earliest")
    with staged([one, two]) as staging:
        assert [field_value(r, staging, "url") for r in rows_of(staging)] == [
            "/earliest", "/first", "/second", "/third"]


def test_lead_ids_stay_text_and_are_trimmed(tmp_path):
    path = write_csv(tmp_path / "e.csv", "lead_id,event,ts", "007,email_open,2024-01-10",
                     " 8 ,email_open,2024-01-10", "  ,email_open,2024-01-10")
    with staged([path]) as staging:
        assert [r["lead_id"] for r in rows_of(staging)] == ["007", "8"]
        assert rejects_of(staging) == [(path, 3, "missing lead_id")]


# ------------------------------------------------------------ JSON Lines


def test_json_lines_fields_from_columns_or_properties(tmp_path):
    lines = [{"lead_id": "a", "event": "purchase", "ts": "2024-01-10",
              "properties": {"amount": 50, "category": "botas"}},
             {"lead_id": 7, "event": "purchase", "ts": "2024-01-11", "amount": "60",
              "properties": {"category": "boda"}},
             {"lead_id": "a", "event": "purchase", "ts": "2024-01-12", "properties": {"amount": True}}]
    path = tmp_path / "e.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines[:2]) + "\n\nnot json\n[1]\n"
                    + json.dumps(lines[2]) + "\n")
    with staged([str(path)]) as staging:
        assert [(r["lead_id"], field_value(r, staging, "amount"), field_value(r, staging, "category"))
                for r in rows_of(staging)] == [
            ("7", 60.0, "boda"), ("a", 50.0, "botas")]
        # Row numbers of JSON Lines are line numbers; the blank line 3 is no row.
        assert rejects_of(staging) == [(str(path), 4, "not a JSON object"),
                                       (str(path), 5, "not a JSON object"),
                                       (str(path), 6, "field amount: 'true' is not a number")]
        assert staging.counts(None).rows == 5


def test_a_properties_column_in_csv(tmp_path):
    path = write_csv(tmp_path / "e.csv", "lead_id,event,ts,properties",
                     'a,purchase,2024-01-10,"{""amount"": 12.5, ""category"": ""botas""}"',
                     "a,purchase,2024-01-11,{broken")
    with staged([str(path)]) as staging:
        assert [(field_value(r, staging, "amount"), field_value(r, staging, "category"))
                for r in rows_of(staging)] == [(12.5, "botas")]
        assert rejects_of(staging) == [(path, 2, "properties: not a JSON object")]


# ------------------------------------------------------ columns and files


def test_columns_can_be_mapped(tmp_path):
    path = write_csv(tmp_path / "e.csv", "contact_id,type,occurred_at", "a,email_open,2024-01-10")
    names = ColumnNames(lead="contact_id", event="type", time="occurred_at")
    with staged([path], names=names) as staging:
        assert [r["lead_id"] for r in rows_of(staging)] == ["a"]


def test_a_log_without_a_needed_column_is_a_usage_error(tmp_path):
    path = write_csv(tmp_path / "e.csv", "lead_id,event,time", "a,email_open,2024-01-10")
    with pytest.raises(InputError, match=r"no time column 'ts' \(columns: lead_id, event, time\); "
                                         r"name it with --time-col"):
        staged([path]).close()


@pytest.mark.parametrize("name, content, message", [
    ("e.xlsx", "x", "unknown format .xlsx"),
    ("e.parquet", "not parquet at all", "cannot read it as Parquet"),
    ("e.csv", "", "the file is empty"),
])
def test_unreadable_inputs_are_usage_errors(tmp_path, name, content, message):
    (tmp_path / name).write_text(content)
    with pytest.raises(InputError, match=message):
        staged([str(tmp_path / name)]).close()


def test_missing_file_directory_and_glob(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        expand_inputs([str(tmp_path / "missing.csv")])
    with pytest.raises(InputError, match="no files match"):
        expand_inputs([str(tmp_path / "*.csv")])
    (tmp_path / "logs").mkdir()
    for name in ("b.csv", "a.jsonl", "notes.txt", "c.parquet"):
        (tmp_path / "logs" / name).write_text("x")
    found = expand_inputs([str(tmp_path / "logs")])
    assert [(f.path.rsplit("/", 1)[1], f.format) for f in found] == [
        ("a.jsonl", "jsonl"), ("b.csv", "csv"), ("c.parquet", "parquet")]
    globbed = expand_inputs([str(tmp_path / "logs" / "*.csv"), str(tmp_path / "logs" / "b.csv")])
    assert [f.path.rsplit("/", 1)[1] for f in globbed] == ["b.csv"]  # the same file once


# ------------------------------------------------------------------ leads


def test_lead_attributes_are_typed_and_duplicates_rejected(tmp_path):
    events = write_csv(tmp_path / "e.csv", "lead_id,event,ts", "a,email_open,2024-01-10")
    leads = write_csv(tmp_path / "leads.csv", "lead_id,name,country,size",
                      "b,Bea,ES,10", "a,Ana,PT,", "b,Bea again,FR,3", ",Nobody,ES,1", "c,Carl,ES,x")
    with staged([events]) as staging:
        staging.load_leads(expand_inputs([leads])[0], ColumnNames(),
                           (("country", "text"), ("size", "int")))
        assert list(staging.lead_attrs()) == [("a", {"country": "PT"}),
                                              ("b", {"country": "ES", "size": 10})]
        assert [r[1:] for r in rejects_of(staging)] == [
            (3, "lead 'b' already given on row 1"), (4, "missing lead_id"),
            (5, "field size: 'x' is not a whole number")]
        counts = staging.counts(None)
        assert (counts.lead_rows, counts.lead_rejected) == (5, 3)
