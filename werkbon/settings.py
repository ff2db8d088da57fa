"""Django settings for Werkbon, read from environment variables (see ``.env.example``).

Two modes:

* the embedded default (no variables set): a SQLite file in ``var/``, Celery on the
  ``werkbon-filesystem://`` transport (a queue folder, no broker server; ``filesystem://``
  means the same), the worker running the scheduler too,
  and the Visma.net sandbox on ``http://127.0.0.1:8765`` as the Visma.net to talk to;
* scale-out: ``DATABASE_URL`` (PostgreSQL) and ``CELERY_BROKER_URL`` (Redis) with any
  number of workers and one ``celery beat``.

``WERKBON_ENV=production`` makes every secret mandatory and turns on the secure defaults
that ``manage.py check --deploy`` looks for.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.log import DEFAULT_LOGGING
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

from werkbon.env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("WERKBON_VAR_DIR", str(BASE_DIR / "var")) or "")

# Safe by default: without WERKBON_ENV the settings are production's (every secret
# mandatory, no debug pages, only the hosts named). ./dev up, ./dev demo and ./dev manage
# choose development, the test suite chooses test (werkbon/settings_test.py).
ENVIRONMENT = env_choice("WERKBON_ENV", "production", ("development", "production", "test"))
PRODUCTION = ENVIRONMENT == "production"
DEVELOPMENT = ENVIRONMENT == "development"
TESTING = ENVIRONMENT == "test"


def _secret(name: str, dev_default: str) -> str:
    value = env_str(name)
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set when WERKBON_ENV=production")
    return dev_default


SECRET_KEY = _secret("DJANGO_SECRET_KEY", "dev-only-insecure-key-never-use-in-production-0123456789")
# Fernet key (urlsafe base64, 32 bytes) that encrypts OAuth tokens and client secrets at rest.
FIELD_ENCRYPTION_KEY = _secret(
    "WERKBON_FIELD_ENCRYPTION_KEY", "ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZCE="
)
try:
    Fernet(FIELD_ENCRYPTION_KEY)
except ValueError as exc:  # a wrong key would only show when the first secret is stored
    raise ImproperlyConfigured(
        "WERKBON_FIELD_ENCRYPTION_KEY is not a Fernet key (32 bytes, urlsafe base64); make one "
        'with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
    ) from exc
DEBUG = env_bool("DJANGO_DEBUG", default=DEVELOPMENT)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", [] if PRODUCTION else ["*"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",  # Content-Security-Policy (CONTENT_SECURITY_POLICY below)
    "axes",  # login throttling and lockout (werkbon/accounts/throttling.py)
    "ninja",  # serves the API docs page's Swagger UI locally (the network is closed)
    "werkbon.accounts",
    "werkbon.workorders",
    "werkbon.integrations",
    "werkbon.customermail",
]

MIDDLEWARE = [
    # First: answers /health/ before the host check and the https redirect (werkbon/health.py).
    "werkbon.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "werkbon.csp.WerkbonCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Dutch by default: only the language switch (cookie), never the browser, changes it.
    "werkbon.language.IgnoreAcceptLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "werkbon.accounts.middleware.TenantMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: turns a locked-out login (page, admin or API token) into the Dutch 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "werkbon.urls"
WSGI_APPLICATION = "werkbon.wsgi.application"
ASGI_APPLICATION = "werkbon.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "werkbon" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "werkbon.accounts.context_processors.tenant",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'werkbon.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
# A kept connection (CONN_MAX_AGE; the workers keep theirs across tasks, werkbon/celery.py)
# is checked before its first use in each request or task: one that PostgreSQL dropped
# meanwhile (a restart, a killed backend) is replaced instead of failing that request or task.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets the web server read while a worker writes; IMMEDIATE avoids lock upgrades
    # that end in "database is locked"; the timeout covers short write bursts.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"].setdefault("TEST", {})
    DATABASES["default"]["TEST"]["NAME"] = env_str("WERKBON_TEST_SQLITE", None)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# --- login throttling (django-axes) ---------------------------------------------------------
# After AXES_FAILURE_LIMIT wrong passwords for one username from one address, that
# combination is locked for AXES_COOLOFF_TIME, even with the right password; the login
# page, the admin and the API's token authentication (all bad tokens of one address count
# together) answer 429 with a Dutch message (werkbon/accounts/throttling.py).
AUTHENTICATION_BACKENDS = [
    "werkbon.accounts.throttling.ThrottlingBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("WERKBON_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("WERKBON_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "werkbon.accounts.throttling.lockout_response"
AXES_VERBOSE = False
# The client address: REMOTE_ADDR, or the proxy's X-Forwarded-For when the deployment says
# it runs behind one (WERKBON_TRUSTED_PROXY_COUNT, see "security" below).

# API tokens expire after this many days unless their maker chose another lifetime.
WERKBON_API_TOKEN_DAYS = env_int("WERKBON_API_TOKEN_DAYS", 90, minimum=1)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- language and time ------------------------------------------------------------------
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "werkbon" / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

# --- static and media -----------------------------------------------------------------
STATIC_URL = "static/"
# Where collectstatic writes (whitenoise serves from there); an image bakes it in apart from
# the data volume.
STATIC_ROOT = Path(env_str("WERKBON_STATIC_ROOT", str(VAR_DIR / "static")) or "")
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
STATICFILES_DIRS = [BASE_DIR / "werkbon" / "static"]
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- security -------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag instead
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Behind a reverse proxy that terminates TLS (WERKBON_BEHIND_PROXY=true): trust its
# X-Forwarded-Proto for "is this https" and the last address it adds to X-Forwarded-For
# as the client's (login throttling counts per client address). Never set it without
# such a proxy: a client could then claim any address.
BEHIND_PROXY = env_bool("WERKBON_BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    AXES_IPWARE_PROXY_COUNT = env_int("WERKBON_PROXY_COUNT", 1, minimum=1)
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000, minimum=0)
    # Both promise that every subdomain speaks https (preload: for years, in browsers'
    # built-in lists); say false when the domain has a subdomain that does not.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
if TESTING:
    # Fast password hashing: the suite logs in hundreds of times.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Content-Security-Policy on every answer (django-csp): scripts and styles only from this
# site's static files, no inline script, no eval, no plugins, no framing. Photos of
# answers set their own, stricter "sandbox" (werkbon/workorders/photos.py). Forms may post
# to this site and redirect to Visma Connect (the integration's sign-in).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF],  # the offline app's service worker, /sw.js (issue 12)
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],  # and Visma Connect's origin (werkbon/csp.py)
    },
}

# --- background jobs (Celery) ---------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "werkbon-filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL == "filesystem://":
    # kombu's own filesystem transport can hand a worker a half-written message, which stops
    # the worker (see werkbon/celery_transport.py); the same queue folder, written atomically.
    CELERY_BROKER_URL = "werkbon-filesystem://"
if CELERY_BROKER_URL == "werkbon-filesystem://":
    _queue_dir = VAR_DIR / "celery-queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)  # the transport does not create it
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        # Broadcast (remote control) messages; the default is ./control in the cwd.
        "control_folder": str(VAR_DIR / "celery-control"),
        "store_processed": False,
        # The worker looks in the folder this often while it is empty: a job (an export
        # enqueued when the archive commits) waits on average half of it before it starts.
        # 0.02 s instead of 0.1 s: about 40 ms less per export on average (80 ms at worst)
        # for about one percent of a core more while idle (issue 14, docs/architecture.md).
        "polling_interval": 0.02,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Lets several installations (or concurrent test runs) share one Redis database.
    _key_prefix = env_str("WERKBON_CELERY_KEY_PREFIX", None)
    if _key_prefix:
        CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": _key_prefix}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a job of a killed worker is redelivered, not lost
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# No job holds a worker for ever (issue 8): after the soft limit the task gets
# SoftTimeLimitExceeded (it can end in a clear state), after the hard limit it is killed.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("WERKBON_TASK_SOFT_TIME_LIMIT_SECONDS", 600, minimum=1)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fix-up closes every database connection before and after each task unless
# this is set; a new PostgreSQL connection per job cost more CPU (worker and server) than an
# idle sync's own queries. werkbon/celery.py closes them Django's way instead (CONN_MAX_AGE,
# broken ones), as after a web request.
CELERY_DB_REUSE_MAX = 10**9
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "UTC"
CELERY_IMPORTS = ["werkbon.health"]  # werkbon itself is not an app, so not autodiscovered
# Four queues, so that a burst of exports or of imports cannot delay the scheduler's tick: the
# tick expires after 5 s, so behind a backlog of syncs every tick would be dropped until the
# backlog was gone, and then one tick would enqueue everything due meanwhile (a burst again).
# `periodic` holds only the clockwork (tick, heartbeat, sweep: short jobs), `sync` the imports
# from Visma.net. A worker started without -Q (the embedded `worker -B`) consumes all four; in
# scale-out, workers can be dedicated with -Q (see docs/deploy.md).
CELERY_TASK_DEFAULT_QUEUE = "default"
# Each queue has its own exchange and routing key: bound to one shared exchange and key,
# a direct exchange would copy every message into all of them.
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name, type="direct"), routing_key=name)
    for name in ("default", "periodic", "sync", "export")
]
CELERY_TASK_CREATE_MISSING_QUEUES = False  # a typo in a route is an error, not a lost job
CELERY_TASK_ROUTES = {
    "werkbon.health.*": {"queue": "periodic"},
    "werkbon.integrations.tasks.tick": {"queue": "periodic"},
    "werkbon.integrations.tasks.sync_*": {"queue": "sync"},
    "werkbon.integrations.tasks.export_*": {"queue": "export"},
    "werkbon.customermail.tasks.sweep": {"queue": "periodic"},
}
# One beat tick; the tick itself reads from the database which tenants are due.
WERKBON_SCHEDULER_TICK_SECONDS = env_int("WERKBON_SCHEDULER_TICK_SECONDS", 1, minimum=1)
WERKBON_HEARTBEAT_SECONDS = env_int("WERKBON_HEARTBEAT_SECONDS", 60, minimum=1)
WERKBON_CUSTOMER_MAIL_SWEEP_SECONDS = env_int("WERKBON_CUSTOMER_MAIL_SWEEP_SECONDS", 60, minimum=1)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "integrations-tick": {
        "task": "werkbon.integrations.tasks.tick",
        "schedule": float(WERKBON_SCHEDULER_TICK_SECONDS),
        # A tick nobody ran in time is worthless (the next one does the same), so it expires
        # instead of piling up while the workers are down.
        "options": {"expires": max(5.0, 5.0 * WERKBON_SCHEDULER_TICK_SECONDS)},
    },
    # Through periodic, then sync (werkbon/health.py): "a worker runs" means both are consumed.
    "worker-heartbeat": {
        "task": "werkbon.health.record_heartbeat",
        "schedule": float(WERKBON_HEARTBEAT_SECONDS),
        "kwargs": {"via": ["sync"]},
    },
    # Picks up customer e-mails whose task was lost (a killed worker) or whose retry is due.
    "customer-mail-sweep": {
        "task": "werkbon.customermail.tasks.sweep",
        "schedule": float(WERKBON_CUSTOMER_MAIL_SWEEP_SECONDS),
        "options": {"expires": 5.0 * WERKBON_CUSTOMER_MAIL_SWEEP_SECONDS},
    },
}

# --- outgoing e-mail (the signed work order to the customer, werkbon/customermail/) ------
# Development and tests: the local catcher that ./dev up starts (devtools/mailcatcher.py).
# Production: a real SMTP server must be named (docs/deploy.md); without EMAIL_HOST every
# customer e-mail fails at once with "e-mail is not set up on this server" and the action.
EMAIL_HOST = env_str("EMAIL_HOST", "" if PRODUCTION else "127.0.0.1") or ""
EMAIL_PORT = env_int("EMAIL_PORT", 587 if PRODUCTION else 8025, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "") or ""
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=PRODUCTION)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set only one of EMAIL_USE_TLS (STARTTLS, port 587) and EMAIL_USE_SSL (port 465)")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT_SECONDS", 20, minimum=1)  # seconds per SMTP operation
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "werkbon@localhost") or "werkbon@localhost"
# Customer e-mails always go through SMTP (pytest-django swaps EMAIL_BACKEND for an in-memory
# one; the customer-mail tests send to a real SMTP server process instead).
CUSTOMER_MAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"

# --- Visma.net --------------------------------------------------------------------------
# Without credentials Werkbon talks to the local sandbox (``python -m vismanet_sandbox``).
VISMANET_SANDBOX_URL = env_str("VISMANET_SANDBOX_URL", "http://127.0.0.1:8765")
VISMANET_CLIENT_ID = env_str("VISMANET_CLIENT_ID", None)
VISMANET_CLIENT_SECRET = env_str("VISMANET_CLIENT_SECRET", None)
_USE_SANDBOX = not VISMANET_CLIENT_ID
VISMANET_ERP_BASE_URL = env_str(
    "VISMANET_ERP_BASE_URL",
    VISMANET_SANDBOX_URL if _USE_SANDBOX else "https://api.finance.visma.net",
)
VISMANET_SALESORDER_BASE_URL = env_str(
    "VISMANET_SALESORDER_BASE_URL",
    VISMANET_SANDBOX_URL if _USE_SANDBOX else "https://salesorder.visma.net",
)
VISMANET_CONNECT_BASE_URL = env_str(
    "VISMANET_CONNECT_BASE_URL",
    VISMANET_SANDBOX_URL if _USE_SANDBOX else "https://connect.visma.com",
)
VISMANET_CONTEXT_BASE_URL = env_str(
    "VISMANET_CONTEXT_BASE_URL",
    f"{VISMANET_SANDBOX_URL}/API" if _USE_SANDBOX else "https://api.finance.visma.net/API",
)
VISMANET_TIMEOUT_SECONDS = env_int("VISMANET_TIMEOUT_SECONDS", 30, minimum=1)
# The OAuth redirect URI registered in the Visma Developer Portal; empty = built from the
# request (https://<host>/integraties/vismanet/callback), which is right unless a proxy
# rewrites the host.
VISMANET_REDIRECT_URI = env_str("VISMANET_REDIRECT_URI", "")
# Transient export failures: at most N attempts per work order in any window, with
# exponential back-off from the base (issue 5: twice in any five minutes).
VISMANET_EXPORT_RETRY_WINDOW_SECONDS = env_int("VISMANET_EXPORT_RETRY_WINDOW_SECONDS", 300, minimum=0)
VISMANET_EXPORT_MAX_ATTEMPTS_PER_WINDOW = env_int("VISMANET_EXPORT_MAX_ATTEMPTS_PER_WINDOW", 2, minimum=1)
VISMANET_EXPORT_BACKOFF_SECONDS = env_int("VISMANET_EXPORT_BACKOFF_SECONDS", 30, minimum=0)
# Webhooks (docs/reference/visma-webhooks.md): the Developer Portal subscription's signing
# key(s), comma-separated for a rotation; empty = webhooks off (every notification refused).
VISMANET_WEBHOOK_SECRETS = env_list("VISMANET_WEBHOOK_SECRET", [])
# A notification whose signed timestamp is older than this is refused as too old (replay).
VISMANET_WEBHOOK_MAX_AGE_SECONDS = env_int("VISMANET_WEBHOOK_MAX_AGE_SECONDS", 300, minimum=10)
# While notifications arrive for a company, it is polled at this interval (the safety net) ...
VISMANET_WEBHOOK_POLL_SECONDS = env_int("VISMANET_WEBHOOK_POLL_SECONDS", 900, minimum=1)
# ... until none came for this long: then webhooks count as stopped, polling is normal again.
VISMANET_WEBHOOK_QUIET_SECONDS = env_int("VISMANET_WEBHOOK_QUIET_SECONDS", 3600, minimum=1)
# The slow poll of exported documents' status (for those without a notification).
VISMANET_STATUS_POLL_SECONDS = env_int("VISMANET_STATUS_POLL_SECONDS", 3600, minimum=1)
if _USE_SANDBOX:
    # The sandbox's demo application (registered in its seed data).
    VISMANET_CLIENT_ID = "werkbon-demo"
    VISMANET_CLIENT_SECRET = VISMANET_CLIENT_SECRET or "werkbon-demo-secret"
    VISMANET_WEBHOOK_SECRETS = VISMANET_WEBHOOK_SECRETS or ["werkbon-demo-webhook-secret"]
elif PRODUCTION and not VISMANET_CLIENT_SECRET:
    raise ImproperlyConfigured("VISMANET_CLIENT_SECRET must be set with VISMANET_CLIENT_ID")
VISMANET_USES_SANDBOX = _USE_SANDBOX

# --- logging ----------------------------------------------------------------------------
class _ForbiddenOnOneLine(logging.Filter):
    """A 403 (PermissionDenied) is an answer, not a fault: one line with the reason, no traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403 and record.exc_info:
            reason = str(record.exc_info[1] or "")
            if reason:
                record.msg = f"{record.msg} ({reason.replace('%', '%%')})"
            record.exc_info = None
            record.exc_text = None
        return True


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": DEFAULT_LOGGING["formatters"]["django.server"],
    },
    "filters": {"forbidden_on_one_line": {"()": _ForbiddenOnOneLine}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "django.server": DEFAULT_LOGGING["handlers"]["django.server"],
    },
    "root": {
        "handlers": ["console"],
        "level": env_choice(
            "WERKBON_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
        ),
    },
    "loggers": {
        "httpx": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # Django's own console handler on "django" printed every message a second time
        # (it propagates to the root's handler anyway); ADMINS is not used, so no mail handler.
        "django": {"handlers": [], "level": "INFO"},
        "django.request": {"filters": ["forbidden_on_one_line"]},
        # Configuring "django" resets its children: runserver's request lines as before.
        "django.server": DEFAULT_LOGGING["loggers"]["django.server"],
    },
}
