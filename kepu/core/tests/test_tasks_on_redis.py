"""With the Redis backend (KEPU_TEST_TASKS_BACKEND=rq; .ci/scale_out starts redis-server): a task enqueued by the
app waits in Redis and RQ's own worker, started as production starts it (`manage.py run_worker`), runs it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from kepu.core.testing import scale_out

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.skipif(not scale_out.TASKS_MODE, reason="needs Redis (KEPU_TEST_TASKS_BACKEND=rq)")


@pytest.mark.django_db(transaction=True)  # the worker is another process: the rows must be committed
def test_a_queued_task_waits_in_redis_and_the_production_worker_runs_it(monkeypatch):
    from django.utils import timezone
    from django_tasks import task_backends
    from django_tasks_rq.backend import RQBackend

    from kepu.accounts.models import LoginCode
    from kepu.accounts.tasks import purge_expired_login_codes

    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs the test database on a server")
    backend = task_backends["default"]
    monkeypatch.setattr(type(backend), "enqueue", RQBackend.enqueue)  # queue only: no worker in this process
    LoginCode.objects.create(phone_index="x", code_hash="old", expires_at=timezone.now() - timezone.timedelta(days=2))
    result = purge_expired_login_codes.enqueue()
    assert backend.get_result(result.id).status == "READY"

    db = connection.settings_dict
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "kepu.settings",
        "KEPU_TESTING": "1",
        "KEPU_TASKS_BACKEND": "rq",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    env.pop("KEPU_REPLICA_URL", None)
    worker = subprocess.run(
        [sys.executable, "manage.py", "run_worker", "--batch"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stderr
    finished = backend.get_result(result.id)
    assert finished.status == "SUCCESSFUL" and finished.return_value == 1
    assert not LoginCode.objects.exists()
