"""Settings for the test suite: the real settings with fast, local, observable back ends."""

import os

os.environ.setdefault("KEPU_TESTING", "1")

from kepu.settings import *  # noqa: E402,F403

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# The task tests against a real Redis: KEPU_TEST_TASKS_BACKEND=rq and KEPU_REDIS_URL (.ci/scale_out runs them).
if os.environ.get("KEPU_TEST_TASKS_BACKEND") == "rq":
    TASKS = {"default": {"BACKEND": "kepu.core.testing.rq.DrainingRQBackend"}}
    INSTALLED_APPS = [*INSTALLED_APPS, *(a for a in ("django_rq", "django_tasks_rq") if a not in INSTALLED_APPS)]  # noqa: F405
    RQ_QUEUES = {"default": {"URL": KEPU_REDIS_URL}}  # noqa: F405
KEPU_SMS_BACKEND = "kepu.core.messaging.LocmemSmsBackend"
KEPU_WECHAT_BACKEND = "kepu.notifications.channels.LocmemWeChatBackend"
# Argon2 is what production uses (asserted in a test); tests hash with a fast hasher.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LANGUAGE_CODE = "zh-hans"
KEPU_EMERGENCY_FEED_SECRET = "test-feed-secret"

# Uploaded science-resource files go to a throw-away directory, removed when the process ends (each xdist worker
# makes its own; left behind, a day of test runs filled /tmp with hundreds of them).
import atexit  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

_RESOURCES_DIR = tempfile.mkdtemp(prefix="kepu-resources-")
atexit.register(shutil.rmtree, _RESOURCES_DIR, ignore_errors=True)

STORAGES = {
    **STORAGES,  # noqa: F405
    "resources": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": _RESOURCES_DIR},
    },
}

# On PostgreSQL, a connection a test left inside a transaction (a thread that never finished) would hold its locks
# until the worker ends, stalling every later test of that worker until pytest-timeout. The server ends such a session
# after two idle minutes, and a statement that waits on a lock for three fails with itself named in the error.
if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (  # noqa: F405
        "-c lock_timeout=180s -c idle_in_transaction_session_timeout=120s"
    )
