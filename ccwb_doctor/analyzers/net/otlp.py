"""A tiny OTLP metrics codec (pure): encode one gauge data point, read metric names back.

Enough of the OTLP/HTTP wire format for a probe and a fixture collector, hand-written on the protobuf
wire format so neither needs the opentelemetry packages:

    ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
    ResourceMetrics { Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; }
    ScopeMetrics    { InstrumentationScope scope = 1; repeated Metric metrics = 2; }
    Metric          { string name = 1; string description = 2; string unit = 3; Gauge gauge = 5; }
    Gauge           { repeated NumberDataPoint data_points = 1; }
    NumberDataPoint { repeated KeyValue attributes = 7; fixed64 time_unix_nano = 3; int64 as_int = 6; }
"""

from __future__ import annotations

import json
from collections.abc import Mapping

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
MAX_DEPTH = 8


class OtlpError(ValueError):
    """The body is not a readable OTLP metrics request."""


# ---- encoding ---------------------------------------------------------------------------------


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(num: int, payload: bytes) -> bytes:
    return _varint(num << 3 | 2) + _varint(len(payload)) + payload


def _str(num: int, text: str) -> bytes:
    return _field(num, text.encode("utf-8"))


def _kv(key: str, value: str) -> bytes:
    return _str(1, key) + _field(2, _str(1, value))  # KeyValue{key, AnyValue{string_value}}


def encode_gauge(
    name: str,
    value: int,
    time_unix_nano: int,
    attributes: Mapping[str, str] | None = None,
    service: str = "ccwb-doctor",
) -> bytes:
    """An ExportMetricsServiceRequest with one gauge data point (protobuf bytes)."""
    point = b"".join(_field(7, _kv(k, v)) for k, v in (attributes or {}).items())
    point += _varint(3 << 3 | 1) + int(time_unix_nano).to_bytes(8, "little")
    point += _varint(6 << 3 | 0) + _varint(int(value))
    metric = _str(1, name) + _str(3, "1") + _field(5, _field(1, point))
    scope = _field(1, _str(1, service)) + _field(2, metric)
    resource = _field(1, _field(1, _kv("service.name", service)))
    return _field(1, resource + _field(2, scope))


def encode_gauge_json(
    name: str,
    value: int,
    time_unix_nano: int,
    attributes: Mapping[str, str] | None = None,
    service: str = "ccwb-doctor",
) -> bytes:
    """The same request in OTLP/JSON."""
    attrs = [{"key": k, "value": {"stringValue": v}} for k, v in (attributes or {}).items()]
    doc = {
        "resourceMetrics": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
                "scopeMetrics": [
                    {
                        "scope": {"name": service},
                        "metrics": [
                            {
                                "name": name,
                                "unit": "1",
                                "gauge": {
                                    "dataPoints": [
                                        {
                                            "attributes": attrs,
                                            "timeUnixNano": str(time_unix_nano),
                                            "asInt": str(int(value)),
                                        }
                                    ]
                                },
                            }
                        ],
                    }
                ],
            }
        ]
    }
    return json.dumps(doc, separators=(",", ":")).encode()


# ---- decoding ---------------------------------------------------------------------------------


def _read_varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if i >= len(buf) or shift > 63:
            raise OtlpError("truncated or overlong varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def fields(buf: bytes) -> list[tuple[int, int, bytes | int]]:
    """(field number, wire type, value) for each field of one message; raises OtlpError."""
    out: list[tuple[int, int, bytes | int]] = []
    i = 0
    while i < len(buf):
        key, i = _read_varint(buf, i)
        num, wt = key >> 3, key & 7
        if num == 0:
            raise OtlpError("field number 0")
        if wt == 0:
            v, i = _read_varint(buf, i)
            out.append((num, wt, v))
        elif wt == 1:
            if i + 8 > len(buf):
                raise OtlpError("truncated fixed64")
            out.append((num, wt, buf[i : i + 8]))
            i += 8
        elif wt == 5:
            if i + 4 > len(buf):
                raise OtlpError("truncated fixed32")
            out.append((num, wt, buf[i : i + 4]))
            i += 4
        elif wt == 2:
            n, i = _read_varint(buf, i)
            if i + n > len(buf):
                raise OtlpError("truncated length-delimited field")
            out.append((num, wt, buf[i : i + n]))
            i += n
        else:
            raise OtlpError(f"unsupported wire type {wt}")
    return out


def _sub(buf: bytes, num: int) -> list[bytes]:
    return [v for n, wt, v in fields(buf) if n == num and wt == 2 and isinstance(v, bytes)]


def metric_names_protobuf(body: bytes) -> list[str]:
    names: list[str] = []
    for rm in _sub(body, 1):
        for sm in _sub(rm, 2):
            for m in _sub(sm, 2):
                for raw in _sub(m, 1)[:1]:
                    try:
                        names.append(raw.decode("utf-8"))
                    except UnicodeDecodeError:
                        raise OtlpError("metric name is not UTF-8") from None
    return names


def metric_names_json(body: bytes) -> list[str]:
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise OtlpError("body is not JSON") from None
    names: list[str] = []

    def items(obj: object, key: str) -> list[dict[str, object]]:
        val = obj.get(key) if isinstance(obj, dict) else None
        return [x for x in val if isinstance(x, dict)] if isinstance(val, list) else []

    if not isinstance(doc, dict):
        raise OtlpError("body is not a JSON object")
    for rm in items(doc, "resourceMetrics"):
        for sm in items(rm, "scopeMetrics"):
            for m in items(sm, "metrics"):
                if isinstance(m.get("name"), str):
                    names.append(str(m["name"]))
    return names


def metric_names(body: bytes, content_type: str) -> list[str]:
    """Metric names in an OTLP metrics request body; raises OtlpError when unreadable."""
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == JSON:
        return metric_names_json(body)
    if ctype == PROTOBUF:
        return metric_names_protobuf(body)
    raise OtlpError(f"unsupported content type {content_type!r}")
