"""The names in the doctor's OTLP export (``ccwb-doctor run --export otlp``): one place for both sides.

The exporter's own vocabulary lives in ``analyzers.telemetry.records`` (it builds the records from it); this
module names, from those same constants, what the reference infrastructure
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

from ccwb_doctor.analyzers.telemetry import records as T

# ---- identity of the stream ----------------------------------------------------------------------
SERVICE_NAME_VALUE = "ccwb-doctor"  # resource service.name: the collector routes on it
SCOPE_NAME = T.SCOPE  # instrumentation scope of the log records and the metric
METRIC_CHECKS = T.METRIC  # sum of check results by CHECK_STATUS and CHECK_ID

# ---- log record attributes (one record per check result) -----------------------------------------
CHECK_ID = T.L_ID
CHECK_STATUS = T.L_STATUS  # one of STATUSES
CHECK_SEVERITY = T.L_SEVERITY
CHECK_TITLE = T.L_TITLE
EVIDENCE_DIGEST = T.L_DIGEST  # keyed sha256 hex of the result's (redacted) evidence

RECORD_ATTRIBUTES = T.RECORD_KEYS

# ---- resource attributes (one resource per run) --------------------------------------------------
SERVICE_NAME = T.R_SERVICE  # = SERVICE_NAME_VALUE
SERVICE_VERSION = T.R_VERSION  # the doctor's version
RUN_ID = T.R_RUN  # service.instance.id: the same for every record of one run
OS_TYPE = T.R_OS
HOST_ARCH = T.R_ARCH
INSTALL_KIND = T.R_CLAUDE_INSTALL
INSTALL_VERSION = T.R_CLAUDE_VERSION
IDP_TYPE = T.R_IDP
CLOUD_REGION = T.R_REGION
HELPER_VERSION = T.R_HELPER_VERSION
HOST_ID = T.R_HOST_ID  # pseudonymous host id
USER_ID = T.R_USER_ID  # pseudonymous user id (enduser.pseudo.id; never the e-mail address)

RESOURCE_ATTRIBUTES = T.RESOURCE_KEYS

# ---- values --------------------------------------------------------------------------------------
STATUSES = ("pass", "warn", "fail", "error", "skip")  # CHECK_STATUS values (report schema v1)
FAILING = ("fail", "error")  # a run with none of these passed
