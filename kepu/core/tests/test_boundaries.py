"""App boundaries, checked by import-linter (contracts in ``.importlinter``, derived from the tree by
``kepu.core.boundaries``).

Apps talk to each other through selectors, services and signals; core depends on no app. Every contract holds, and
the committed contracts are the ones the tree calls for (a new app is named in them the day it is added).
"""

import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from kepu.core.boundaries import apps, contracts

ROOT = Path(__file__).resolve().parents[3]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


@cache
def _verdicts() -> dict[str, str]:
    """Each contract's name → KEPT or BROKEN, from one run of lint-imports over the whole graph."""
    result = subprocess.run(
        [str(LINT_IMPORTS), "--config", ".importlinter", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )
    found = dict(re.findall(r"^(.+?) (KEPT|BROKEN)\b", result.stdout, re.M))
    assert found, result.stdout[-3000:] + result.stderr[-3000:]
    _verdicts.output = result.stdout
    return found


def test_the_committed_contracts_are_the_ones_the_tree_calls_for():
    assert (ROOT / ".importlinter").read_text() == contracts(), "run: python -m kepu.core.boundaries > .importlinter"


@pytest.mark.parametrize("app", ["core", *apps()])
def test_every_contract_holds(app):
    names = [n for n in _verdicts() if n.startswith(f"kepu.{app} ") or f"kepu.{app}'s" in n]
    assert len(names) == 1, (app, sorted(_verdicts()))
    assert _verdicts()[names[0]] == "KEPT", _verdicts.output[-4000:]
