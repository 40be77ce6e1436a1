"""Settings for kepu, read from the environment with safe defaults.

The embedded default is SQLite in ``var/`` (WAL, foreign keys on); ``DATABASE_URL``
switches to PostgreSQL. Nothing here reaches the internet: static files are served
by the app through whitenoise.
"""

import json
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KEPU_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("KEPU_DEBUG", False)
# A development key is only acceptable while DEBUG is on; production must set one.
SECRET_KEY = os.environ.get("KEPU_SECRET_KEY") or (
    "dev-insecure-kepu-key-change-me" if DEBUG or env_bool("KEPU_TESTING") else ""
)
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("Set KEPU_SECRET_KEY (or KEPU_DEBUG=1 for development).")

ALLOWED_HOSTS = env_list("KEPU_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("KEPU_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "kepu.core",
    "kepu.places",
    "kepu.orgs",
    "kepu.accounts",
    "kepu.plans",
    "kepu.notifications",
    "kepu.orders",
    "kepu.activities",
    "kepu.volunteers",
    "kepu.survey",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kepu.core.middleware.RequestContextMiddleware",
    "kepu.accounts.middleware.ActorMiddleware",
    "kepu.core.middleware.ElderModeMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kepu.urls"
WSGI_APPLICATION = "kepu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kepu.core.context_processors.kepu",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("KEPU_SQLITE_PATH", str(VAR_DIR / "kepu.sqlite3")),
            "OPTIONS": {
                # WAL lets readers go on while a writer commits; IMMEDIATE takes the write
                # lock at BEGIN so concurrent writers queue instead of failing mid-transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000; PRAGMA cache_size=-64000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "kepu.accounts.backends.PhoneCodeBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:landing"

# Repeated failures lock the account name (a username or a phone number) and, separately,
# the client address, for a while.
AXES_FAILURE_LIMIT = int(os.environ.get("KEPU_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("KEPU_LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "kepu.accounts.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_SECURE = env_bool("KEPU_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- i18n -----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# Each app keeps its own catalogue in <app>/locale (see docs/ARCHITECTURE.md).

# --- Static files ---------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("KEPU_TESTING")
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or env_bool("KEPU_TESTING")

# --- Background work --------------------------------------------------------
# The backend is a setting: a deployment can move to another django-tasks backend
# (Redis/RQ, Celery) by changing KEPU_TASKS_BACKEND only.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("KEPU_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# --- Personal data ----------------------------------------------------------
# Fernet keys, newest first; older keys keep decrypting until `rotate_pii_keys` has run.
KEPU_PII_KEYS = env_list("KEPU_PII_KEYS")
KEPU_PII_INDEX_KEY = os.environ.get("KEPU_PII_INDEX_KEY", "")
# Without configured keys, development and tests derive them from SECRET_KEY; production refuses.
KEPU_DEV_KEYS = DEBUG or env_bool("KEPU_TESTING")

# --- Messages out -----------------------------------------------------------
KEPU_SMS_BACKEND = os.environ.get("KEPU_SMS_BACKEND", "kepu.core.messaging.FileSmsBackend")
KEPU_SMS_GATEWAY_URL = os.environ.get("KEPU_SMS_GATEWAY_URL", "")
KEPU_SMS_GATEWAY_TOKEN = os.environ.get("KEPU_SMS_GATEWAY_TOKEN", "")
KEPU_SMS_OUTBOX = VAR_DIR / "outbox"
KEPU_WECHAT_BACKEND = os.environ.get("KEPU_WECHAT_BACKEND", "kepu.notifications.channels.FileWeChatBackend")
# For HttpGatewayWeChatBackend: the relay to the official account's template-message API, and
# {"kind of message": "template id", "generic": "…"} as JSON.
KEPU_WECHAT_GATEWAY_URL = os.environ.get("KEPU_WECHAT_GATEWAY_URL", "")
KEPU_WECHAT_GATEWAY_TOKEN = os.environ.get("KEPU_WECHAT_GATEWAY_TOKEN", "")
KEPU_WECHAT_TEMPLATES = json.loads(os.environ.get("KEPU_WECHAT_TEMPLATES", "{}") or "{}")
KEPU_SITE_URL = os.environ.get("KEPU_SITE_URL", "http://127.0.0.1:8000")
# Only the demo shows the one-time code on the sign-in page, so that a newcomer can sign in
# as a resident without a phone. Never on in production.
KEPU_SHOW_DEV_CODES = env_bool("KEPU_SHOW_DEV_CODES", False) and DEBUG
KEPU_LOGIN_CODE_TTL_SECONDS = 300
KEPU_LOGIN_CODE_RESEND_SECONDS = 60

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KEPU_LOG_LEVEL", "WARNING")},
}
