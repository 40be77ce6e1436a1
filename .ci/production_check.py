#!/usr/bin/env python3
"""Start kepu in production mode with the README's command and fetch what a visitor and a client would.

    .venv/bin/python .ci/production_check.py                       SQLite in a fresh directory
    .venv/bin/python .ci/production_check.py --owner-url URL --app-url URL --app-role ROLE
                                                                    PostgreSQL: migrations as the owner,
                                                                    the app as a role without DDL rights

Checks: the landing page (200, security headers, its static CSS served), a 404 page, JSON API errors
(401, 404), the HTTPS redirect and secure cookies; on PostgreSQL, that the app's role can neither
drop nor bypass the append-only triggers, and that the backup command works. Standard library only,
apart from psycopg (installed in .venv) for the role checks.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = Path(sys.executable)
FAILURES: list[str] = []


def check(ok: bool, what: str) -> None:
    print(("  ok    " if ok else "  FAIL  ") + what, flush=True)
    if not ok:
        FAILURES.append(what)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str, *, https: bool = True, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = {"Host": "127.0.0.1", **(headers or {})}
    if https:  # what the reverse proxy in front says
        sent["X-Forwarded-Proto"] = "https"
        sent["X-Forwarded-For"] = "203.0.113.10"
    conn.request("GET", path, headers=sent)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, response.msg, body


def production_env(tmp: Path, args) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEPU_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "KEPU_SECRET_KEY": secrets.token_urlsafe(64),
            "KEPU_PII_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "KEPU_PII_INDEX_KEY": secrets.token_urlsafe(32),
            "KEPU_VAR_DIR": str(tmp),
            "KEPU_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "KEPU_TRUSTED_PROXY_HEADER": "X-Forwarded-For",
            "KEPU_PROXY_SSL_HEADER": "X-Forwarded-Proto",
        }
    )
    if args.app_url:
        env.update(
            {
                "DATABASE_URL": args.app_url,
                "KEPU_MIGRATE_DATABASE_URL": args.owner_url,
                "KEPU_APP_DB_ROLE": args.app_role,
            }
        )
    return env


def wait_until_up(port: int, server: subprocess.Popen, seconds: int = 240) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        try:
            if get(port, "/healthz", https=False)[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(1)
    return False


def security_headers(headers: dict, what: str, *, html: bool = True) -> None:
    check("max-age=" in headers.get("strict-transport-security", ""), f"HSTS header on {what}")
    check(headers.get("x-content-type-options") == "nosniff", f"X-Content-Type-Options: nosniff on {what}")
    if html:  # a JSON answer is never framed or run as a page: CSP and framing are the pages' headers
        csp = headers.get("content-security-policy", "")
        check("script-src 'self'" in csp and "frame-ancestors 'none'" in csp, f"Content-Security-Policy on {what}")
        check(headers.get("x-frame-options") == "DENY", f"X-Frame-Options: DENY on {what}")


def pages(port: int) -> None:
    status, headers, _msg, body = get(port, "/")
    text = body.decode("utf-8", "replace")
    check(status == 200 and "<html" in text, f"landing page answers 200 ({status})")
    security_headers(headers, "the landing page")
    css = re.search(r'href="(/static/[^"]+\.css)"', text)
    check(bool(css) and get(port, css.group(1))[0] == 200, "static files served after collectstatic")
    status, headers, msg, _body = get(port, "/accounts/login/")
    cookies = msg.get_all("Set-Cookie") or []
    check(status == 200 and cookies and all("Secure" in c for c in cookies), "cookies are Secure")
    status, headers, _msg, body = get(port, "/no-such-page/")
    check(status == 404 and "text/html" in headers.get("content-type", ""), f"404 page ({status})")
    security_headers(headers, "the 404 page")
    status, headers, _msg, body = get(port, "/api/v1/people/me")
    check(
        status == 401 and headers.get("content-type", "").startswith("application/json") and b'"code"' in body,
        f"API error is JSON ({status})",
    )
    security_headers(headers, "an API error", html=False)
    status, headers, _msg, body = get(port, "/api/v1/no/such/thing")
    check(status == 404 and b'"not_found"' in body, f"unknown API path is a JSON 404 ({status})")
    status, headers, _msg, _body = get(port, "/", https=False)
    check(status in (301, 302) and headers.get("location", "").startswith("https://"), "plain HTTP redirects")
    # Readiness answers a load balancer over plain HTTP: the database answers and every migration is applied.
    status, _headers, _msg, body = get(port, "/readyz", https=False)
    check(status == 200 and json.loads(body or b"{}").get("ready") is True, f"/readyz ({status}: {body[:80]!r})")
    # /metrics with neither an address list nor a token set answers nobody.
    status, _headers, _msg, _body = get(port, "/metrics")
    check(status in (403, 404), f"/metrics refused without KEPU_METRICS_ALLOW or a token ({status})")


def role_cannot_touch_the_guards(app_url: str) -> None:
    import psycopg

    attempts = {
        "drop the audit trigger": "DROP TRIGGER core_auditentry_append_only ON core_auditentry",
        "disable the audit trigger": "ALTER TABLE core_auditentry DISABLE TRIGGER ALL",
        "truncate the audit trail": "TRUNCATE core_auditentry",
        "delete from the audit trail": "DELETE FROM core_auditentry",
        "update the audit trail": "UPDATE core_auditentry SET action = 'x'",
        "drop the ledger trigger": "DROP TRIGGER volunteers_hoursentry_no_delete ON volunteers_hoursentry",
        "create a table": "CREATE TABLE kepu_intruder (id int)",
        "replace the trigger function": "CREATE OR REPLACE FUNCTION core_auditentry_append_only() RETURNS trigger "
        "AS $$ BEGIN RETURN OLD; END; $$ LANGUAGE plpgsql",
    }
    with psycopg.connect(app_url, autocommit=True) as conn:
        count = conn.execute("SELECT count(*) FROM core_auditentry").fetchone()[0]
        check(True, f"the app's role reads the audit trail ({count} entries)")
        conn.execute("INSERT INTO core_ratecounter (key, window_start, count) VALUES ('ci', now(), 1)")
        conn.execute(
            "INSERT INTO core_auditentry (at, actor_name, role, action, object_type, object_id, object_repr,"
            " place_path, data, user_agent) VALUES (now(), 'ci', '', 'kepu.ci.checked', '', '', '', '', '{}', '')"
        )
        check(True, "the app's role writes data and appends to the audit trail")
        triggers = {
            name
            for (name,) in conn.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled = 'O'"
                " AND tgrelid IN ('core_auditentry'::regclass, 'volunteers_hoursentry'::regclass)"
            )
        }
        expected = {
            "core_auditentry_append_only",
            "volunteers_hoursentry_append_only",
            "volunteers_hoursentry_no_delete",
        }
        check(expected <= triggers, f"the append-only triggers are in place and enabled ({sorted(triggers)})")
        for what, sql in attempts.items():
            try:
                conn.execute(sql)
                check(False, f"the app's role cannot {what}")
            except psycopg.Error:
                check(True, f"the app's role cannot {what}")


def processes_of(marker: str) -> list[int]:
    """Processes whose environment names this run's directory: what the start left running."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker.encode() in (proc / "environ").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--owner-url")
    parser.add_argument("--app-url")
    parser.add_argument("--app-role")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kepu-prod-") as tmp:
        env = production_env(Path(tmp), args)
        port = free_port()
        print(f"production start on port {port} ({'PostgreSQL, two roles' if args.app_url else 'SQLite'})")
        server = subprocess.Popen(
            [str(PY), "manage.py", "deploy", "--serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        try:
            up = wait_until_up(port, server)
            check(up, "the documented command starts the app")
            if up:
                pages(port)
                if args.app_url:
                    role_cannot_touch_the_guards(args.app_url)
                    backup = Path(tmp) / "backup.dump"
                    run = subprocess.run([str(PY), "manage.py", "backup", str(backup)], cwd=ROOT, env=env)
                    check(run.returncode == 0 and backup.stat().st_size > 0, "manage.py backup (pg_dump) works")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
            time.sleep(3)
            check(not processes_of(tmp), "stopping leaves no process behind (server, worker, scheduler)")
    print(f"{len(FAILURES)} failed" if FAILURES else "production check passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
