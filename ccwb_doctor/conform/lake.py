"""Conform findings over where telemetry is stored and queried (monitoring.yaml's data lake and the
ccwb-doctor fleet routing):

- CONFORM-LOG-RETENTION: every CloudWatch Logs group sets a retention;
- CONFORM-STORAGE-PROTECTION: every S3 bucket blocks public access and states its encryption; every
  Athena workgroup encrypts and enforces its query results;
- CONFORM-LAKE-PARTITIONS: a Glue table's partition projection is complete and its location template
  lies under its location, and every S3 prefix the collector's awss3 exporter writes is the one a
  table projects (same bucket, prefix and date format, a JSON SerDe for JSON objects);
- CONFORM-LAKE-QUERIES: every Athena saved query reads only tables the template defines, in the
  database it names.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from ccwb_doctor.conform.inputs import ConformInputs, TemplateInput
from ccwb_doctor.conform.roles import _as_list, active_resources, ev
from ccwb_doctor.model import Outcome, fail, ok, warn

SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")
PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
AWSS3_DEFAULT_PARTITION = "year=%Y/month=%m/day=%d/hour=%H/minute=%M"
JSON_SERDES = ("org.openx.data.jsonserde.JsonSerDe", "org.apache.hive.hcatalog.data.JsonSerDe")
# Athena's date projection formats are Java DateTimeFormatter patterns; the ones a collector's
# strftime partition format can also write
_JAVA_TO_STRFTIME = (("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S"))
_SAMPLE = datetime(2031, 11, 22, 13, 44, 55, tzinfo=UTC)  # every field distinct


def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _true(v: Any) -> bool:
    return v is True or str(v).lower() == "true"


# ---- CONFORM-LOG-RETENTION -----------------------------------------------------------------------


def find_log_retention(inputs: ConformInputs) -> list[Outcome]:
    out: list[Outcome] = []
    for ti in inputs.templates:
        for res, props in active_resources(ti, "AWS::Logs::LogGroup", out):
            subj = f"{ti.path}:{res.logical_id}"
            days = props.get("RetentionInDays")
            e = ev(ti.path, res.line_of("RetentionInDays"), subj, retention_days=days)
            if days is None:
                out.append(
                    fail(
                        f"log group {res.logical_id} keeps its events forever (no RetentionInDays): cost grows "
                        "without bound and telemetry about people is kept longer than any policy allows",
                        fix="Set RetentionInDays (e.g. !Ref LogRetentionDays).",
                        evidence=e,
                    )
                )
            elif not str(days).isdigit():
                out.append(
                    warn(f"log group {res.logical_id}: retention {days} is not known here", evidence=e)
                )
            else:
                out.append(ok(f"log group {res.logical_id} keeps events {days} days", evidence=e))
    return out


# ---- CONFORM-STORAGE-PROTECTION ------------------------------------------------------------------


def _bucket(ti: TemplateInput, res: Any, props: dict[str, Any]) -> Outcome:
    subj = f"{ti.path}:{res.logical_id}"
    pab = _dict(props.get("PublicAccessBlockConfiguration"))
    open_flags = [f for f in PUBLIC_ACCESS_FLAGS if not _true(pab.get(f))]
    rules = _as_list(_dict(props.get("BucketEncryption")).get("ServerSideEncryptionConfiguration"))
    algos = [str(_dict(_dict(r).get("ServerSideEncryptionByDefault")).get("SSEAlgorithm", "")) for r in rules]
    e = ev(ti.path, res.line, subj, public_access_block=pab or None, sse=algos)
    if open_flags:
        return fail(
            f"bucket {res.logical_id} does not block public access ({', '.join(open_flags)} not true): "
            "a bucket policy or ACL could publish the telemetry",
            fix="Set PublicAccessBlockConfiguration with all four flags true.",
            evidence=e,
        )
    if not any(a in SSE_ALGORITHMS for a in algos):
        return warn(
            f"bucket {res.logical_id} states no default encryption (S3 applies SSE-S3 anyway, but a KMS "
            "requirement cannot be seen or enforced from the template)",
            fix="Set BucketEncryption ServerSideEncryptionByDefault SSEAlgorithm AES256 or aws:kms.",
            evidence=e,
        )
    return ok(f"bucket {res.logical_id}: public access blocked, encrypted ({algos[0]})", evidence=e)


def _workgroup(ti: TemplateInput, res: Any, props: dict[str, Any]) -> Outcome:
    subj = f"{ti.path}:{res.logical_id}"
    conf = _dict(props.get("WorkGroupConfiguration"))
    enc = _dict(_dict(conf.get("ResultConfiguration")).get("EncryptionConfiguration")).get("EncryptionOption")
    e = ev(ti.path, res.line, subj, encryption=enc, enforced=conf.get("EnforceWorkGroupConfiguration"))
    if not enc:
        return fail(
            f"Athena workgroup {res.logical_id} does not encrypt query results (they copy the data they read)",
            fix="Set ResultConfiguration EncryptionConfiguration EncryptionOption SSE_S3 or SSE_KMS.",
            evidence=e,
        )
    if not _true(conf.get("EnforceWorkGroupConfiguration")):
        return warn(
            f"Athena workgroup {res.logical_id} lets clients override its result location and encryption",
            fix="Set EnforceWorkGroupConfiguration: true.",
            evidence=e,
        )
    return ok(f"Athena workgroup {res.logical_id} encrypts results ({enc}) and enforces it", evidence=e)


def find_storage_protection(inputs: ConformInputs) -> list[Outcome]:
    out: list[Outcome] = []
    for ti in inputs.templates:
        out.extend(_bucket(ti, res, props) for res, props in active_resources(ti, "AWS::S3::Bucket", out))
        out.extend(
            _workgroup(ti, res, props) for res, props in active_resources(ti, "AWS::Athena::WorkGroup", out)
        )
    return out


# ---- CONFORM-LAKE-PARTITIONS ---------------------------------------------------------------------


def _strftime_of(java: str) -> str | None:
    """A Java date pattern as strftime, or None when it uses letters a partition format cannot."""
    out, i = "", 0
    while i < len(java):
        for j, s in _JAVA_TO_STRFTIME:
            if java.startswith(j, i):
                out, i = out + s, i + len(j)
                break
        else:
            if java[i].isalpha():
                return None
            out, i = out + java[i], i + 1
    return out


def _table_view(props: dict[str, Any]) -> dict[str, Any]:
    ti = _dict(props.get("TableInput"))
    sd = _dict(ti.get("StorageDescriptor"))
    params = {str(k): str(v) for k, v in _dict(ti.get("Parameters")).items()}
    keys = [str(_dict(k).get("Name", "")).lower() for k in _as_list(ti.get("PartitionKeys"))]
    location = str(sd.get("Location", ""))
    template = params.get("storage.location.template") or (
        location.rstrip("/") + "/" + "/".join(f"{k}=${{{k}}}" for k in keys) + "/" if keys else location
    )
    return {
        "name": str(ti.get("Name", "")).lower(),
        "location": location,
        "keys": keys,
        "params": params,
        "template": template,
        "serde": str(_dict(sd.get("SerdeInfo")).get("SerializationLibrary", "")),
    }


def _projection_problems(t: dict[str, Any]) -> list[str]:
    p, problems = t["params"], []
    for k in t["keys"]:
        kind = p.get(f"projection.{k}.type")
        if not kind:
            problems.append(f"partition key {k} has no projection.{k}.type (Athena would find no partitions)")
        elif kind == "date" and not (p.get(f"projection.{k}.format") and p.get(f"projection.{k}.range")):
            problems.append(f"date partition key {k} needs projection.{k}.format and projection.{k}.range")
        if "${" + k + "}" not in t["template"]:
            problems.append(f"storage.location.template does not place partition key {k} (${{{k}}})")
    if not t["template"].startswith(t["location"].rstrip("/") + "/"):
        problems.append(
            f"storage.location.template {t['template']} is not under the table location {t['location']}"
        )
    return problems


def _rendered(t: dict[str, Any]) -> str | None:
    """The table's location template for _SAMPLE's partition (date keys only), or None."""
    out = t["template"]
    for k in t["keys"]:
        fmt = t["params"].get(f"projection.{k}.format", "")
        st = _strftime_of(fmt) if t["params"].get(f"projection.{k}.type") == "date" else None
        if st is None:
            return None
        out = out.replace("${" + k + "}", _SAMPLE.strftime(st))
    return out


def _s3_exporters(ti: TemplateInput, out: list[Outcome]) -> Iterator[tuple[Any, str, dict[str, Any]]]:
    """(task definition, exporter id, config) of every awss3 exporter in a collector configuration
    carried by a container's environment."""
    import yaml

    for res, props in active_resources(ti, "AWS::ECS::TaskDefinition", out):
        for c in _as_list(props.get("ContainerDefinitions")):
            for env in _as_list(_dict(c).get("Environment")):
                value = _dict(env).get("Value")
                if not isinstance(value, str) or "exporters" not in value:
                    continue
                try:
                    doc = yaml.safe_load(value)
                except yaml.YAMLError:
                    continue
                for name, conf in _dict(_dict(doc).get("exporters")).items():
                    if str(name).split("/", 1)[0] == "awss3":
                        yield res, str(name), _dict(conf)


