#!/usr/bin/env python3
"""kepu's two commands, with nothing but Python 3.11+ on the machine.

    python3 dev.py up [--port N]   set up everything, load the demo, run the site on http://127.0.0.1:8000
                                   (or on port N, or on $KEPU_PORT)
    python3 dev.py test            run the whole test suite (extra arguments go to pytest)

Both create ``.venv`` and install the locked dependencies on first use (and again whenever
requirements.lock changes). Only the standard library is used here, on purpose.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from kepu.core.supervise import Supervised  # noqa: E402 - standard library only, like this file

VENV = Path(os.environ.get("KEPU_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
LOCK = ROOT / "requirements.lock"
STAMP = VENV / ".installed-lock"


def run(*cmd, env=None, check=True) -> int:
    print("$", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env, check=check).returncode


def setup() -> None:
    if sys.version_info < (3, 11):
        sys.exit("kepu needs Python 3.11 or newer.")
    if not PY.exists():
        run(sys.executable, "-m", "venv", VENV)
    if not STAMP.exists() or STAMP.read_bytes() != LOCK.read_bytes():
        run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(PY, "-m", "pip", "install", "--quiet", "-r", LOCK)
        shutil.copyfile(LOCK, STAMP)


def django_env(**extra) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra}
    return env


def compile_messages(env) -> None:
    # The compiled catalogues are committed; refresh them when gettext is there.
    if shutil.which("msgfmt"):
        run(PY, "manage.py", "compilemessages", "--ignore", ".venv", "-v", "0", env=env, check=False)


def port_of(args: list[str]) -> int:
    """The port to serve on: ``--port N`` (or ``--port=N``), else $KEPU_PORT, else 8000."""
    value = os.environ.get("KEPU_PORT", "8000")
    for i, arg in enumerate(args):
        if arg == "--port" and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--port="):
            value = arg.split("=", 1)[1]
    if not value.isdigit() or not 0 < int(value) < 65536:
        sys.exit(f"Not a port number: {value}")
    return int(value)


def port_is_free(port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def up(args: list[str]) -> None:
    port = port_of(args)
    if not port_is_free(port):
        sys.exit(f"Port {port} is in use. Choose another: python3 dev.py up --port {port + 1}  (or set KEPU_PORT)")
    setup()
    env = django_env(
        KEPU_DEBUG="1",
        KEPU_SHOW_DEV_CODES="1",
        DJANGO_SETTINGS_MODULE="kepu.settings",
        KEPU_SITE_URL=os.environ.get("KEPU_SITE_URL", f"http://127.0.0.1:{port}"),
    )
    compile_messages(env)
    run(PY, "manage.py", "migrate", "--no-input", "-v", "0", env=env)
    run(PY, "manage.py", "seed_demo", env=env)
    workers = [
        Supervised("worker", [PY, "manage.py", "run_worker"], env, cwd=ROOT).start(),
        Supervised("scheduler", [PY, "manage.py", "run_scheduler"], env, cwd=ROOT).start(),
    ]
    print(
        f"\nkepu is starting on http://127.0.0.1:{port}  (Ctrl+C stops it; the worker and scheduler stop too)\n",
        flush=True,
    )

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # a plain `kill` stops the worker and scheduler too
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "kepu.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--threads",
            "4",
            "--access-logfile",
            "-",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.stop()
        time.sleep(0.5)


def test(args: list[str]) -> int:
    setup()
    env = django_env(KEPU_TESTING="1")
    if not args:
        # The whole suite: one worker per core (each with its own test database), a file kept on one worker so
        # module-wide fixtures (the seeded demo of the refusal walks) are built once.
        args = ["-n", "auto", "--dist", "loadfile"]
    # pytest exits 5 when it collected nothing: that is a failure here, never a pass.
    return run(PY, "-m", "pytest", *args, env=env, check=False)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {"up", "test", "setup"}:
        sys.exit(__doc__)
    command = sys.argv[1]
    if command == "up":
        up(sys.argv[2:])
    elif command == "setup":
        setup()
    else:
        sys.exit(test(sys.argv[2:]))


if __name__ == "__main__":
    main()
