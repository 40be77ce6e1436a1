"""Settings for the test suite: the real settings with fast, local, observable back ends."""

import os

os.environ.setdefault("KEPU_TESTING", "1")

from kepu.settings import *  # noqa: E402,F403

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
KEPU_SMS_BACKEND = "kepu.core.messaging.LocmemSmsBackend"
KEPU_WECHAT_BACKEND = "kepu.notifications.channels.LocmemWeChatBackend"
# Argon2 is what production uses (asserted in a test); tests hash with a fast hasher.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LANGUAGE_CODE = "zh-hans"