def find_lake_partitions(inputs: ConformInputs) -> list[Outcome]:
    out: list[Outcome] = []
    for ti in inputs.templates:
        tables = []
        for res, props in active_resources(ti, "AWS::Glue::Table", out):
            t = _table_view(props)
            tables.append(t)
            if not _true(t["params"].get("projection.enabled")):
                continue
            e = ev(ti.path, res.line_of("TableInput"), f"{ti.path}:{res.logical_id}", template=t["template"])
            problems = _projection_problems(t)
            if problems:
                out.append(
                    fail(
                        f"table {t['name']}: " + "; ".join(problems),
                        fix="Give every partition key a projection type (date: format and range) and a "
                        "${key} in storage.location.template under the table's Location.",
                        evidence=e,
                    )
                )
            else:
                out.append(ok(f"table {t['name']}: projection over {t['template']}", evidence=e))
        for res, name, conf in _s3_exporters(ti, out):
            out.append(_exporter_outcome(ti, res, name, conf, tables))
    return out


def _exporter_outcome(
    ti: TemplateInput, res: Any, name: str, conf: dict[str, Any], tables: list[dict[str, Any]]
) -> Outcome:
    up = _dict(conf.get("s3uploader"))
    prefix = "/".join(p for p in (str(up.get("s3_prefix", "")).strip("/"),) if p)
    base = f"s3://{up.get('s3_bucket', '')}/" + (prefix + "/" if prefix else "")
    fmt = str(up.get("s3_partition_format") or AWSS3_DEFAULT_PARTITION)
    writes = base + _SAMPLE.strftime(fmt).strip("/") + "/"
    marshaler = str(conf.get("marshaler") or "otlp_json")
    e = ev(
        ti.path, res.line, f"{ti.path}:{res.logical_id} {name}", writes=base + fmt + "/", marshaler=marshaler
    )
    under = [t for t in tables if t["location"] and base.startswith(t["location"].rstrip("/") + "/")]
    if not under:
        return warn(
            f"the collector's {name} exporter writes {base + fmt}/ where no Glue table in this template reads",
            fix="Add a Glue table whose Location is that prefix (partition projection over the date format).",
            evidence=e,
        )
    for t in under:
        if _rendered(t) == writes and (marshaler != "otlp_json" or t["serde"] in JSON_SERDES):
            return ok(f"{name} writes {base + fmt}/, which table {t['name']} projects", evidence=e)
    t = under[0]
    why = (
        f"table {t['name']} expects {t['template']}"
        if _rendered(t) != writes
        else f"table {t['name']} reads it with {t['serde'] or 'no SerDe'}, not a JSON SerDe"
    )
    return fail(
        f"the collector's {name} exporter writes {base + fmt}/ but {why}: Athena would return no rows",
        fix="Make s3_prefix + s3_partition_format produce the table's storage.location.template "
        "(e.g. dt=%Y-%m-%d for projection.dt.format yyyy-MM-dd).",
        evidence=e,
    )


