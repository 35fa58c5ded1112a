"""monitoring.yaml's usage aggregator: the inline Lambda code, taken from the template, run against a real
moto server (CloudWatch Logs + DynamoDB) on 127.0.0.1 with EMF events shaped like the collector's."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccwb_doctor.analyzers.cfn.template import load_template
from ccwb_doctor.reference_infra.deploy import TEMPLATES_DIR

pytest.importorskip("moto.server")

GROUP = "/aws/claude-code/ccwb/metrics"
TABLE = "ccwb-metrics"


def _load(tmp: Path) -> ModuleType:
    tpl = load_template(TEMPLATES_DIR / "monitoring.yaml", {})
    res = tpl.resources["Aggregator"]
    assert res.properties["Handler"] == "index.handler"
    path = tmp / "index.py"
    path.write_text(res.properties["Code"]["ZipFile"])
    spec = importlib.util.spec_from_file_location(f"ccwb_aggregator_{id(tmp)}", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def code(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return _load(tmp_path_factory.mktemp("lambda"))


def emf(
    ts_ms: int, email: str | None, value: Any, kind: str = "input", metric: str = "claude_code.token.usage"
) -> dict:
    doc: dict[str, Any] = {
        "_aws": {
            "Timestamp": ts_ms,
            "CloudWatchMetrics": [
                {"Namespace": "ClaudeCode", "Dimensions": [["type"]], "Metrics": [{"Name": metric}]}
            ],
        },
        metric: value,
        "type": kind,
        "model": "us.anthropic.claude-sonnet-4-6",
    }
    if email:
        doc["user.email"] = email
    return {"timestamp": ts_ms, "message": json.dumps(doc)}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import boto3

    from ccwb_doctor.fixtures.aws_emulator import moto_server

    with moto_server() as url:
        for k, v in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": url,
            "TABLE_NAME": TABLE,
            "LOG_GROUP": GROUP,
        }.items():
            monkeypatch.setenv(k, v)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        ddb = boto3.client("dynamodb")
        ddb.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
        )
        logs = boto3.client("logs")
        logs.create_log_group(logGroupName=GROUP)
        logs.create_log_stream(logGroupName=GROUP, logStreamName="collector")
        yield logs, ddb


def _items(ddb: Any) -> dict[tuple[str, str], float]:
    items = ddb.scan(TableName=TABLE)["Items"]
    return {(i["pk"]["S"], i["sk"]["S"]): float(i["value"]["N"]) for i in items}


def test_hourly_totals_per_user_are_written_and_rewritten_idempotently(aws: Any, code: ModuleType) -> None:
    import time

    logs, ddb = aws
    hour = int(time.time()) // 3600 * 3600
    now = hour + 600  # 10 min into the hour: the just-closed hour is re-summed too
    ms = 1000
    events = [
        emf((hour - 7200) * ms, "ana@example.com", 999),  # two hours ago: outside both windows
        emf((hour - 1800) * ms, "ana@example.com", 100),
        emf((hour - 60) * ms, "ana@example.com", 20),
        emf((hour + 60) * ms, "ana@example.com", 5),
        emf((hour + 120) * ms, "ana@example.com", 7, kind="output"),
        emf((hour + 180) * ms, "bo@example.com", 1.5),
        emf((hour + 240) * ms, None, 3),
        emf((hour + 300) * ms, "ana@example.com", True),  # not a number: skipped
        {"timestamp": (hour + 301) * ms, "message": "not json"},
        {"timestamp": (hour + 302) * ms, "message": '{"_aws": 1}'},
    ]
    logs.put_log_events(logGroupName=GROUP, logStreamName="collector", logEvents=events)
    out = code.handler({}, None, now=now)
    assert out == {"hours": [hour - 3600, hour], "items": 5}
    from datetime import UTC, datetime

    prev = datetime.fromtimestamp(hour - 3600, UTC).strftime("%Y-%m-%dT%H")
    cur = datetime.fromtimestamp(hour, UTC).strftime("%Y-%m-%dT%H")
    model = "us.anthropic.claude-sonnet-4-6"
    expected = {
        ("USER#ana@example.com", f"HOUR#{prev}#claude_code.token.usage#input#{model}"): 120.0,
        ("USER#ana@example.com", f"HOUR#{cur}#claude_code.token.usage#input#{model}"): 5.0,
        ("USER#ana@example.com", f"HOUR#{cur}#claude_code.token.usage#output#{model}"): 7.0,
        ("USER#bo@example.com", f"HOUR#{cur}#claude_code.token.usage#input#{model}"): 1.5,
        ("USER#unknown", f"HOUR#{cur}#claude_code.token.usage#input#{model}"): 3.0,
    }
    assert _items(ddb) == expected
    assert code.handler({}, None, now=now)["items"] == 5
    assert _items(ddb) == expected  # a retried run overwrites with the same totals
    item = ddb.get_item(
        TableName=TABLE, Key={"pk": {"S": "USER#bo@example.com"}, "sk": {"S": list(expected)[3][1]}}
    )
    assert int(item["Item"]["expires_at"]["N"]) == hour + 400 * 86400


json_like = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=6),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=6), kids, max_size=3),
    max_leaves=15,
)


emf_like = st.fixed_dictionaries(
    {
        "_aws": st.one_of(
            json_like,
            st.fixed_dictionaries(
                {
                    "CloudWatchMetrics": st.one_of(
                        json_like,
                        st.lists(
                            st.one_of(
                                json_like,
                                st.fixed_dictionaries(
                                    {
                                        "Metrics": st.one_of(
                                            json_like, st.lists(st.fixed_dictionaries({"Name": json_like}))
                                        )
                                    }
                                ),
                            ),
                            max_size=3,
                        ),
                    )
                }
            ),
        ),
        "user.email": json_like,
    },
    optional={"null": json_like, "": json_like},
)


@settings(max_examples=300, deadline=None)
@given(
    messages=st.lists(
        st.one_of(
            st.text(max_size=30),
            json_like.map(json.dumps),
            st.builds(lambda d: json.dumps({"_aws": d}), json_like),
        ),
        max_size=5,
    )
)
def test_totals_never_raises_on_any_message(code: ModuleType, messages: list[str]) -> None:
    got = code.totals([{"message": m} for m in messages] + [{}, {"message": None}])
    assert all(isinstance(v, int | float) for v in got.values())


def test_aggregator_is_wired_to_its_schedule_table_and_log_group() -> None:
    tpl = load_template(TEMPLATES_DIR / "monitoring.yaml", {})
    fn = tpl.resources["Aggregator"].properties
    assert fn["Environment"]["Variables"] == {
        "TABLE_NAME": {"Ref": "MetricsTable"},
        "LOG_GROUP": {"Ref": "MetricsLogGroup"},
    }
    rule = tpl.resources["AggregatorSchedule"].properties
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": ["Aggregator", "Arn"]}
    (pol,) = tpl.resolve(tpl.resources["AggregatorRole"].properties["Policies"])
    actions = {a for s in pol["PolicyDocument"]["Statement"] for a in s["Action"]}
    assert actions == {"logs:FilterLogEvents", "dynamodb:PutItem", "dynamodb:BatchWriteItem"}
