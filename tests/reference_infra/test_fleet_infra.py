"""monitoring.yaml's fleet view of ccwb-doctor's OTLP export: the collector routing, the Glue table, the
Athena saved queries and the writer's IAM, each held to the attribute names in
``ccwb_doctor.analyzers.fleet.otlp_names`` and to outside witnesses (sqlglot parses the SQL as Athena and
Trino; opentelemetry-proto's JSON mapping produces the OTLP/JSON the table must read).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
import yaml

from ccwb_doctor.analyzers.cfn.template import load_template
from ccwb_doctor.analyzers.fleet import otlp_names as N
from ccwb_doctor.reference_infra.deploy import TEMPLATES_DIR

sqlglot = pytest.importorskip("sqlglot")
from sqlglot import exp  # noqa: E402

MON = TEMPLATES_DIR / "monitoring.yaml"
LAKE = {"EnableFleetRouting": "true", "EnableDataLake": "true"}
LOGS_ONLY = {"EnableFleetRouting": "true"}
QUERIES = ("FleetQueryFailingNow", "FleetQueryNoPassingRun", "FleetQueryFailuresByHelper")


def _tpl(params: dict[str, str]) -> Any:
    return load_template(MON, {"LogRetentionDays": "90", **params})


def _merge(base: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    """The collector's merge of --config sources: maps merge key by key, anything else is replaced."""
    out = dict(base)
    for k, v in more.items():
        out[k] = _merge(out[k], v) if isinstance(out.get(k), dict) and isinstance(v, dict) else v
    return out


def _collector(params: dict[str, str]) -> dict[str, Any]:
    tpl = _tpl(params)
    (c,) = tpl.resolve(tpl.resources["CollectorTask"].properties)["ContainerDefinitions"]
    env = {e["Name"]: e["Value"] for e in c["Environment"]}
    sources = [arg.removeprefix("--config=env:") for arg in c["Command"]]
    assert all(arg.startswith("--config=env:") for arg in c["Command"])
    assert sorted(sources) == sorted(env), "every fragment is loaded, every loaded fragment exists"
    config: dict[str, Any] = {}
    for name in sources:
        config = _merge(config, yaml.safe_load(env[name]))
    return config


@pytest.mark.parametrize("params", [{}, LOGS_ONLY, LAKE], ids=["off", "logs", "lake"])
def test_every_pipeline_component_is_defined(params: dict[str, str]) -> None:
    cfg = _collector(params)
    for name, pipe in cfg["service"]["pipelines"].items():
        for kind in ("receivers", "processors", "exporters"):
            for comp in pipe.get(kind, []):
                assert comp in cfg[kind], f"{name}: {kind[:-1]} {comp} is not defined"
    used = {c for p in cfg["service"]["pipelines"].values() for k in p.values() for c in k}
    for kind in ("receivers", "processors", "exporters"):
        assert set(cfg[kind]) <= used, f"unused {kind}: {set(cfg[kind]) - used}"


def _condition(text: str) -> tuple[str, str, str]:
    """An OTTL condition of the shape resource.attributes["k"] ==|!= "v" (also a Python expression,
    so Python's own parser takes it apart): (key, operator, value)."""
    node = ast.parse(text, mode="eval").body
    assert isinstance(node, ast.Compare) and len(node.ops) == 1, text
    left, right = node.left, node.comparators[0]
    assert isinstance(left, ast.Subscript) and ast.unparse(left.value) == "resource.attributes", text
    assert isinstance(left.slice, ast.Constant) and isinstance(right, ast.Constant), text
    op = {ast.Eq: "==", ast.NotEq: "!="}[type(node.ops[0])]
    return left.slice.value, op, right.value


def _dropped(cfg: dict[str, Any], processor: str, signal: str, resource: dict[str, str]) -> bool:
    conf = cfg["processors"][processor]
    assert conf["error_mode"] == "ignore"
    context = {"logs": "log_record", "metrics": "metric"}[signal]
    for text in conf.get(signal, {}).get(context, []):
        key, op, value = _condition(text)
        assert (key, value) == (N.SERVICE_NAME, N.SERVICE_NAME_VALUE), text
        # OTTL: a missing attribute is nil, which equals no string
        if (resource.get(key) == value) is (op == "=="):
            return True
    return False


