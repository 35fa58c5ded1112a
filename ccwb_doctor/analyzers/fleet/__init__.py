"""Fleet: many schema-v1 reports folded into one summary (``ccwb-doctor fleet``).

``digest`` turns one report's text (a JSON report, or a ``ccwb-doctor report`` Markdown file with its
embedded JSON) into a small :class:`~ccwb_doctor.analyzers.fleet.digest.Digest`, or says why it cannot;
``otlp`` turns an OTLP JSON file of results exported with ``--export otlp`` into one digest per machine;
``aggregate`` folds digests one at a time (never holding the reports) into the fleet document,
schema ``ccwb-doctor/fleet/v1`` (``ccwb_doctor/schema/fleet-v1.json``). Values in, values out: the caller
reads the files. May import ``redact`` (the document is scrubbed like a report before any rendering) and
``telemetry`` (the attribute names of the export).

``otlp_names`` holds the names of the OTLP export (``run --export otlp``) that the exporter and the
reference infrastructure share; ``sqlrefs`` reads which tables an Athena (Trino) query reads, for conform.
"""
