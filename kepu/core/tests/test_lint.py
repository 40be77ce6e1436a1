"""The code base stays formatted and lint-clean: checked by the test suite, so CI checks it too."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PATHS = ["kepu", "bench", "conftest.py", "dev.py", "manage.py"]


def _ruff() -> list[str]:
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("ruff is not installed in the test environment (it is in requirements.lock)")
    return [exe]


def test_ruff_check_is_clean():
    result = subprocess.run([*_ruff(), "check", "--no-cache", *PATHS], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_ruff_format_is_clean():
    result = subprocess.run(
        [*_ruff(), "format", "--check", "--no-cache", *PATHS], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
