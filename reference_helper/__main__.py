"""``python -m ccwb_doctor.reference_helper`` == ``ccwb-credential-process``."""

from .cli import main

raise SystemExit(main())
