"""Settings for kepu, read from the environment with safe defaults.

The embedded default is SQLite in ``var/`` (WAL, foreign keys on); ``DATABASE_URL``
switches to PostgreSQL. Nothing here reaches the internet: static files are served
by the app through whitenoise.
"""

import json
import os
from pathlib import Path

import dj_database_url

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
TESTING = env_bool("KEPU_TESTING")
# Production is whatever is neither development nor the test suite: it gets every protection below.
PRODUCTION = not DEBUG and not TESTING
# A development key is only acceptable while DEBUG is on; production must set one.
SECRET_KEY = os.environ.get("KEPU_SECRET_KEY") or ("dev-insecure-kepu-key-change-me" if DEBUG or TESTING else "")
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
    # Only for its templates and static files: the API docs are served from here, not from a CDN.
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
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
    "kepu.bases",
    "kepu.statistics",
    "kepu.resources",
    "kepu.emergency",
    "kepu.leaders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
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
    "kepu.core.middleware.DomainErrorMiddleware",
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

# Repeated failures lock the account (a user name, or a phone number by its blind index), never an
# address: behind a proxy or a school's NAT one address is many people. Addresses get a soft limit of
# their own (kepu.accounts.lockout), which slows a guesser down without locking anyone out.
AXES_FAILURE_LIMIT = int(os.environ.get("KEPU_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("KEPU_LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "kepu.accounts.lockout.account_key"
AXES_CLIENT_IP_CALLABLE = "kepu.core.net.client_ip"
AXES_LOCKOUT_CALLABLE = "kepu.accounts.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
# Successful sign-ins are in the audit trail; axes' own log would keep phone numbers in clear.
AXES_DISABLE_ACCESS_LOG = True
AXES_SENSITIVE_PARAMETERS = ["password", "code", "phone", "username"]
# axes would want addresses locked too; kepu.accounts.lockout limits them softly instead (see above).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
KEPU_SIGNIN_FAILURES_PER_ADDRESS = int(os.environ.get("KEPU_SIGNIN_FAILURES_PER_ADDRESS", "30"))
KEPU_CODES_PER_ADDRESS = int(os.environ.get("KEPU_CODES_PER_ADDRESS", "10"))
KEPU_CODES_PER_PHONE = int(os.environ.get("KEPU_CODES_PER_PHONE", "5"))

# The client's address (audit trail, limits): REMOTE_ADDR, or the reverse proxy's header when the
# request comes from one of the trusted proxies (see kepu.core.net).
KEPU_TRUSTED_PROXY_HEADER = os.environ.get("KEPU_TRUSTED_PROXY_HEADER", "")
KEPU_TRUSTED_PROXIES = env_list("KEPU_TRUSTED_PROXIES", "127.0.0.1,::1")
if os.environ.get("KEPU_PROXY_SSL_HEADER"):
    # Only behind a proxy that always sets it (and strips what clients send).
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + os.environ["KEPU_PROXY_SSL_HEADER"].upper().replace("-", "_"), "https")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_SECURE = env_bool("KEPU_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# HTTPS only in production (`manage.py check --deploy` is clean); /healthz answers plain HTTP for the balancer.
SECURE_SSL_REDIRECT = env_bool("KEPU_SSL_REDIRECT", PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("KEPU_HSTS_SECONDS", "31536000" if PRODUCTION else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("KEPU_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("KEPU_HSTS_PRELOAD", True)
# Scripts only from our own files (no inline script, no eval); styles allow inline attributes, which
# htmx and a few templates use. Everything is served by the app itself, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],  # blob: the check-in scanner reads a photo of a ticket
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "media-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

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
    # Science resources' files, served only through their checked view (never under MEDIA_URL). Any
    # Django storage works here, e.g. an S3-compatible store with django-storages:
    # KEPU_RESOURCES_STORAGE=storages.backends.s3.S3Storage and its options as JSON.
    "resources": {
        "BACKEND": os.environ.get("KEPU_RESOURCES_STORAGE", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": json.loads(os.environ.get("KEPU_RESOURCES_STORAGE_OPTIONS", "") or "null")
        or {"location": str(VAR_DIR / "resources")},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
# Uploaded files are served by kepu.core.media (a view that checks who may see each file), never as
# a directory: the web server in front needs no /media/ rule.

# --- Background work --------------------------------------------------------
# The backend is a setting: a deployment can move to another django-tasks backend
# (Redis/RQ, Celery) by changing KEPU_TASKS_BACKEND only.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("KEPU_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# --- Scale-out: task backend, replicas ----------------------------------------
# (docs/SCALE-OUT.md.) KEPU_TASKS_BACKEND=rq keeps the queue in Redis (django-tasks-rq) at KEPU_REDIS_URL; the
# worker is then RQ's (`manage.py run_worker` starts it), and the tasks' code does not change.
KEPU_REDIS_URL = os.environ.get("KEPU_REDIS_URL", "redis://127.0.0.1:6379/0")
if TASKS["default"]["BACKEND"] in {"rq", "django_tasks_rq.RQBackend"}:
    TASKS["default"]["BACKEND"] = "django_tasks_rq.RQBackend"
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    # A task may run for a long time (a city-wide fan-out, a survey estimation): an hour before RQ stops it.
    RQ_QUEUES = {"default": {"URL": KEPU_REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
# KEPU_REPLICA_URL adds a read-only PostgreSQL standby. Only the selectors marked `use_replica` (dashboards and
# public lists) read from it, and never inside a transaction, in a request that wrote, or for a browser that
# wrote in the last KEPU_REPLICA_PIN_SECONDS (kepu/core/dbrouter.py).
KEPU_REPLICA_PIN_SECONDS = int(os.environ.get("KEPU_REPLICA_PIN_SECONDS", "10"))
if os.environ.get("KEPU_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(os.environ["KEPU_REPLICA_URL"], conn_max_age=60)
    # The test runner never creates nor flushes a database on the standby (it follows the primary).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["kepu.core.dbrouter.ReplicaRouter"]
    MIDDLEWARE = [*MIDDLEWARE, "kepu.core.dbrouter.ReplicaPinMiddleware"]

# --- Personal data ----------------------------------------------------------
# Fernet keys, newest first; older keys keep decrypting until `rotate_pii_keys` has run.
KEPU_PII_KEYS = env_list("KEPU_PII_KEYS")
KEPU_PII_INDEX_KEY = os.environ.get("KEPU_PII_INDEX_KEY", "")
# Without configured keys, development and tests derive them from SECRET_KEY; production refuses to start.
KEPU_DEV_KEYS = DEBUG or TESTING
if not KEPU_DEV_KEYS and not (KEPU_PII_KEYS and KEPU_PII_INDEX_KEY):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("Set KEPU_PII_KEYS and KEPU_PII_INDEX_KEY (personal data keys) in production.")

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
# The shared secret of the emergency warning feed (HMAC-SHA256, docs/EMERGENCY_FEED.md); empty: the feed is off.
KEPU_EMERGENCY_FEED_SECRET = os.environ.get("KEPU_EMERGENCY_FEED_SECRET", "")
# Minutes an expert of the emergency team has to accept a call before the next one is called.
KEPU_EMERGENCY_ACCEPT_MINUTES = int(os.environ.get("KEPU_EMERGENCY_ACCEPT_MINUTES", "30"))
# Only the demo shows the one-time code on the sign-in page, so that a newcomer can sign in
# as a resident without a phone. Never on in production.
KEPU_SHOW_DEV_CODES = env_bool("KEPU_SHOW_DEV_CODES", False) and DEBUG
KEPU_LOGIN_CODE_TTL_SECONDS = 300
KEPU_LOGIN_CODE_RESEND_SECONDS = 60

# --- Who runs the site (the footer, the privacy policy and the user agreement) ------------------
KEPU_OPERATOR_NAME = os.environ.get("KEPU_OPERATOR_NAME", "北京市科学技术协会")
KEPU_OPERATOR_CONTACT = os.environ.get("KEPU_OPERATOR_CONTACT", "")
# The ICP filing number (ICP备案号) shown in the footer; the demo shows a placeholder.
KEPU_ICP_NUMBER = os.environ.get("KEPU_ICP_NUMBER", "京ICP备00000000号（演示）" if DEBUG else "")
# Raise when the privacy policy or the user agreement changes: people are asked to agree again.
KEPU_POLICY_VERSION = os.environ.get("KEPU_POLICY_VERSION", "2026-12")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"expected_refusals": {"()": "kepu.core.logs.ExpectedRefusals"}},
    "formatters": {
        "django.server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["expected_refusals"]},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("KEPU_LOG_LEVEL", "WARNING")},
    # Django's own console handler (development) would print the 403/404 tracebacks again: one handler only.
    "loggers": {
        "django": {"handlers": ["console"], "level": os.environ.get("KEPU_LOG_LEVEL", "WARNING"), "propagate": False},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}

# Check-in at an activity opens this many minutes before a session starts and closes when it ends;
# a check-in after that is a late entry (补登), a separate, audited act with a reason.
KEPU_CHECKIN_OPENS_MINUTES = int(os.environ.get("KEPU_CHECKIN_OPENS_MINUTES", "120"))
# The leaders' page keeps a place's figures this long (seconds; 0 counts on every view). kepu.leaders.selectors.
KEPU_LEADERS_CACHE_SECONDS = int(os.environ.get("KEPU_LEADERS_CACHE_SECONDS", "300"))

# Operations: logs, metrics, readiness ---------------------------------------------------------------------
# (docs/DEPLOYMENT.md). KEPU_LOG_FORMAT=json: the console writes one JSON object per line (time, level, logger,
# message, and for each request its id, method, path, status, duration and database statements).
KEPU_LOG_FORMAT = os.environ.get("KEPU_LOG_FORMAT", "text")
# A request id the trusted proxy sends (nginx: proxy_set_header X-Request-ID $request_id) is kept; else one is made.
KEPU_REQUEST_ID_HEADER = os.environ.get("KEPU_REQUEST_ID_HEADER", "")
# /metrics answers these addresses or networks (the client's address, after KEPU_TRUSTED_PROXY_HEADER) or a
# scraper sending "Authorization: Bearer <KEPU_METRICS_TOKEN>"; with neither set it answers nobody.
KEPU_METRICS_ALLOW = env_list("KEPU_METRICS_ALLOW")
KEPU_METRICS_TOKEN = os.environ.get("KEPU_METRICS_TOKEN", "")
# /readyz also requires a task worker seen within this many seconds (0: the worker is not checked).
KEPU_READY_WORKER_SECONDS = int(os.environ.get("KEPU_READY_WORKER_SECONDS", "0"))
# Request metrics by django-prometheus's two middlewares around everything; the request id and log line next.
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "kepu.core.middleware.RequestLogMiddleware",
    *MIDDLEWARE,
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
# Probes and scrapers speak plain HTTP to the app's own port.
SECURE_REDIRECT_EXEMPT = [*SECURE_REDIRECT_EXEMPT, r"^readyz$", r"^metrics$"]
LOGGING["filters"]["request_id"] = {"()": "kepu.core.logs.RequestId"}
LOGGING["formatters"]["json"] = {"()": "kepu.core.logs.JsonFormatter"}
LOGGING["handlers"]["console"]["filters"].append("request_id")
if KEPU_LOG_FORMAT == "json":
    import logging

    LOGGING["handlers"]["console"]["formatter"] = "json"
    logging.captureWarnings(True)  # Python's warnings too, so that every line of the console parses
# One line per request (INFO) in JSON logs; plain logs keep only the failures (5xx, ERROR).
LOGGING["loggers"]["kepu.request"] = {
    "handlers": ["console"],
    "level": "INFO" if KEPU_LOG_FORMAT == "json" else "ERROR",
    "propagate": False,
}
