"""analyzers.fleet.sqlrefs against sqlglot's parse (the witness): the same tables for the reference
saved queries and for the shapes that trip a naive reader."""

from __future__ import annotations

import pytest

from ccwb_doctor.analyzers.cfn.template import load_template
from ccwb_doctor.analyzers.fleet.sqlrefs import SqlError, table_refs
from ccwb_doctor.reference_infra.deploy import TEMPLATES_DIR

sqlglot = pytest.importorskip("sqlglot")
from sqlglot import exp  # noqa: E402

SHAPES = [
    "SELECT * FROM a, (SELECT 1 FROM b) x, c JOIN d ON a.k = d.k",
    'SELECT extract(year FROM ts), substring(s FROM 2) FROM "Db"."Tbl" -- FROM commented',
    "WITH q AS (SELECT 1 FROM r), w (c) AS (SELECT 2 FROM q) SELECT * FROM q, w, s",
    "select x from t where y in (select z from u) and exists (select 1 from v)",
    "SELECT 'FROM fake' AS s, /* FROM also fake */ 1 FROM real_table AS rt",
    "SELECT * FROM t1 LEFT JOIN (t2 CROSS JOIN t3) ON true",
    "SELECT * FROM db.t CROSS JOIN UNNEST(t.arr) AS u (e) JOIN other o ON o.id = e",
    "SELECT * FROM (SELECT * FROM inner_t) UNION ALL SELECT * FROM second_t",
]


def _witness(sql: str) -> list[str]:
    tree = sqlglot.parse_one(sql, read="athena")
    ctes = {c.alias for c in tree.find_all(exp.CTE)}
    names = [".".join(p for p in (t.db, t.name) if p).lower() for t in tree.find_all(exp.Table)]
    return sorted(n for n in names if n not in ctes)


@pytest.mark.parametrize("sql", SHAPES)
def test_tables_match_the_parser(sql: str) -> None:
    assert sorted(r.name for r in table_refs(sql)) == _witness(sql)


def test_reference_saved_queries_match_the_parser() -> None:
    tpl = load_template(
        TEMPLATES_DIR / "monitoring.yaml", {"EnableFleetRouting": "true", "EnableDataLake": "true"}
    )
    queries = [
        tpl.resolve(r.properties)["QueryString"]
        for r in tpl.resources.values()
        if r.type == "AWS::Athena::NamedQuery"
    ]
    assert len(queries) == 3
    for sql in queries:
        assert [r.name for r in table_refs(sql)] == _witness(sql) == ["ccwb_doctor_checks"]


def test_lines_are_counted_through_comments_and_literals() -> None:
    sql = "SELECT 'a\nb' /* x\ny */\n-- z\nFROM t"
    assert [(r.name, r.line) for r in table_refs(sql)] == [("t", 5)]


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("SELECT 'x FROM t", "unterminated string"),
        ('SELECT "x FROM t', "unterminated quoted identifier"),
        ("SELECT 1 /* FROM t", "unterminated /* comment"),
        ("SELECT (1 FROM t", "never closed"),
        ("SELECT 1) FROM t", "')' without '('"),
    ],
)
def test_malformed_text_is_one_clear_error(sql: str, why: str) -> None:
    with pytest.raises(SqlError, match=why.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")):
        table_refs(sql)
