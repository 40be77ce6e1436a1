"""Entry point for ``python -m kepu.literacy``."""

import os
import sys

# The engine's matrices are small (margin cells x margin cells); BLAS threads would only
# spin and wait. Set before numpy is imported, and only for the command line's process.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from .cli import main  # noqa: E402

sys.exit(main())