# ---- CONFORM-LAKE-QUERIES ------------------------------------------------------------------------


def _names(tpl: Any, res: Any, props: dict[str, Any], *path: str) -> set[str]:
    """What a Ref to ``res`` resolves to here, plus its explicit name property (``path``)."""
    node: Any = props
    for p in path:
        node = _dict(node).get(p)
    names = {str(tpl.resolve({"Ref": res.logical_id}))}
    if isinstance(node, str) and node:
        names.add(node)
    return {n.lower() for n in names}


def find_lake_queries(inputs: ConformInputs) -> list[Outcome]:
    from ccwb_doctor.analyzers.fleet.sqlrefs import SqlError, table_refs

    out: list[Outcome] = []
    for ti in inputs.templates:
        tpl = ti.template
        dbs: set[str] = set()
        for res, props in active_resources(ti, "AWS::Glue::Database", out):
            dbs |= _names(tpl, res, props, "DatabaseInput", "Name")
        tables = {
            (str(props.get("DatabaseName", "")).lower(), _table_view(props)["name"])
            for _res, props in active_resources(ti, "AWS::Glue::Table", out)
        }
        groups: set[str] = set()
        for res, props in active_resources(ti, "AWS::Athena::WorkGroup", out):
            groups |= _names(tpl, res, props, "Name")
        for res, props in active_resources(ti, "AWS::Athena::NamedQuery", out):
            out.append(_query_outcome(ti, res, props, dbs, tables, groups, table_refs, SqlError))
    return out


