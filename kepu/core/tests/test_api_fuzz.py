"""Schemathesis over /api/v1/, signed in and not: no operation answers with a server error.

Every operation of the OpenAPI document is fuzzed with a bounded number of generated requests, valid
and invalid ones, anonymously and with the Bearer tokens of an office and of a resident. New apps'
operations are in the document, so they are fuzzed too. The bound keeps the whole CI run (both
databases) within its time; raise ``KEPU_FUZZ_EXAMPLES`` to dig deeper locally.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

pytestmark = pytest.mark.django_db

#: (who, generation mode, examples per operation). An office's token goes furthest into the operations.
PLAN = [
    ("anonymous", GenerationMode.POSITIVE, 1),
    ("anonymous", GenerationMode.NEGATIVE, 1),
    ("office", GenerationMode.POSITIVE, 2),
    ("office", GenerationMode.NEGATIVE, 1),
    ("resident", GenerationMode.POSITIVE, 1),
]
SCALE = int(os.environ.get("KEPU_FUZZ_EXAMPLES", "1"))


@pytest.fixture
def api_schema(db):
    # The real WSGI handler closes "old" connections when a request starts and ends; inside the test's
    # transaction that closes the test's own connection on PostgreSQL (SQLite's in-memory database ignores
    # it). Django's test client unhooks the same receiver for the same reason.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _tokens(world) -> dict[str, str]:
    from kepu.accounts.services import api_token_create

    return {
        name: api_token_create(actor=actor, name="fuzz")[1]
        for name, actor in (("office", world.a.admin), ("resident", world.a.resident))
    }


def test_no_operation_answers_with_a_server_error(api_schema, world):
    tokens = _tokens(world)
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 80
    for operation in operations:
        takes_input = any(len(group) for group in (operation.path_parameters, operation.query, operation.body))
        for who, mode, examples in PLAN:
            if mode == GenerationMode.NEGATIVE and not takes_input:
                continue  # nothing invalid can be sent to an operation without parameters
            headers = {"Authorization": f"Bearer {tokens[who]}"} if who in tokens else {}
            failures += _fuzz(operation, who, mode, examples * SCALE, headers)
    assert failures == [], "\n".join(sorted(set(failures))[:60])


def _fuzz(operation, who, mode, examples, headers) -> list[str]:
    found: list[str] = []

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, headers=headers))
    def fuzz(case):
        response = case.call()
        if response.status_code >= 500:
            found.append(f"{who} {case.method} {case.formatted_path} -> {response.status_code}")

    try:
        fuzz()
    except Unsatisfiable:
        pass
    except Exception as exc:  # noqa: BLE001 - an error while calling is a failure to report
        found.append(f"{who} {operation.method.upper()} {operation.path}: {type(exc).__name__}: {exc}")
    return found
