import sys

from ccwb_doctor.cli import main

sys.exit(main())