def _query_outcome(
    ti: TemplateInput,
    res: Any,
    props: dict[str, Any],
    dbs: set[str],
    tables: set[tuple[str, str]],
    groups: set[str],
    table_refs: Any,
    sql_error: type[Exception],
) -> Outcome:
    db = str(props.get("Database", "")).lower()
    label = props.get("Name") or res.logical_id
    e = ev(ti.path, res.line_of("QueryString"), f"{ti.path}:{res.logical_id}", database=db)
    try:
        refs = table_refs(str(props.get("QueryString", "")))
    except sql_error as exc:
        return fail(f"saved query {label!r} is not well-formed SQL: {exc}", evidence=e)
    wg = props.get("WorkGroup")
    if wg is not None and str(wg).lower() not in groups:
        return fail(
            f"saved query {label!r} is saved in workgroup {wg}, which the template does not define",
            fix="Set WorkGroup: !Ref <the AWS::Athena::WorkGroup>.",
            evidence=e,
        )
    if db not in dbs:
        return warn(
            f"saved query {label!r} runs in database {db or '(none)'}, which these inputs do not define: "
            "its tables cannot be checked",
            fix="Set Database: !Ref <the AWS::Glue::Database> of the tables it reads.",
            evidence=e,
        )
    missing = []
    for r in refs:
        where, name = (db, r.parts[-1]) if len(r.parts) == 1 else (r.parts[-2], r.parts[-1])
        if where in dbs and (where, name) not in tables:
            missing.append(f"{r.name} (line {r.line} of the query)")
    e["reads"] = [r.name for r in refs]
    if missing:
        return fail(
            f"saved query {label!r} reads {', '.join(missing)}, which database {db} does not have here "
            "(a misspelt table, or one whose Condition is off while the query's is on)",
            fix="Name a table the template defines (AWS::Glue::Table TableInput Name) in that database.",
            evidence=e,
        )
    if not refs:
        return warn(f"saved query {label!r} reads no table", evidence=e)
    return ok(f"saved query {label!r} reads {', '.join(r.name for r in refs)} in {db}", evidence=e)
