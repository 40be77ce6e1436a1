"""Shared fixtures for the importer tests: the two real plans, read from copies in data/."""

from pathlib import Path

import pytest

from kepu.plans.importer import PlanDraft, parse_text

DATA = Path(__file__).parent / "data"


def read_plan(name: str) -> str:
    """A plan's text from the copy shipped with the tests (not /work/shared, which CI may lack)."""
    return (DATA / name).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def xicheng_text() -> str:
    return read_plan("xicheng_2020_work_plan.txt")


@pytest.fixture(scope="session")
def miyun_text() -> str:
    return read_plan("miyun_2024_key_points.txt")


@pytest.fixture(scope="session")
def xicheng(xicheng_text: str) -> PlanDraft:
    return parse_text(xicheng_text)


@pytest.fixture(scope="session")
def miyun(miyun_text: str) -> PlanDraft:
    return parse_text(miyun_text)
