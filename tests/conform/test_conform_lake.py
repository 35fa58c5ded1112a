"""The storage and fleet-lake conform rules: each passes on a good template and fails on a bad one
(small templates for the generic rules, mutated copies of the reference monitoring.yaml for the lake)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conform_support import PARAMS, by_id, conform, write_json

from ccwb_doctor.reference_infra.deploy import TEMPLATES_DIR

LOG_GROUP = """Resources:
  Group:
    Type: AWS::Logs::LogGroup
    Properties:
{props}
"""
BUCKET = """Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {{SSEAlgorithm: {algo}}}
      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
        BlockPublicPolicy: true
        IgnorePublicAcls: true
        RestrictPublicBuckets: {restrict}
  Queries:
    Type: AWS::Athena::WorkGroup
    Properties:
      Name: q
      WorkGroupConfiguration:
        EnforceWorkGroupConfiguration: true
        ResultConfiguration:
          OutputLocation: s3://results/
{encryption}
"""


def _one(tmp_path: Path, text: str, cid: str) -> list[dict]:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    _rc, rep = conform(str(path))
    return by_id(rep, cid)


def test_log_retention_pass_and_fail(tmp_path: Path) -> None:
    (good,) = _one(tmp_path, LOG_GROUP.format(props="      RetentionInDays: 14"), "CONFORM-LOG-RETENTION")
    assert good["status"] == "pass" and "14 days" in good["message"]
    (bad,) = _one(tmp_path, LOG_GROUP.format(props="      LogGroupName: /x"), "CONFORM-LOG-RETENTION")
    assert bad["status"] == "fail" and "forever" in bad["message"]
    assert bad["evidence"]["subject"].endswith("t.yaml:Group") and bad["remediation"].startswith(
        "Set Retention"
    )


def test_storage_protection_pass(tmp_path: Path) -> None:
    enc = "          EncryptionConfiguration: {EncryptionOption: SSE_KMS, KmsKey: alias/x}"
    got = _one(
        tmp_path, BUCKET.format(algo="aws:kms", restrict="true", encryption=enc), "CONFORM-STORAGE-PROTECTION"
    )
    assert [(r["status"], r["evidence"]["subject"].rsplit(":", 1)[1]) for r in got] == [
        ("pass", "Bucket"),
        ("pass", "Queries"),
    ]


def test_storage_protection_fails_open_bucket_and_plain_results(tmp_path: Path) -> None:
    got = _one(
        tmp_path, BUCKET.format(algo="AES256", restrict="false", encryption=""), "CONFORM-STORAGE-PROTECTION"
    )
    bucket, wg = got
    assert bucket["status"] == "fail" and "RestrictPublicBuckets" in bucket["message"]
    assert wg["status"] == "fail" and "does not encrypt query results" in wg["message"]


def test_storage_protection_warns_when_encryption_is_not_stated(tmp_path: Path) -> None:
    text = BUCKET.format(algo="AES256", restrict="true", encryption="").replace(
        "          - ServerSideEncryptionByDefault: {SSEAlgorithm: AES256}\n", "          []\n"
    )
    (bucket, _wg) = _one(tmp_path, text, "CONFORM-STORAGE-PROTECTION")
    assert bucket["status"] == "warn" and "states no default encryption" in bucket["message"]


# ---- the lake rules on the reference monitoring.yaml -------------------------------------------------


@pytest.fixture
def monitoring(tmp_path: Path) -> tuple[Path, Path]:
    tpl = tmp_path / "monitoring.yaml"
    tpl.write_text((TEMPLATES_DIR / "monitoring.yaml").read_text())
    params = write_json(
        tmp_path / "params.json", [{"ParameterKey": k, "ParameterValue": v} for k, v in PARAMS.items()]
    )
    return tpl, params


def _lake(monitoring: tuple[Path, Path], cid: str, old: str = "", new: str = "") -> list[dict]:
    tpl, params = monitoring
    if old:
        text = tpl.read_text()
        assert text.count(old) >= 1, old
        tpl.write_text(text.replace(old, new, 1))
    _rc, rep = conform(str(tpl), "--param-file", str(params))
    return by_id(rep, cid)


def test_lake_partitions_pass_on_the_reference(monitoring: tuple[Path, Path]) -> None:
    got = _lake(monitoring, "CONFORM-LAKE-PARTITIONS")
    assert [r["status"] for r in got] == ["pass", "pass"]
    assert "awss3/ccwb_doctor writes s3://" in got[1]["message"] and "dt=%Y-%m-%d/" in got[1]["message"]


def test_lake_partitions_fail_when_the_exporter_writes_another_layout(monitoring: tuple[Path, Path]) -> None:
    got = _lake(
        monitoring,
        "CONFORM-LAKE-PARTITIONS",
        "s3_partition_format: dt=%Y-%m-%d",
        "s3_partition_format: year=%Y/month=%m/day=%d",
    )
    (bad,) = [r for r in got if r["status"] == "fail"]
    assert "expects s3://ccwb-DataLakeBucket/fleet/ccwb-doctor/checks/dt=${dt}/" in bad["message"]
    assert bad["evidence"]["subject"].endswith("monitoring.yaml:CollectorTask awss3/ccwb_doctor")


def test_lake_partitions_fail_on_incomplete_projection(monitoring: tuple[Path, Path]) -> None:
    got = _lake(monitoring, "CONFORM-LAKE-PARTITIONS", "          projection.dt.type: date\n", "")
    bad = [r for r in got if r["status"] == "fail"]
    assert any("partition key dt has no projection.dt.type" in r["message"] for r in bad), got


def test_lake_partitions_warn_when_no_table_reads_the_prefix(monitoring: tuple[Path, Path]) -> None:
    got = _lake(
        monitoring, "CONFORM-LAKE-PARTITIONS", "s3_prefix: fleet/ccwb-doctor/checks", "s3_prefix: elsewhere"
    )
    assert [r["status"] for r in got] == ["pass", "warn"]
    assert "where no Glue table in this template reads" in got[1]["message"]


def test_lake_queries_pass_on_the_reference(monitoring: tuple[Path, Path]) -> None:
    got = _lake(monitoring, "CONFORM-LAKE-QUERIES")
    assert [r["status"] for r in got] == ["pass"] * 3
    assert all(r["evidence"]["reads"] == ["ccwb_doctor_checks"] for r in got)


def test_lake_queries_fail_on_a_table_the_template_does_not_define(monitoring: tuple[Path, Path]) -> None:
    got = _lake(monitoring, "CONFORM-LAKE-QUERIES", "FROM ccwb_doctor_checks\n", "FROM ccwb_doctor_check\n")
    (bad,) = [r for r in got if r["status"] == "fail"]
    assert "reads ccwb_doctor_check (line 15 of the query)" in bad["message"]
    assert bad["evidence"]["subject"].endswith("monitoring.yaml:FleetQueryFailingNow")


def test_lake_queries_fail_when_the_table_is_off_while_the_query_is_on(monitoring: tuple[Path, Path]) -> None:
    got = _lake(
        monitoring,
        "CONFORM-LAKE-QUERIES",
        "    Type: AWS::Glue::Table\n    Condition: FleetLakeOn\n",
        "    Type: AWS::Glue::Table\n    Condition: HasZone\n",
    )
    assert [r["status"] for r in got] == ["fail"] * 3


def test_lake_queries_fail_on_malformed_sql(monitoring: tuple[Path, Path]) -> None:
    got = _lake(
        monitoring, "CONFORM-LAKE-QUERIES", "WHERE f.status IN ('fail', 'error')", "WHERE f.status IN ('fail"
    )
    (bad,) = [r for r in got if r["status"] == "fail"]
    assert "is not well-formed SQL" in bad["message"] and "unterminated string" in bad["message"]
