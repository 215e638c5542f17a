"""Settings for the health-aid portal, read from the environment.

With no environment set the portal runs on an embedded default (SQLite under
``var/`` and a filesystem Celery broker), so ``make run`` needs no server. With
``DATABASE_URL`` and ``CELERY_BROKER_URL`` the same code runs on PostgreSQL and
Redis. Production (``DEBUG=0``) refuses to start without real secrets.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("HEALTHAID_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DEBUG", default=True)

# Development-only fallbacks: they let the embedded run start with no setup, and
# production refuses them below, naming the variable to set.
_DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production"
_DEV_ID_ENCRYPTION_KEY = "dev-only-id-number-encryption-key"
_DEV_ID_INDEX_KEY = "dev-only-id-number-index-key"

SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
ID_NUMBER_ENCRYPTION_KEY = env.str(
    "ID_NUMBER_ENCRYPTION_KEY", default=_DEV_ID_ENCRYPTION_KEY if DEBUG else ""
)
ID_NUMBER_INDEX_KEY = env.str("ID_NUMBER_INDEX_KEY", default=_DEV_ID_INDEX_KEY if DEBUG else "")

if not DEBUG:
    for _name, _value, _dev in (
        ("SECRET_KEY", SECRET_KEY, _DEV_SECRET_KEY),
        ("ID_NUMBER_ENCRYPTION_KEY", ID_NUMBER_ENCRYPTION_KEY, _DEV_ID_ENCRYPTION_KEY),
        ("ID_NUMBER_INDEX_KEY", ID_NUMBER_INDEX_KEY, _DEV_ID_INDEX_KEY),
    ):
        if not _value or _value == _dev or len(_value) < 32:
            raise ImproperlyConfigured(
                f"{_name} must be set to a secret of at least 32 characters when DEBUG is off "
                f"(production). Set the environment variable {_name}."
            )
    # One leaked value must not open the others: a SECRET_KEY that is also the index key
    # would let whoever holds it compute the blind index of any ID number.
    _secrets = {
        "SECRET_KEY": SECRET_KEY,
        "ID_NUMBER_ENCRYPTION_KEY": ID_NUMBER_ENCRYPTION_KEY,
        "ID_NUMBER_INDEX_KEY": ID_NUMBER_INDEX_KEY,
    }
    for _i, (_name, _value) in enumerate(_secrets.items()):
        for _other, _other_value in list(_secrets.items())[_i + 1 :]:
            if _value == _other_value:
                raise ImproperlyConfigured(
                    f"{_name} and {_other} have the same value: each of SECRET_KEY, "
                    "ID_NUMBER_ENCRYPTION_KEY and ID_NUMBER_INDEX_KEY must be a different "
                    f"secret when DEBUG is off (production). Set {_other} to a new secret."
                )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_celery_beat",
    "django_celery_results",
    "import_export",
    "axes",
    "django_htmx",
    "healthaid",
    "households",
    "contracts",
    "screening",
    "medconsortium",
    "approvals",
    "rectification",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "healthaid.sessions.SessionIdleRefreshMiddleware",
    "healthaid.middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF, whose check reads the body: an upload over the cap is refused unread.
    "healthaid.importing.uploads.UploadLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "healthaid.middleware.RequestContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "healthaid.urls"
WSGI_APPLICATION = "healthaid.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "healthaid.context_processors.navigation",
            ],
        },
    },
    {
        # Second to Django's: a template name is looked for in Django's directories first.
        "NAME": "jinja2",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "healthaid.jinja2.environment"},
    },
]

# --- Database --------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'healthaid.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; IMMEDIATE takes the
    # write lock at BEGIN so two writers queue on the busy timeout instead of
    # failing with "database is locked" half-way through a transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_healthaid.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    # The county figures are single aggregate statements over ~100,000 rows; PostgreSQL's
    # JIT compiles them anew each time and doubles their latency (bench/contracts.py).
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cached figures and list counts are keyed by versions that writers move (healthaid.versions),
# and the writers include the worker's imports: every process must see the same cache. The
# embedded default is a directory under var/ (the web and worker processes of `make run`);
# production sets CACHE_URL to Redis.
CACHES = {
    "default": env.cache("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}"),
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Django's backend with one Redis client a pool, not one an operation (healthaid.cache).
    CACHES["default"]["BACKEND"] = "healthaid.cache.RedisCache"
if CACHES["default"]["BACKEND"].endswith("FileBasedCache"):
    # A county's list counts and figures are a few thousand entries; 300 would cull them.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 20000)

# --- Auth and security -----------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)  # a working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Idle expiry: the clock restarts with the user's requests, moved on at most every
# SESSION_REFRESH_SECONDS by healthaid.sessions (not a session write on every request).
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = env.int("SESSION_REFRESH_SECONDS", default=300)
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free meta tag instead

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)  # hours
# Locked per (account, address), and per address with a looser limit: see healthaid/lockout.py.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "healthaid.lockout.PairAndAddressHandler"
# A township clinic's staff share one NAT address: 30 failures in the cool-off time from one
# address (six colleagues each mistyping five times) before the address is locked.
LOGIN_IP_FAILURE_LIMIT = env.int("LOGIN_IP_FAILURE_LIMIT", default=30)
AXES_CLIENT_IP_CALLABLE = "healthaid.middleware.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_VERBOSE = False

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Internationalisation --------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media ------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024

# --- REST API --------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["healthaid.api.permissions.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "healthaid.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["healthaid.api.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"reveal": "30/hour"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "healthaid API",
    "DESCRIPTION": "健康扶贫管理平台 REST API. Every list is filtered to the caller's region scope.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The check-up's five examinations share one choice set (screening.choices.ExamResult).
    "ENUM_NAME_OVERRIDES": {"ExamResultEnum": "screening.choices.ExamResult"},
}

# --- Celery ----------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = Path(env.str("CELERY_FILESYSTEM_DIR", default=str(VAR_DIR / "broker")))
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="django-db")
CELERY_RESULT_EXTENDED = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Logging ---------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Portal ----------------------------------------------------------------
PORTAL_NAME = _("Health Poverty Alleviation Portal")
ROSTER_MAX_BYTES = env.int("ROSTER_MAX_BYTES", default=20 * 1024 * 1024)
# Uploaded files and error workbooks of background jobs hold full ID numbers (the user's own
# rows): deleted this many days after the job finished (a nightly beat task).
JOB_FILES_RETENTION_DAYS = env.int("JOB_FILES_RETENTION_DAYS", default=7)

# --- Security hardening (issue #12) ----------------------------------------
# How many reverse proxies of ours stand in front of the web server. The client address (audit
# trail, log-in lockout) is the Nth X-Forwarded-For hop from the right; 0 ignores the header
# (a client can write anything into it) and takes the socket's peer address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Hospital staff's exact look-up of a person by full ID number: per user, page and API together.
ID_LOOKUP_RATE = env.str("ID_LOOKUP_RATE", default="60/hour")

# Content-Security-Policy (django-csp): scripts, styles, fonts and images from the portal's own
# files only; no inline script, no event-handler or style attributes, no eval. Pages that cannot
# live with it say so where they are served (the API's Redoc page, healthaid/urls.py).
from csp.constants import NONE, SELF  # noqa: E402

MIDDLEWARE += ["csp.middleware.CSPMiddleware"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Bootstrap draws its icons (menu, select arrow, close) as data: SVG in its CSS.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# --- Imports and jobs (the shared import framework, healthaid/importing/) -----------------
# A spreadsheet is refused before it is read when its archive would inflate past this many
# bytes (declared or actual: zip bombs) or its sheet holds more rows than this.
IMPORT_MAX_UNCOMPRESSED_BYTES = env.int("IMPORT_MAX_UNCOMPRESSED_BYTES", default=200 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=500_000)
# A running job beats its heartbeat at least this often; one silent for JOB_STALE_AFTER_SECONDS
# is reaped as interrupted (its worker died) by a beat task every few minutes.
JOB_HEARTBEAT_SECONDS = env.int("JOB_HEARTBEAT_SECONDS", default=30)
JOB_STALE_AFTER_SECONDS = env.int("JOB_STALE_AFTER_SECONDS", default=600)
CELERY_TASK_REJECT_ON_WORKER_LOST = True

# --- Settlements (medconsortium) ------------------------------------------
# Defaults of a county without its own SettlementPolicy row (county staff edit theirs): the
# non-reimbursable caps of seed 003 (percent of the bill) and the large-expense threshold
# (out of pocket over a rolling 12 months, yuan). Strings: they become Decimals.
SETTLEMENT_DEFAULTS = {
    "primary_care_cap": env.str("SETTLEMENT_PRIMARY_CARE_CAP", default="2.50"),
    "county_hospital_cap": env.str("SETTLEMENT_COUNTY_HOSPITAL_CAP", default="10.00"),
    "large_expense_threshold": env.str("SETTLEMENT_LARGE_EXPENSE_THRESHOLD", default="5000.00"),
}
# Two choice sets are called "kind" in the API (institutions', encounters'): named apart.
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "EncounterKindEnum": "medconsortium.choices.EncounterKind",
        "InstitutionKindEnum": "healthaid.choices.InstitutionKind",
        # medconsortium (issue 8): its consortia's and referrals' choice sets.
        "ConsortiumKindEnum": "medconsortium.choices.ConsortiumKind",
        "ConsortiumStatusEnum": "medconsortium.choices.ConsortiumStatus",
        "ConsultationKindEnum": "medconsortium.choices.ConsultationKind",
        "ExchangeStatusEnum": "medconsortium.choices.ExchangeStatus",
        "ReferralStatusEnum": "medconsortium.choices.ReferralStatus",
        "SessionStatusEnum": "medconsortium.choices.SessionStatus",
        # reports (issue 11): briefings.
        "BriefingKindEnum": "reports.models.BriefingKind",
        "BriefingStatusEnum": "reports.models.BriefingStatus",
        "BriefingFrequencyEnum": "reports.models.Frequency",
    }
)
# approvals and rectification (issue 11): their choice sets.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "ApprovalStatusEnum": "approvals.choices.ApprovalStatus",
        "PeriodKindEnum": "approvals.choices.PeriodKind",
        "ApprovalUnitKindEnum": "approvals.choices.UnitKind",
        "RectificationSourceEnum": "rectification.choices.Source",
        "RectificationStatusEnum": "rectification.choices.ItemStatus",
    }
)
# --- Errors (healthaid.errors) ----------------------------------------------
# A NUL byte is refused before any view reads the request (PostgreSQL cannot store one);
# after authentication, so the 400 page knows who is logged in.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "healthaid.errors.RejectNulBytesMiddleware",
)
# A delete that other records still refer to answers 409 with what refers to it.
REST_FRAMEWORK["EXCEPTION_HANDLER"] = "healthaid.errors.api_exception_handler"
# The schema documents the 400/403/404/409/429 answers every endpoint shares.
REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "healthaid.api.schema.PortalAutoSchema"
# `make run` serves DEBUG=0 over plain http on 127.0.0.1 (manage.py local_env writes its
# settings): there, and only there, cookies cannot be HTTPS-only.
if not DEBUG and not env.bool("SECURE_COOKIES", default=True):
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
# The home page's cards: reports builds them from every app (healthaid.selectors asks).
DASHBOARD_CARDS = "reports.dashboards.dashboard_cards"