def _routes(cfg: dict[str, Any], signal: str, resource: dict[str, str]) -> set[str]:
    """The exporters a record of ``signal`` from ``resource`` reaches (every pipeline of the signal
    receives it from the otlp receiver; a filter processor may drop it)."""
    out: set[str] = set()
    for name, pipe in cfg["service"]["pipelines"].items():
        if name.split("/")[0] != signal or "otlp" not in pipe["receivers"]:
            continue
        filters = [p for p in pipe["processors"] if p.split("/")[0] == "filter"]
        if not any(_dropped(cfg, f, signal, resource) for f in filters):
            out |= set(pipe["exporters"])
    return out


DOCTOR = {N.SERVICE_NAME: N.SERVICE_NAME_VALUE, N.OS_TYPE: "linux", N.HOST_ID: "h1"}
CLAUDE = {N.SERVICE_NAME: "claude-code", "user.email": "dev@example.com"}
ANONYMOUS: dict[str, str] = {}


@pytest.mark.parametrize(
    ("params", "doctor_logs", "doctor_metrics"),
    [
        ({}, set(), set()),
        (LOGS_ONLY, {"awscloudwatchlogs/ccwb_doctor"}, {"awsemf/ccwb_doctor"}),
        (LAKE, {"awscloudwatchlogs/ccwb_doctor", "awss3/ccwb_doctor"}, {"awsemf/ccwb_doctor"}),
    ],
    ids=["off", "logs", "lake"],
)
def test_doctor_records_go_only_to_the_fleet_exporters(
    params: dict[str, str], doctor_logs: set[str], doctor_metrics: set[str]
) -> None:
    cfg = _collector(params)
    assert _routes(cfg, "logs", DOCTOR) == doctor_logs
    assert _routes(cfg, "metrics", DOCTOR) == doctor_metrics
    for other in (CLAUDE, ANONYMOUS):  # Claude Code's usage stays where it was, and no further
        assert _routes(cfg, "metrics", other) == {"awsemf"}
        assert _routes(cfg, "logs", other) == set()


def test_fleet_exporters_write_to_the_template_log_groups_with_retention() -> None:
    tpl = _tpl(LAKE)
    cfg = _collector(LAKE)
    groups = {
        lid: tpl.resolve(tpl.resources[lid].properties) for lid in ("FleetLogGroup", "FleetMetricsLogGroup")
    }
    assert (
        cfg["exporters"]["awscloudwatchlogs/ccwb_doctor"]["log_group_name"]
        == groups["FleetLogGroup"]["LogGroupName"]
    )
    assert (
        cfg["exporters"]["awsemf/ccwb_doctor"]["log_group_name"]
        == groups["FleetMetricsLogGroup"]["LogGroupName"]
    )
    assert {g["RetentionInDays"] for g in groups.values()} == {"90"}
    assert cfg["exporters"]["awsemf/ccwb_doctor"]["namespace"] != cfg["exporters"]["awsemf"]["namespace"]


def _statements(params: dict[str, str]) -> dict[str, dict[str, Any]]:
    tpl = _tpl(params)
    (pol,) = tpl.resolve(tpl.resources["CollectorTaskRole"].properties)["Policies"]
    return {s["Sid"]: s for s in pol["PolicyDocument"]["Statement"]}


