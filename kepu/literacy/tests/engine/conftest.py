"""Shared fixtures: R's API example designs built from the SQLite copy of ``data(api)``."""

from __future__ import annotations

import pytest

from kepu.literacy import Design, Margin, make_replicates

from .apidata import load

STYPE_POP = {"E": 4421, "H": 755, "M": 1018}
SCHWIDE_POP = {"No": 1072, "Yes": 5122}


@pytest.fixture(scope="session")
def apistrat():
    return load("apistrat")


@pytest.fixture(scope="session")
def apiclus1():
    return load("apiclus1")


@pytest.fixture(scope="session")
def apiclus2():
    return load("apiclus2")


@pytest.fixture(scope="session")
def dstrat(apistrat):
    """svydesign(id=~1, strata=~stype, weights=~pw, fpc=~fpc, data=apistrat)"""
    return Design.create(apistrat, strata="stype", weights="pw", fpc="fpc")


@pytest.fixture(scope="session")
def dclus1(apiclus1):
    """svydesign(id=~dnum, weights=~pw, fpc=~fpc, data=apiclus1)"""
    return Design.create(apiclus1, clusters="dnum", weights="pw", fpc="fpc")


@pytest.fixture(scope="session")
def dclus2(apiclus2):
    """svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, data=apiclus2)"""
    return Design.create(apiclus2, clusters=["dnum", "snum"], fpc=["fpc1", "fpc2"])


@pytest.fixture(scope="session")
def rclus1(dclus1):
    """as.svrepdesign(dclus1): JK1, as R picks for an unstratified design."""
    return make_replicates(dclus1, "jk1")


@pytest.fixture(scope="session")
def margins():
    return [Margin("stype", STYPE_POP), Margin("sch_wide", SCHWIDE_POP)]
