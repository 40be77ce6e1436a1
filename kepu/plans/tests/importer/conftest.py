"""Shared fixtures for the importer tests: the two real plans, read from copies in data/."""

import pytest

from kepu.plans.importer import PlanDraft, parse_text

from .support import read_plan


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
