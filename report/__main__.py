"""`python -m report ...`: see report/cli.py."""

from __future__ import annotations

import sys

from report.cli import main

sys.exit(main())
