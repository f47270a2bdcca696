"""Names in the user's language (`score puntuación`, `event compra`): Python's identifier
rules after NFKC normalization, through check, fmt, test, compile, run and explain.
User names reach compiled modules only as string literals; identifiers stay generated."""

from __future__ import annotations

import ast as python_ast
import importlib.util
import unicodedata

import pytest
from shop_log import leadflow, read_csv

from leadflow.dsl.parser import parse

RULES = '''ruleset zapatería
timezone "Europe/Madrid"
event compra(importe: number, categoría: text)
event visita_página(dirección: text)
lead(país: text)
score puntuación min 0
stage visitante
stage interesado when puntuación >= 10
rule grande:             on compra where importe > 100 add 10 to puntuación
rule categoría_favorita: on compra
  when count(compra where categoría == this.categoría) == 2
  send "favorita" with categoría = categoría
rule españa:             while lead.país == "ES" add 1
rule 購入:               on compra where categoría == "靴" add 2

flow recuperación
  start on visita_página where lower(dirección) contains "cesta"
  stop on compra
  send "carrito" with dirección = dirección
end

test "una compra grande"
  lead(país: "ES")
  at 2024-01-10T10:00 compra(importe: 150, categoría: "botas")
  expect puntuación == 11
  expect stage == "interesado"
  at 2024-01-11T10:00 compra(importe: 20, categoría: "botas")
  expect sent "favorita" with categoría = "botas"
end
'''

EVENTS = ("lead_id,event,ts,importe,categoría,dirección\n"
          "l1,visita_página,2024-01-10T09:00:00,,,/Mi-Cesta\n"
          "l1,compra,2024-01-10T10:00:00,150,botas,\n"
          "l1,compra,2024-01-11T10:00:00,20,botas,\n"
          "l1,compra,2024-01-12T10:00:00,5,靴,\n")


@pytest.fixture
def files(tmp_path):
    rules = tmp_path / "zapatería.leadflow"
    rules.write_text(RULES, encoding="utf-8")
    events = tmp_path / "eventos.csv"
    events.write_text(EVENTS, encoding="utf-8")
    return rules, events


def test_check_fmt_and_test_accept_unicode_names(files):
    rules, _ = files
    assert leadflow("check", rules).exit_code == 0
    assert leadflow("fmt", "--check", rules).exit_code == 0
    result = leadflow("test", rules)
    assert result.exit_code == 0, result.output
    assert "1 passed, 0 failed" in result.output


def test_names_are_nfkc_normalized_like_python_identifiers():
    decomposed = unicodedata.normalize("NFD", "puntuación")
    module = parse(f"score {decomposed}\nscore ﬁn\n", "n.leadflow")
    assert [d.name for d in module.body] == ["puntuación", "fin"]


@pytest.mark.parametrize("text, message", [
    ("event a😀b\n", "`a😀b` is not a valid name: it contains `😀` (U+1F600)"),
    ("event ｅｖｅｎｔ\n", "`ｅｖｅｎｔ` reads as the reserved word `event`"),
])
def test_a_name_that_is_not_an_identifier_is_an_error(tmp_path, text, message):
    path = tmp_path / "bad.leadflow"
    path.write_text(text, encoding="utf-8")
    result = leadflow("check", path)
    assert result.exit_code == 1
    assert f"{path}:1:7: error: {message}" in result.output


def test_compiled_module_pastes_no_user_name_into_code(files, tmp_path):
    rules, _ = files
    out = tmp_path / "compiled.py"
    assert leadflow("compile", rules, "-o", out).exit_code == 0
    source = out.read_text("utf-8")
    tree = python_ast.parse(source)
    identifiers = {node.id for node in python_ast.walk(tree) if isinstance(node, python_ast.Name)}
    identifiers |= {node.name for node in python_ast.walk(tree)
                    if isinstance(node, (python_ast.FunctionDef, python_ast.ClassDef))}
    identifiers |= {node.arg for node in python_ast.walk(tree) if isinstance(node, python_ast.arg)}
    assert all(name.isascii() for name in identifiers), sorted(n for n in identifiers if not n.isascii())
    assert "'puntuación'" in source and "'購入'" in source  # as literals, through repr
    spec = importlib.util.spec_from_file_location("compiled_unicode", out)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.SCORES == ("puntuación",)


@pytest.mark.parametrize("engine", ["compiled", "interpreter"])
def test_run_and_explain_with_unicode_names(files, tmp_path, engine):
    rules, events = files
    out = tmp_path / f"out_{engine}"
    result = leadflow("run", rules, events, "--out", out, "--engine", engine)
    assert result.exit_code == 0, result.output
    [lead] = read_csv(out / "leads.csv")
    assert lead == {"lead_id": "l1", "puntuación": "12", "stage": "interesado", "tags": "",
                    "first_seen": "2024-01-10T08:00:00Z", "last_activity": "2024-01-12T09:00:00Z",
                    "stage_since": "2024-01-10T09:00:00Z"}
    actions = [(a["rule"], a["target"], a["args"]) for a in read_csv(out / "actions.csv")]
    assert actions == [("recuperación", "carrito", '{"dirección": "/Mi-Cesta"}'),
                       ("categoría_favorita", "favorita", '{"categoría": "botas"}')]
    explained = leadflow("explain", rules, events, "--lead", "l1", "--engine", engine)
    assert explained.exit_code == 0, explained.output
    assert "購入: add 2 → puntuación 12" in explained.stdout
