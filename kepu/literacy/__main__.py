"""Entry point for ``python -m kepu.literacy``."""

import sys

from .cli import main

sys.exit(main())
