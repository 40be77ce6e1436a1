"""Two app hosts, one database: two gunicorn processes behind a round-robin proxy serve one browser in turn.

Sign-in, CSRF, an upload, the one-time-code limits and the scheduler's lock must hold whichever process answers:
nothing that matters may live in a process. Run by .ci/scale_out (KEPU_TEST_TWO_HOSTS=1, on PostgreSQL: the
hosts are other processes and need the test database on a server).
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from kepu.core.testing.roundrobin import RoundRobinProxy

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "two-hosts-Passw0rd"

pytestmark = [
    pytest.mark.skipif(not os.environ.get("KEPU_TEST_TWO_HOSTS"), reason="KEPU_TEST_TWO_HOSTS=1 (.ci/scale_out)"),
    pytest.mark.django_db(transaction=True),  # the hosts are other processes: the rows must be committed
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def host_env(var_dir: Path) -> dict:
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k not in {"KEPU_REPLICA_URL", "KEPU_TASKS_BACKEND"}}
    return {
        **env,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "kepu.settings",
        # Development keys, derived from the secret key the suite uses too (so both read the suite's rows).
        "KEPU_TESTING": "1",
        "PYTHONUNBUFFERED": "1",
        "KEPU_SECURE_COOKIES": "0",
        "KEPU_VAR_DIR": str(var_dir),  # the shared disk (in production: a shared volume or S3 storage)
        "KEPU_SMS_BACKEND": "kepu.core.messaging.FileSmsBackend",
        "KEPU_CODES_PER_ADDRESS": "3",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }


def start_hosts(env: dict, ports: list[int]) -> list[subprocess.Popen]:
    hosts = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "kepu.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "2",
                "--timeout",
                "120",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for port in ports
    ]
    deadline = time.monotonic() + 120
    for host, port in zip(hosts, ports, strict=True):
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=30).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or still loading
                pass
            if host.poll() is not None or time.monotonic() > deadline:
                stop(hosts)
                raise AssertionError(f"host on {port} did not start: {host_logs(env)}")
            time.sleep(0.3)
    return hosts


def stop(processes) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)


def host_logs(env) -> str:
    return "\n".join(p.read_text()[-3000:] for p in sorted(Path(env["KEPU_VAR_DIR"]).glob("host-*.log")))


class Browser:
    """One browser's cookies, through the proxy; remembers which host answered each request."""

    def __init__(self, base: str):
        self.base, self.session, self.hosts = base, requests.Session(), []

    def __call__(self, method: str, path: str, **kwargs):
        response = self.session.request(method, self.base + path, allow_redirects=False, timeout=60, **kwargs)
        self.hosts.append(response.headers["X-Kepu-Upstream"])
        return response

    def token(self, page) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def sms_to(var_dir: Path, phone: str) -> list[str]:
    outbox = var_dir / "outbox" / "sms.jsonl"
    lines = outbox.read_text(encoding="utf-8").splitlines() if outbox.exists() else []
    return [m["text"] for m in map(json.loads, lines) if m["to"] == phone]


def test_two_hosts_share_sign_in_csrf_uploads_limits_and_the_scheduler(world, tmp_path):
    from django_tasks_db.models import DBTaskResult

    from kepu.core.scheduler import periodic_tasks
    from kepu.resources.models import ResourceFile
    from kepu.resources.tests.factories import make_piece, png

    if connection.vendor != "postgresql":
        pytest.skip("the hosts are other processes: the test database must be on a server")
    staff = world.a.unit_staff
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"]):
        staff.user.set_password(PASSWORD)
        staff.user.save()
    piece = make_piece(staff, title="两台主机的封面")
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    env = host_env(var_dir)
    ports = [free_port(), free_port()]
    hosts = start_hosts(env, ports)
    try:
        with RoundRobinProxy(ports) as proxy:
            base = f"http://127.0.0.1:{proxy.port}"
            # Sign-in: the form from one host, the post (with its CSRF token) to the other, pages from both.
            b = Browser(base)
            login = reverse("accounts:login")
            page = b("GET", login)
            signed_in = b(
                "POST",
                login,
                data={"csrfmiddlewaretoken": b.token(page), "username": staff.user.username, "password": PASSWORD},
            )
            assert signed_in.status_code == 302, host_logs(env)
            detail = reverse("resources:manage_detail", args=[piece.pk])
            for _ in range(2):
                page = b("GET", detail)
                assert page.status_code == 200 and "两台主机的封面" in page.text
            # CSRF: a form posted without the token is refused by either host, and changes nothing.
            add = reverse("resources:file_add", args=[piece.pk])
            for _ in range(2):
                assert (
                    b(
                        "POST",
                        add,
                        data={"role": "cover", "alt": "封面"},
                        files={"upload": ("c.png", png(), "image/png")},
                    ).status_code
                    == 403
                )
            assert not ResourceFile.objects.filter(resource=piece).exists()
            # An upload through one host is served by the other (files on the shared disk, rows in the database).
            image = png(colour=(200, 40, 40))
            added = b(
                "POST",
                add,
                data={"csrfmiddlewaretoken": b.token(page), "role": "cover", "alt": "封面"},
                files={"upload": ("c.png", image, "image/png")},
            )
            assert added.status_code == 302, host_logs(env)
            stored = ResourceFile.objects.get(resource=piece)
            for _ in range(2):
                served = b("GET", reverse("resources:file", args=[stored.pk]))
                assert served.status_code == 200 and served.content == image
            assert set(b.hosts) == {"0", "1"} and all(x != y for x, y in zip(b.hosts, b.hosts[1:], strict=False))

            # One-time codes: one a minute per number and three an hour per address, whichever host is asked.
            r = Browser(base)
            phone_login = reverse("accounts:phone_login")

            def ask(phone):
                page = r("GET", phone_login)
                return r(
                    "POST", phone_login, data={"csrfmiddlewaretoken": r.token(page), "phone": phone, "agree": "on"}
                )

            assert ask("13800138101").status_code == 200 and len(sms_to(var_dir, "13800138101")) == 1
            again = ask("13800138101")
            assert "一分钟" in again.text and len(sms_to(var_dir, "13800138101")) == 1
            ask("13800138102")
            ask("13800138103")
            refused = ask("13800138104")
            assert "尝试次数过多" in refused.text and sms_to(var_dir, "13800138104") == []
            assert [len(sms_to(var_dir, f"1380013810{n}")) for n in (1, 2, 3)] == [1, 1, 1]
            assert set(r.hosts) == {"0", "1"}
    finally:
        stop(hosts)

    # Two schedulers at once (as on two hosts): each periodic task is enqueued once.
    schedulers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "run_scheduler", "--once"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [s.communicate(timeout=120) for s in schedulers]
    assert [s.returncode for s in schedulers] == [0, 0], outputs
    enqueued = Counter(DBTaskResult.objects.values_list("task_path", flat=True))
    assert set(enqueued.values()) == {1} and len(enqueued) == len(periodic_tasks())
    said = [line for out, _err in outputs for line in out.splitlines() if line.startswith("enqueued ")]
    assert len(said) == len(periodic_tasks())  # between them, not each
