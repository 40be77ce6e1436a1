"""Keeping background processes running: used by ``dev.py up`` and ``manage.py deploy --serve``.

Standard library only (``dev.py`` imports it before any dependency is installed).
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time


class Supervised:
    """A background process kept running: restarted when it exits, after a pause that grows while it keeps failing.

    The worker runs without Django's autoreloader (``run_worker``), so stopping it stops it, and a
    crash is a process exit this loop sees, never a dead thread inside a live process.
    """

    def __init__(self, name: str, cmd: list, env: dict, *, cwd=None, first_pause: float = 1.0):
        self.name, self.cmd, self.env, self.first_pause = name, [str(c) for c in cmd], env, first_pause
        self.cwd = cwd
        self.proc: subprocess.Popen | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> Supervised:
        self.thread.start()
        return self

    def _loop(self) -> None:
        pause = self.first_pause
        while not self.stopping.is_set():
            started = time.monotonic()
            self.proc = subprocess.Popen(self.cmd, cwd=self.cwd, env=self.env)
            code = self.proc.wait()
            if self.stopping.is_set():
                return
            # Stopped by a signal sent to the whole group (Ctrl+C, a service manager): so is this supervisor,
            # which stops everything in a moment; a restart now would outlive it.
            if code in (-signal.SIGINT, -signal.SIGTERM) and self.stopping.wait(2.0):
                return
            if time.monotonic() - started > 60:
                pause = self.first_pause  # it ran for a while: a fresh failure, not a crash loop
            print(f"\n{self.name} exited ({code}); restarting in {pause:.0f} s", flush=True)
            self.stopping.wait(pause)
            pause = min(pause * 2, 60.0)

    def stop(self) -> None:
        self.stopping.set()
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