def test_the_collector_may_write_only_where_the_fleet_routes() -> None:
    assert {"FleetLogs", "FleetLake"}.isdisjoint(_statements({}))
    assert "FleetLake" not in _statements(LOGS_ONLY)
    sts = _statements(LAKE)
    up = _collector(LAKE)["exporters"]["awss3/ccwb_doctor"]["s3uploader"]
    assert sts["FleetLake"]["Action"] == ["s3:PutObject"]
    raw = load_template(MON, LAKE).resources["CollectorTaskRole"].properties
    lake = raw["Policies"][0]["PolicyDocument"]["Statement"][3]["Fn::If"][1]
    assert lake["Resource"] == {"Fn::Sub": "${DataLakeBucket.Arn}/" + up["s3_prefix"] + "/*"}
    assert up["s3_bucket"] == _tpl(LAKE).resolve({"Ref": "DataLakeBucket"})
    assert sts["FleetLogs"]["Action"] == [
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "logs:DescribeLogStreams",
    ]
    logs = raw["Policies"][0]["PolicyDocument"]["Statement"][2]["Fn::If"][1]
    assert logs["Resource"] == [
        {"Fn::GetAtt": ["FleetLogGroup", "Arn"]},
        {"Fn::GetAtt": ["FleetMetricsLogGroup", "Arn"]},
    ]


# ---- the Glue table against the OTLP/JSON the awss3 exporter writes --------------------------------


def _table(params: dict[str, str] = LAKE) -> dict[str, Any]:
    tpl = _tpl(params)
    return tpl.resolve(tpl.resources["FleetChecksTable"].properties)["TableInput"]


def _glue_type() -> Any:
    (col,) = _table()["StorageDescriptor"]["Columns"]
    assert col["Name"] == "resourcelogs"
    return exp.DataType.build("struct<resourcelogs:" + col["Type"] + ">", dialect="hive")


def _otlp_json() -> dict[str, Any]:
    """One run's export as OTLP/JSON, built and serialised by opentelemetry-proto (camelCase keys, int64
    as strings, enums as integers: the OTLP/JSON mapping the collector's pdata marshaler follows)."""
    pytest.importorskip("opentelemetry.proto.collector.logs.v1.logs_service_pb2")
    from google.protobuf.json_format import MessageToDict
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
    from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
    from opentelemetry.proto.resource.v1.resource_pb2 import Resource

    def kv(k: str, v: str) -> KeyValue:
        return KeyValue(key=k, value=AnyValue(string_value=v))

    res = Resource(attributes=[kv(k, "x") for k in N.RESOURCE_ATTRIBUTES])
    rec = LogRecord(
        time_unix_nano=1_780_000_000_123_456_789,
        observed_time_unix_nano=1_780_000_000_223_456_789,
        severity_number=13,
        severity_text="WARN",
        body=AnyValue(string_value="message"),
        attributes=[kv(k, "y") for k in N.RECORD_ATTRIBUTES],
    )
    req = ExportLogsServiceRequest(
        resource_logs=[ResourceLogs(resource=res, scope_logs=[ScopeLogs(log_records=[rec])])]
    )
    req.resource_logs[0].scope_logs[0].scope.name = N.SCOPE_NAME
    return MessageToDict(req, use_integers_for_enums=True)


def _paths(doc: Any, prefix: tuple[str, ...] = ()) -> set[tuple[tuple[str, ...], type]]:
    """Leaf paths of a JSON document, keys lower-cased as the OpenX SerDe matches them; list items
    share their list's path."""
    if isinstance(doc, dict):
        return {p for k, v in doc.items() for p in _paths(v, (*prefix, k.lower()))}
    if isinstance(doc, list):
        return {p for v in doc for p in _paths(v, prefix)}
    return {(prefix, type(doc))}


def _field(t: Any, name: str) -> Any:
    while t.this == exp.DataType.Type.ARRAY:
        t = t.expressions[0]
    assert t.this == exp.DataType.Type.STRUCT, (name, t.sql("hive"))
    kinds = {c.name: c.args["kind"] for c in t.expressions}
    return kinds.get(name)


GLUE_OF = {str: {"STRING", "TEXT", "VARCHAR"}, int: {"INT", "BIGINT"}, float: {"DOUBLE"}, bool: {"BOOLEAN"}}


