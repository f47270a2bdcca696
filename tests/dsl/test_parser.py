"""The parser: every construct of SPEC sections 2-7 becomes the expected AST.

Spans are not compared by `==` (they are `compare=False`); the span tests at
the end check a few positions explicitly.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from leadflow.dsl import ast
from leadflow.dsl.ast import (
    Add,
    Aggregate,
    Arg,
    Binary,
    Bool,
    CappedAt,
    Clock,
    CountClause,
    Duration,
    DurationExpr,
    Every,
    Expect,
    ExpiresAfter,
    FieldDecl,
    FieldValue,
    FlowControl,
    FlowDecl,
    FlowTrigger,
    If,
    In,
    IsMissing,
    LeadField,
    Matches,
    Name,
    Number,
    Once,
    OnEvent,
    OnStage,
    Rule,
    Send,
    Sent,
    SetField,
    Since,
    StageValue,
    String,
    SubtractPercent,
    Tag,
    Tagged,
    TimeLiteral,
    Unary,
    UpTo,
    Wait,
    WhenCond,
    While,
)
from leadflow.dsl.diagnostics import LeadflowError
from leadflow.dsl.parser import parse

ROOT = Path(__file__).resolve().parents[2]


def body(text: str) -> tuple:
    return parse(textwrap.dedent(text), "t.leadflow").body


def one(text: str):
    (decl,) = body(text)
    return decl


def expr(text: str):
    """An expression, read as the condition of a `when` rule."""
    return one(f"when {text} add 1").trigger.cond


def syntax_errors(text: str) -> list[str]:
    with pytest.raises(LeadflowError) as caught:
        parse(textwrap.dedent(text), "t.leadflow")
    return [d.message for d in caught.value.diagnostics]


n, s = Number, String


def name(x: str) -> Name:
    return Name(x)


# ------------------------------------------------------------- declarations


def test_ruleset_timezone_and_tests_for():
    assert body('ruleset zapateria\ntimezone "Europe/Madrid"\ntests for "shop.leadflow"') == (
        ast.RulesetDecl("zapateria"), ast.TimezoneDecl("Europe/Madrid"),
        ast.TestsFor("shop.leadflow"))


def test_event_without_and_with_fields_of_every_type():
    assert one("event registration") == ast.EventDecl("registration", ())
    assert one("event signup(a: number, b: int, c: text, d: bool, e: time)") == ast.EventDecl(
        "signup", (FieldDecl("a", "number"), FieldDecl("b", "int"), FieldDecl("c", "text"),
                   FieldDecl("d", "bool"), FieldDecl("e", "time")))
    assert one("event empty()") == ast.EventDecl("empty", ())


def test_lead_attributes():
    assert one("lead(country: text, industry: text)") == ast.LeadDecl(
        (FieldDecl("country", "text"), FieldDecl("industry", "text")))


@pytest.mark.parametrize("text, low, high", [
    ("score engagement", None, None),
    ("score engagement min 0", 0, None),
    ("score engagement max 100", None, 100),
    ("score engagement min -5 max 99.5", -5, 99.5),
    ("score engagement max 10 min 1", 1, 10),
], ids=["no-bounds", "min", "max", "negative-min-and-decimal-max", "max-before-min"])
def test_score_bounds(text, low, high):
    assert one(text) == ast.ScoreDecl("engagement", low, high)


def test_a_bound_given_twice_is_an_error():
    assert syntax_errors("score s min 0 min 1") == ["`min` given twice for score `s`"]


def test_stages_with_and_without_condition():
    visitor, mql = body("stage visitor\nstage mql when engagement >= 20")
    assert visitor == ast.StageDecl("visitor", None)
    assert mql == ast.StageDecl("mql", Binary(">=", name("engagement"), n(20)))


def test_send_limit_and_quiet_hours():
    limit, quiet = body("send limit 3 per 1 week\nquiet hours 22:00 to 08:30")
    assert limit == ast.SendLimit(3, Duration(1, "week"))
    assert quiet == ast.QuietHours(Clock(22, 0), Clock(8, 30))


def test_quiet_hours_outside_the_day_is_an_error():
    assert syntax_errors("quiet hours 24:00 to 08:00") == ["`24:00` is not a time of day"]


# -------------------------------------------------------------------- rules


def test_the_users_own_first_example_parses_as_written_without_a_label():
    rule = one("on purchase count>=3 within 6 months add 15")
    assert rule == Rule(None, OnEvent("purchase", None, CountClause(">=", 3, Duration(6, "month"))),
                        (Add(n(15)),))


def test_on_rule_with_every_clause():
    rule = one('rule r: on purchase where amount > 100 count == 3 within 30 days '
               'when engagement < 50 add 10, tag "big" once up to 2 times')
    assert rule == Rule(
        "r",
        OnEvent("purchase", Binary(">", name("amount"), n(100)),
                CountClause("==", 3, Duration(30, "day")), Binary("<", name("engagement"), n(50))),
        (Add(n(10)), Tag("big")),
        (Once(), UpTo(2)))


def test_count_without_within_counts_the_whole_history():
    assert one("on purchase count > 3 add 1").trigger.count == CountClause(">", 3, None)


def test_when_rule():
    assert one("rule hot: when engagement >= 60 notify \"sales\"") == Rule(
        "hot", WhenCond(Binary(">=", name("engagement"), n(60))), (Send("notify", "sales"),))


@pytest.mark.parametrize("text, without", [
    ("every 30 days without activity subtract 5", None),
    ("every 2 weeks without email_open subtract 5", "email_open"),
], ids=["activity", "event"])
def test_every_rule(text, without):
    rule = one(text)
    assert rule.trigger == Every(rule.trigger.every, without)
    assert rule.actions == (Add(n(5), None, True),)


def test_on_enter_and_exit_stage():
    enter, leave = body('on enter sql notify "sales"\non exit sql send "nurture_restart"')
    assert enter == Rule(None, OnStage("enter", "sql"), (Send("notify", "sales"),))
    assert leave == Rule(None, OnStage("exit", "sql"), (Send("send", "nurture_restart"),))


@pytest.mark.parametrize("text, action", [
    ('while lead.industry in ["retail", "moda"] add 10',
     Add(n(10))),
    ('while lead.country == "ES" add 5 to fit', Add(n(5), "fit")),
    ('while lead.country == "ES" subtract 5 from fit', Add(n(5), "fit", True)),
], ids=["add", "add-to", "subtract-from"])
def test_while_rule(text, action):
    rule = one(text)
    assert isinstance(rule.trigger, While)
    assert rule.actions == (action,) and rule.modifiers == ()


def test_while_rule_takes_no_modifiers():
    assert syntax_errors('while lead.country == "ES" add 5 once')


def test_while_condition_is_kept():
    assert one('while lead.industry in ["retail", "moda"] add 10').trigger == While(
        In(LeadField("industry"), (s("retail"), s("moda"))))


# ------------------------------------------------------------------ actions


@pytest.mark.parametrize("text, action", [
    ("add 5", Add(n(5))),
    ("add 5 to fit", Add(n(5), "fit")),
    ("add amount / 10", Add(Binary("/", name("amount"), n(10)))),
    ("subtract 3", Add(n(3), None, True)),
    ("subtract 3 from fit", Add(n(3), "fit", True)),
    ("subtract 25%", SubtractPercent(25)),
    ("subtract 12.5% from fit", SubtractPercent(12.5, "fit")),
    ('set lead.segment = "vip"', SetField("segment", s("vip"))),
    ('tag "vip"', Tag("vip")),
    ('untag "vip"', Tag("vip", True)),
    ('send "offer"', Send("send", "offer")),
    ('send "offer" with code = "X", discount = 10',
     Send("send", "offer", (Arg("code", s("X")), Arg("discount", n(10))))),
    ('notify "sales"', Send("notify", "sales")),
    ('notify "sales" with lead_score = engagement',
     Send("notify", "sales", (Arg("lead_score", name("engagement")),))),
    ("start cart_recovery", FlowControl("start", "cart_recovery")),
    ("stop cart_recovery", FlowControl("stop", "cart_recovery")),
], ids=lambda v: v if isinstance(v, str) else "")
def test_each_action(text, action):
    assert one(f"on purchase {text}").actions == (action,)


def test_actions_after_send_arguments_are_regrouped():
    rule = one('on purchase send "offer" with code = "X", n = 2, tag "t", add 1')
    assert rule.actions == (Send("send", "offer", (Arg("code", s("X")), Arg("n", n(2)))),
                            Tag("t"), Add(n(1)))


def test_an_argument_without_send_is_an_error():
    assert syntax_errors("on purchase add 1, code = 2") == ["`code = ...` is not an action"]


# ---------------------------------------------------------------- modifiers


@pytest.mark.parametrize("text, modifier", [
    ("once", Once()),
    ("once per 1 day", Once(Duration(1, "day"))),
    ("up to 3 times", UpTo(3)),
    ("capped at 40", CappedAt(40)),
    ("capped at 12.5", CappedAt(12.5)),
    ("expires after 90 days", ExpiresAfter(Duration(90, "day"))),
], ids=["once", "once-per", "up-to", "capped-at", "capped-at-decimal", "expires-after"])
def test_each_modifier(text, modifier):
    assert one(f"on purchase add 1 {text}").modifiers == (modifier,)


def test_modifiers_combine_in_order():
    rule = one("on purchase add 1 once per 7 days capped at 20 expires after 1 month")
    assert rule.modifiers == (Once(Duration(7, "day")), CappedAt(20),
                              ExpiresAfter(Duration(1, "month")))


# ---------------------------------------------------------------- durations


@pytest.mark.parametrize("word", [u + p for u in ast.UNITS for p in ("", "s")])
def test_every_duration_unit_singular_and_plural(word):
    singular = word.rstrip("s")
    assert one(f"on purchase add 1 once per 2 {word}").modifiers == (Once(Duration(2, singular)),)


def test_a_duration_is_also_a_value():
    assert expr("since(purchase) > 30 days") == Binary(
        ">", Since("purchase"), DurationExpr(Duration(30, "day")))


# -------------------------------------------------------------- expressions


@pytest.mark.parametrize("text, tree", [
    ("a or b and c", Binary("or", name("a"), Binary("and", name("b"), name("c")))),
    ("a and b or c", Binary("or", Binary("and", name("a"), name("b")), name("c"))),
    ("not a and b", Binary("and", Unary("not", name("a")), name("b"))),
    ("not a == 1", Unary("not", Binary("==", name("a"), n(1)))),
    ("not not a", Unary("not", Unary("not", name("a")))),
    ("a + b * c > 1", Binary(">", Binary("+", name("a"), Binary("*", name("b"), name("c"))), n(1))),
    ("a - b - c == 0", Binary("==", Binary("-", Binary("-", name("a"), name("b")), name("c")), n(0))),
    ("a / b / c == 0", Binary("==", Binary("/", Binary("/", name("a"), name("b")), name("c")), n(0))),
    ("(a + b) * c == 0", Binary("==", Binary("*", Binary("+", name("a"), name("b")), name("c")), n(0))),
    ("-a * b < 0", Binary("<", Binary("*", Unary("-", name("a")), name("b")), n(0))),
    ("a * -b < 0", Binary("<", Binary("*", name("a"), Unary("-", name("b"))), n(0))),
    ("- - 1 < 0", Binary("<", Unary("-", Unary("-", n(1))), n(0))),
    ("a != 1 or b <= 2", Binary("or", Binary("!=", name("a"), n(1)), Binary("<=", name("b"), n(2)))),
    ("a and (b or c)", Binary("and", name("a"), Binary("or", name("b"), name("c")))),
], ids=lambda v: v if isinstance(v, str) else "")
def test_precedence_and_associativity(text, tree):
    assert expr(text) == tree


@pytest.mark.parametrize("text, tree", [
    ('country in ["ES", "PT"]', In(name("country"), (s("ES"), s("PT")))),
    ("x not in [1, -2, 3.5]", In(name("x"), (n(1), n(-2), n(3.5)), True)),
    ("x in []", In(name("x"), ())),
    ("flag in [true, false]", In(name("flag"), (Bool(True), Bool(False)))),
    ('url matches "*/tacon*"', Matches(name("url"), "*/tacon*")),
    ("category is missing", IsMissing(name("category"))),
    ("category is not missing", IsMissing(name("category"), True)),
    ('stage == "mql"', Binary("==", StageValue(), s("mql"))),
    ('tagged "vip"', Tagged("vip")),
    ("lead.country == lead.region", Binary("==", LeadField("country"), LeadField("region"))),
    ("paid == true", Binary("==", name("paid"), Bool(True))),
    ("paid == false", Binary("==", name("paid"), Bool(False))),
    ("amount > 99.95", Binary(">", name("amount"), n(99.95))),
    ("amount > -5", Binary(">", name("amount"), Unary("-", n(5)))),
], ids=lambda v: v if isinstance(v, str) else "")
def test_operators_and_atoms(text, tree):
    assert expr(text) == tree


def test_strings_use_json_escapes():
    assert expr(r'x == "a\"b\\c\n\u00e9"') == Binary("==", name("x"), s('a"b\\c\né'))


@pytest.mark.parametrize("text, aggregate", [
    ("count(purchase)", Aggregate("count", "purchase")),
    ("count(purchase where amount > 100)",
     Aggregate("count", "purchase", None, Binary(">", name("amount"), n(100)))),
    ("count(purchase within 6 months)",
     Aggregate("count", "purchase", None, None, Duration(6, "month"))),
    ("count(purchase where amount > 100 within 1 year)",
     Aggregate("count", "purchase", None, Binary(">", name("amount"), n(100)),
               Duration(1, "year"))),
    ("sum(purchase.amount)", Aggregate("sum", "purchase", "amount")),
    ("min(purchase.amount within 30 days)",
     Aggregate("min", "purchase", "amount", None, Duration(30, "day"))),
    ("max(purchase.amount where category == \"botas\")",
     Aggregate("max", "purchase", "amount", Binary("==", name("category"), s("botas")))),
    ("avg(purchase.amount)", Aggregate("avg", "purchase", "amount")),
    ("distinct(page_view.url within 7 days)",
     Aggregate("distinct", "page_view", "url", None, Duration(7, "day"))),
], ids=lambda v: v if isinstance(v, str) else "")
def test_aggregates(text, aggregate):
    assert expr(f"{text} >= 1") == Binary(">=", aggregate, n(1))


def test_since_with_and_without_filter():
    assert expr("since(purchase) > 1 hour") == Binary(
        ">", Since("purchase"), DurationExpr(Duration(1, "hour")))
    assert expr("since(purchase where amount > 5) > 1 hour").left == Since(
        "purchase", Binary(">", name("amount"), n(5)))


# -------------------------------------------------------------------- flows


def test_flow_with_triggers_waits_and_nested_if_else():
    flow = one('''
        flow cart_recovery
          start on page_view where url matches "*/mi_cesta*"
          start on search
          stop on page_view where url matches "*/gracias*"
          stop on purchase
          send "cart_items"
          wait 2 days
          if engagement > 10
            send "vip", tag "vip"
            if tagged "x"
              wait 1 hour
            end
          else
            send "plain"
          end
          start other_flow
          stop cart_recovery
        end
    ''')
    assert flow == FlowDecl(
        "cart_recovery",
        (FlowTrigger("start", "page_view", Matches(name("url"), "*/mi_cesta*")),
         FlowTrigger("start", "search"),
         FlowTrigger("stop", "page_view", Matches(name("url"), "*/gracias*")),
         FlowTrigger("stop", "purchase")),
        (Send("send", "cart_items"),
         Wait(Duration(2, "day")),
         If(Binary(">", name("engagement"), n(10)),
            (Send("send", "vip"), Tag("vip"), If(Tagged("x"), (Wait(Duration(1, "hour")),))),
            (Send("send", "plain"),)),
         FlowControl("start", "other_flow"),
         FlowControl("stop", "cart_recovery")))


def test_empty_if_branches_and_empty_flow():
    flow = one("flow f start on x if a > 1 end end")
    assert flow == FlowDecl("f", (FlowTrigger("start", "x"),),
                            (If(Binary(">", name("a"), n(1)), (), ()),))


# -------------------------------------------------------------------- tests


def test_test_block_with_every_step_form():
    block = one('''
        test "third purchase"
          lead(country: "ES", vip: true, age: -3)
          at 2024-01-10 purchase(amount: 50, category: "botas")
          at 2024-01-10T09:30 registration
          at 2024-03-01T09:30:00Z email_open()
          at 2024-03-01T09:30:00+02:00 expect engagement == 0
          at 2024-03-01T09:30:00.5-05:00 expect stage == "mql"
          expect engagement == 15
          expect sent "offer"
          expect not sent "coupon"
          expect notified "sales"
          expect not notified "support"
          expect tagged "vip"
          expect not tagged "cold"
        end
    ''')
    assert block == ast.TestBlock("third purchase", (
        ast.TestLead((FieldValue("country", s("ES")), FieldValue("vip", Bool(True)),
                  FieldValue("age", n(-3)))),
        ast.TestEvent(TimeLiteral("2024-01-10"), "purchase",
                  (FieldValue("amount", n(50)), FieldValue("category", s("botas")))),
        ast.TestEvent(TimeLiteral("2024-01-10T09:30"), "registration"),
        ast.TestEvent(TimeLiteral("2024-03-01T09:30:00Z"), "email_open"),
        Expect(Binary("==", name("engagement"), n(0)), TimeLiteral("2024-03-01T09:30:00+02:00")),
        Expect(Binary("==", StageValue(), s("mql")), TimeLiteral("2024-03-01T09:30:00.5-05:00")),
        Expect(Binary("==", name("engagement"), n(15))),
        Expect(Sent("send", "offer")),
        Expect(Unary("not", Sent("send", "coupon"))),
        Expect(Sent("notify", "sales")),
        Expect(Unary("not", Sent("notify", "support"))),
        Expect(Tagged("vip")),
        Expect(Unary("not", Tagged("cold"))),
    ))


def test_a_tests_file():
    decls = body('tests for "zapateria.leadflow"\ntest "empty" end')
    assert decls == (ast.TestsFor("zapateria.leadflow"), ast.TestBlock("empty", ()))


# -------------------------------------------------- whole files and layout


SPEC_EXAMPLE = (Path(__file__).resolve().parents[1] / "spec_section_1.leadflow").read_text(
    "utf-8")


def test_the_spec_example_parses():
    module = parse(SPEC_EXAMPLE, "zapateria.leadflow")
    kinds = [type(d).__name__ for d in module.body]
    assert kinds.count("Rule") == 10 and kinds.count("FlowDecl") == 1
    assert kinds.count("TestBlock") == 1 and kinds.count("EventDecl") == 6
    rules = {d.name: d for d in module.body if isinstance(d, Rule)}
    assert rules["loyal_offer"].actions == (
        Send("send", "offer", (Arg("category", name("category")),)),)
    assert rules["cooling"].trigger == Every(Duration(30, "day"), None)


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.leadflow")),
                         ids=lambda p: p.name)
def test_every_example_file_parses(path):
    assert parse(path.read_text("utf-8"), str(path)).body


def test_layout_does_not_change_the_tree():
    compact = parse("rule r: on purchase where amount > 1 add 1, tag \"t\" once", "a")
    spread = parse("rule r :\n  on purchase\n    where amount>1\n  add 1 ,\n  tag \"t\"\n  once\n", "b")
    assert compact.body == spread.body


def test_empty_file_and_only_comments():
    assert parse("", "e").body == ()
    module = parse("# nothing here\n\n   # still nothing\n", "c")
    assert module.body == ()
    assert [c.text for c in module.comments] == ["# nothing here", "# still nothing"]


def test_comments_are_collected_with_their_positions():
    module = parse(textwrap.dedent('''\
        # header
        event purchase  # trailing
        on purchase add 1 # after a rule
        test "hash # inside a string is not a comment"
          # inside a test
        end
    '''), "c.leadflow")
    assert [(c.text, c.span.line, c.span.column) for c in module.comments] == [
        ("# header", 1, 1), ("# trailing", 2, 17), ("# after a rule", 3, 19),
        ("# inside a test", 5, 3)]
    assert module.body[2].name == "hash # inside a string is not a comment"


def test_comments_of_one_parse_do_not_leak_into_the_next():
    parse("# one\n", "a")
    with pytest.raises(LeadflowError):
        parse("# two\non", "b")
    assert [c.text for c in parse("# three\n", "c").comments] == ["# three"]


# -------------------------------------------------------------------- spans


def test_spans_of_a_rule_and_its_parts():
    module = parse("event purchase(amount: number)\n\n  rule big: on purchase where amount > 100 add 10\n",
                   "s.leadflow")
    rule = module.body[1]
    assert (rule.span.file, rule.span.line, rule.span.column) == ("s.leadflow", 3, 3)
    assert (rule.span.end_line, rule.span.end_column) == (3, 50)
    assert (rule.trigger.span.line, rule.trigger.span.column) == (3, 13)
    where = rule.trigger.where
    assert (where.span.column, where.span.end_column) == (31, 43)
    assert (where.right.span.column, where.right.span.end_column) == (40, 43)
    assert (rule.actions[0].span.column, rule.actions[0].span.end_column) == (44, 50)


def test_spans_of_blocks_cover_their_lines():
    module = parse('flow f\n  start on x\n  wait 2 days\nend\ntest "t"\n  expect a == 1\nend\n', "b")
    flow, test = module.body
    assert (flow.span.line, flow.span.column, flow.span.end_line, flow.span.end_column) == (1, 1, 4, 4)
    assert (flow.steps[0].span.line, flow.steps[0].span.column) == (3, 3)
    assert (test.span.line, test.span.end_line) == (5, 7)
    assert (test.steps[0].span.line, test.steps[0].span.column) == (6, 3)


def test_module_span_covers_the_file():
    module = parse("event a\nevent b\n", "m")
    assert (module.span.line, module.span.end_line) == (1, 3)


def test_the_implicit_score_can_be_named_although_score_is_a_keyword():
    module = parse("on e add 1 to score\nwhen score > 2 subtract 5% from score\n", "s.leadflow")
    first, second = module.body
    assert first.actions[0].score == "score"
    assert second.trigger.cond.left == ast.Name("score")
    assert second.actions[0].score == "score"
