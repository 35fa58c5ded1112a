"""The names in the doctor's OTLP export (``ccwb-doctor run --export otlp``): one place for both sides.

The exporter builds its log records and metric from these constants; the reference infrastructure
(``reference_infra/templates/monitoring.yaml``: the collector's routing, the Glue table, the Athena saved
queries) and its tests read the same constants, so a renamed attribute fails a test instead of silently
emptying a dashboard.

One log record per check result: body = the result's message, record attributes ``RECORD_ATTRIBUTES``,
resource attributes ``RESOURCE_ATTRIBUTES``, instrumentation scope ``SCOPE_NAME``; plus the metric
``METRIC_CHECKS`` (a sum, data-point attributes ``CHECK_STATUS`` and ``CHECK_ID``).

The record's ``time_unix_nano`` must be set (the run's clock): the collector's CloudWatch Logs exporter
uses it as the event timestamp (CloudWatch rejects events older than 14 days, so 0 is dropped), and the
Athena queries read it for "now" and "in 24 h".
"""

from __future__ import annotations

# ---- identity of the stream ----------------------------------------------------------------------
SERVICE_NAME_VALUE = "ccwb-doctor"  # resource service.name: the collector routes on it
SCOPE_NAME = "ccwb-doctor"  # instrumentation scope of the log records and the metric
METRIC_CHECKS = "ccwb.doctor.checks"  # sum of check results by CHECK_STATUS and CHECK_ID

# ---- log record attributes (one record per check result) -----------------------------------------
CHECK_ID = "ccwb.check.id"
CHECK_STATUS = "ccwb.check.status"  # one of STATUSES
CHECK_SEVERITY = "ccwb.check.severity"
CHECK_TITLE = "ccwb.check.title"
EVIDENCE_DIGEST = "ccwb.evidence.digest"  # sha256 hex of the result's (redacted) evidence
RUN_ID = "ccwb.run.id"  # the same for every record of one run

RECORD_ATTRIBUTES = (CHECK_ID, CHECK_STATUS, CHECK_SEVERITY, CHECK_TITLE, EVIDENCE_DIGEST, RUN_ID)

# ---- resource attributes (one resource per run) --------------------------------------------------
SERVICE_NAME = "service.name"  # = SERVICE_NAME_VALUE
SERVICE_VERSION = "service.version"  # the doctor's version
OS_TYPE = "os.type"
HOST_ARCH = "host.arch"
INSTALL_KIND = "ccwb.install.kind"
INSTALL_VERSION = "ccwb.install.version"
IDP_TYPE = "ccwb.idp.type"
CLOUD_REGION = "cloud.region"
HELPER_VERSION = "ccwb.helper.version"
HOST_ID = "ccwb.host.id"  # pseudonymous host id
USER_ID = "ccwb.user.id"  # pseudonymous user id (never the e-mail address)

RESOURCE_ATTRIBUTES = (
    SERVICE_NAME,
    SERVICE_VERSION,
    OS_TYPE,
    HOST_ARCH,
    INSTALL_KIND,
    INSTALL_VERSION,
    IDP_TYPE,
    CLOUD_REGION,
    HELPER_VERSION,
    HOST_ID,
    USER_ID,
)

# ---- values --------------------------------------------------------------------------------------
STATUSES = ("pass", "warn", "fail", "error", "skip")  # CHECK_STATUS values (report schema v1)
FAILING = ("fail", "error")  # a run with none of these passed