def _assert_fits_the_table(doc: dict[str, Any]) -> None:
    """Every value of an OTLP/JSON document has a Glue column of its JSON type."""
    glue = _glue_type()
    for path, pytype in _paths(doc):
        t = glue
        for step in path:
            t = _field(t, step)
            assert t is not None, f"no column for {'.'.join(path)}"
        assert t.this.name in GLUE_OF[pytype], (path, t.sql("hive"), pytype)


def test_every_value_of_the_export_has_a_column_of_its_json_type() -> None:
    doc = _otlp_json()
    assert isinstance(doc["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["timeUnixNano"], str)
    _assert_fits_the_table(doc)


# ---- the saved queries --------------------------------------------------------------------------


def _queries(params: dict[str, str] = LAKE) -> dict[str, str]:
    tpl = _tpl(params)
    return {lid: tpl.resolve(tpl.resources[lid].properties)["QueryString"] for lid in QUERIES}


@pytest.mark.parametrize("dialect", ["athena", "trino"])
def test_saved_queries_parse_as_athena_engine_3(dialect: str) -> None:
    from sqlglot.errors import ErrorLevel

    for lid, sql in _queries().items():
        (tree,) = sqlglot.parse(sql, read=dialect, error_level=ErrorLevel.RAISE)
        assert isinstance(tree, exp.Select), lid
        ctes = {c.alias for c in tree.find_all(exp.CTE)}
        assert {t.name for t in tree.find_all(exp.Table)} - ctes == {_table()["Name"]}, lid


def _keys_by_map(tree: Any) -> dict[str, set[str]]:
    """element_at(map, 'key') lookups by map name (sqlglot reads element_at as a safe subscript)."""
    out: dict[str, set[str]] = {}
    for b in tree.find_all(exp.Bracket):
        out.setdefault(b.this.name, set()).update(e.this for e in b.expressions if isinstance(e, exp.Literal))
    for call in tree.find_all(exp.Anonymous):
        assert call.name.lower() != "element_at", "element_at read as an unknown function"
    return out


NEEDS = {
    "FleetQueryFailingNow": {
        "res": {N.SERVICE_NAME, N.HOST_ID, N.OS_TYPE, N.HOST_ARCH, N.RUN_ID},
        "attr": {N.CHECK_ID, N.CHECK_STATUS},
    },
    "FleetQueryNoPassingRun": {"res": {N.SERVICE_NAME, N.USER_ID, N.RUN_ID}, "attr": {N.CHECK_STATUS}},
    "FleetQueryFailuresByHelper": {
        "res": {N.SERVICE_NAME, N.HELPER_VERSION, N.HOST_ID},
        "attr": {N.CHECK_ID, N.CHECK_STATUS},
    },
}


@pytest.mark.parametrize("lid", QUERIES)
def test_queries_use_the_export_attribute_names_and_values(lid: str) -> None:
    tree = sqlglot.parse_one(_queries()[lid], read="athena")
    keys = _keys_by_map(tree)
    assert keys == NEEDS[lid]
    assert keys["res"] <= set(N.RESOURCE_ATTRIBUTES) and keys["attr"] <= set(N.RECORD_ATTRIBUTES)
    ins = [{e.this for e in i.expressions} for i in tree.find_all(exp.In)]
    assert ins and all(s == set(N.FAILING) for s in ins), ins
    eqs = {(e.left.sql(), e.right.this) for e in tree.find_all(exp.EQ) if isinstance(e.right, exp.Literal)}
    assert any(v == N.SERVICE_NAME_VALUE for _, v in eqs), eqs
    literals = {lit.this for lit in tree.find_all(exp.Literal) if lit.is_string}
    statuses = literals & {"pass", "warn", "fail", "error", "skip", "ok", "failed", "failure"}
    assert statuses <= set(N.STATUSES)


def _path(node: Any) -> list[str]:
    if isinstance(node, exp.Column):
        return [p.name for p in node.parts]
    if isinstance(node, exp.Dot):
        return [*_path(node.this), node.expression.name]
    if isinstance(node, exp.Identifier):
        return [node.name]
    return []


@pytest.mark.parametrize("lid", QUERIES)
def test_every_path_the_queries_read_is_a_column_of_the_table(lid: str) -> None:
    """UNNEST aliases and lambda parameters bound to the element types they range over; every dotted
    reference through them must name fields the Glue table has."""
    tree = sqlglot.parse_one(_queries()[lid], read="athena")
    glue = _glue_type()
    bound: dict[str, Any] = {"resourcelogs": _field(glue, "resourcelogs")}

    def type_of(path: list[str]) -> Any:
        t = bound.get(path[0])
        for step in path[1:]:
            t = None if t is None else _field(t, step)
        return t

    def element(t: Any) -> Any:
        assert t is not None and t.this == exp.DataType.Type.ARRAY, t
        return t.expressions[0]

    for u in tree.find_all(exp.Unnest):  # in text order: each binds what the next one reads
        (col,) = u.args["alias"].columns
        bound[col.name] = element(type_of(_path(u.expressions[0])))
    for lam in tree.find_all(exp.Lambda):
        (param,) = lam.expressions
        bound[param.name] = element(type_of(_path(lam.parent.this)))
    assert {"rl", "sl", "lr", "a"} <= set(bound)
    checked = 0
    for node in tree.find_all(exp.Column, exp.Dot):
        if isinstance(node.parent, exp.Dot):
            continue  # read as part of the outermost dotted path
        path = _path(node)
        if len(path) > 1 and path[0] in bound:
            assert type_of(path) is not None, f"{lid}: {'.'.join(path)} is not a column path"
            checked += 1
    assert checked >= 8


def test_partition_projection_and_location_follow_the_exporter() -> None:
    table = _table()
    params = table["Parameters"]
    up = _collector(LAKE)["exporters"]["awss3/ccwb_doctor"]["s3uploader"]
    (key,) = table["PartitionKeys"]
    assert table["StorageDescriptor"]["Location"] == f"s3://{up['s3_bucket']}/{up['s3_prefix']}/"
    assert params["storage.location.template"] == f"s3://{up['s3_bucket']}/{up['s3_prefix']}/dt=${{dt}}/"
    assert (key["Name"], up["s3_partition_format"], params["projection.dt.format"]) == (
        "dt",
        "dt=%Y-%m-%d",
        "yyyy-MM-dd",
    )
    assert params["projection.enabled"] == "true"
    assert params["projection.dt.range"] == "NOW-400DAYS,NOW"  # the bucket's expire-raw rule: 400 days


def test_a_real_export_fits_the_table_and_carries_what_the_queries_read(tmp_path: Path, capsys: Any) -> None:
    """End to end: `--export otlp` of a real run, written by the fixture collector in the file exporter's
    OTLP/JSON, has a column of its JSON type for every value, and every key the saved queries read."""
    import json

    from ccwb_doctor.app import export_if_asked, run_report
    from ccwb_doctor.fixtures import scenarios as sc
    from ccwb_doctor.fixtures.collector import FixtureCollector

    out = tmp_path / "otlp.jsonl"
    with FixtureCollector(otlp_json=out) as col:
        s = sc.guidance_install(tmp_path / "home", collector=col.endpoint)
        report = run_report(s.options(mode="offline", timeout=10), env=s.env)
        assert export_if_asked(report, "otlp") is True
        assert col.wait_for(2, timeout=5)
    capsys.readouterr()
    (line,) = out.read_text(encoding="utf-8").splitlines()
    doc = json.loads(line)
    _assert_fits_the_table(doc)
    (rl,) = doc["resourceLogs"]
    res = {a["key"] for a in rl["resource"]["attributes"]}
    recs = rl["scopeLogs"][0]["logRecords"]
    assert len(recs) == len(report.results) and all(int(r["timeUnixNano"]) > 0 for r in recs)
    attr = set.intersection(*({a["key"] for a in r["attributes"]} for r in recs))
    for lid in QUERIES:
        keys = _keys_by_map(sqlglot.parse_one(_queries()[lid], read="athena"))
        assert keys["res"] <= res and keys["attr"] <= attr, (lid, keys["res"] - res, keys["attr"] - attr)
