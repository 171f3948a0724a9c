"""Baseline settings. Everything deployment-specific comes from the environment (README: Settings)."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_class_path, env_int, env_list, env_rate, env_str, parse_database_url
from config.export_storage import exports_storage

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

# DEBUG marks development. It defaults to false so that a forgotten variable never turns a
# production host into a development one.
DEBUG = env_bool("DEBUG", False)


def _development_secret_key() -> str:
    """A per-checkout key kept under var/, generated on first use; development only."""
    VAR_DIR.mkdir(exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY") or _development_secret_key()
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
else:
    try:
        SECRET_KEY = env_str("SECRET_KEY", required=True)
        ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", required=True)
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(
            f"{exc} Outside development (DEBUG=false) SECRET_KEY and ALLOWED_HOSTS are required."
        ) from None
    if len(SECRET_KEY) < 32:
        raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long.")

INSTALLED_APPS = [
    "accounts.apps.BaselineAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "core",
    "accounts",
    "curation",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "core.middleware.RejectNulCharacters",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.RequireSecondFactor",
    "accounts.middleware.RequirePasswordChange",  # after the second factor (accounts/middleware.py)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
                "portal.context_processors.banner",
            ],
        },
    },
]

DATABASES = {
    "default": parse_database_url(
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'baseline.sqlite3'}", base_dir=BASE_DIR
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out credentials before checking them
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
ANONYMOUS_USER_NAME = None  # django-guardian: no anonymous user row

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

# Cache: Redis when REDIS_URL is set (every production host shares it), otherwise in process.
REDIS_URL = env_str("REDIS_URL")
if not DEBUG and REDIS_URL is None:
    raise ImproperlyConfigured(
        "REDIS_URL must be set outside development: throttling and sign-in lockout need a cache every "
        "web process shares."
    )
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Celery: with no broker, tasks run in process (development, `make run`).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
if CELERY_TASK_ALWAYS_EAGER:
    # Eager tasks still take a producer to serialise their arguments; an in-memory transport keeps
    # kombu from looking for an AMQP server on localhost (and warning about it). Nothing is sent.
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Longer than the longest release build, so a late-acknowledged build is not redelivered mid-run.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3 * 3600}
CELERY_TASK_IGNORE_RESULT = True
# A build writes a heartbeat every BASELINE_BUILD_HEARTBEAT_SECONDS; beat runs the watchdog every
# minute, which restarts (as a new attempt) a build silent for BASELINE_BUILD_STALE_SECONDS.
BASELINE_BUILD_HEARTBEAT_SECONDS = env_int("BASELINE_BUILD_HEARTBEAT_SECONDS", 20, minimum=1)
BASELINE_BUILD_STALE_SECONDS = env_int("BASELINE_BUILD_STALE_SECONDS", 120, minimum=3)
if BASELINE_BUILD_STALE_SECONDS < 3 * BASELINE_BUILD_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured("BASELINE_BUILD_STALE_SECONDS must be at least three heartbeats "
                               "(3 × BASELINE_BUILD_HEARTBEAT_SECONDS), or live builds would be restarted.")
CELERY_BEAT_SCHEDULE = {
    "release-build-watchdog": {"task": "curation.tasks.release_build_watchdog",
                               "schedule": float(env_int("BASELINE_BUILD_WATCHDOG_SECONDS", 60, minimum=1))},
    "sightings-purge": {"task": "curation.tasks.sightings_purge", "schedule": 24 * 3600.0},
    "retention-purge": {"task": "curation.tasks.retention_purge", "schedule": 24 * 3600.0},
}

# Sessions and cookies.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # no script reads it: forms carry the token, and there is no JavaScript
CSRF_FAILURE_VIEW = "curation.hashing.views.csrf_failure"  # an over-limit upload is a 413, not a CSRF 403
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's parsers, refusing JSON nested too deep and NUL characters in form fields (core/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser", "core.parsers.FormParser", "core.parsers.MultiPartParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Baseline API",
    "DESCRIPTION": "Curating, reviewing and publishing Baseline hash lists.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    # No online validator badge: it would load an image from validator.swagger.io, which the
    # Content-Security-Policy refuses (and a closed network cannot reach). The page's favicon and
    # styles: templates/drf_spectacular/swagger_ui.html.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "baseline@localhost")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
# The address people reach the service at, for links in emails.
BASELINE_SITE_URL = env_str("BASELINE_SITE_URL", "http://127.0.0.1:8000")

# Baseline's own settings (DESIGN.md section 6).
BASELINE_REQUIRED_AGREEMENTS = env_int("BASELINE_REQUIRED_AGREEMENTS", 3, minimum=3)
BASELINE_MIN_REVIEWER_ORGANISATIONS = env_int("BASELINE_MIN_REVIEWER_ORGANISATIONS", 2, minimum=1)
if BASELINE_MIN_REVIEWER_ORGANISATIONS > BASELINE_REQUIRED_AGREEMENTS:
    raise ImproperlyConfigured(
        "BASELINE_MIN_REVIEWER_ORGANISATIONS cannot exceed BASELINE_REQUIRED_AGREEMENTS."
    )
BASELINE_REQUIRE_MFA = env_bool("BASELINE_REQUIRE_MFA", True)
if not DEBUG and not BASELINE_REQUIRE_MFA:
    raise ImproperlyConfigured("BASELINE_REQUIRE_MFA can be false only in development (DEBUG=true).")
BASELINE_MAX_UPLOAD_MB = env_int("BASELINE_MAX_UPLOAD_MB", 50, minimum=1)
# Server-side video hashing (DESIGN.md section 8): the longest video decoded, and the CPU one video
# may cost. Longer videos are hashed where they are, with the partner client.
BASELINE_MAX_VIDEO_SECONDS = env_int("BASELINE_MAX_VIDEO_SECONDS", 3600, minimum=1)
BASELINE_MAX_VIDEO_CPU_SECONDS = env_int("BASELINE_MAX_VIDEO_CPU_SECONDS", 120, minimum=1)
BASELINE_EXPORT_ROOT = Path(env_str("BASELINE_EXPORT_ROOT") or VAR_DIR / "exports")
# Each host's copy of the matching index files it memory-maps (curation/matching/loaded.py).
BASELINE_MATCH_INDEX_DIR = Path(env_str("BASELINE_MATCH_INDEX_DIR") or VAR_DIR / "match-index")
# How often each process looks for a newer published release to match against: a publication (a
# removal included) is served within this plus the index's load time (DESIGN.md: within 2 minutes).
BASELINE_MATCH_CHECK_SECONDS = env_int("BASELINE_MATCH_CHECK_SECONDS", 30, minimum=1)
# Partners' sightings (curation.models.Sighting) are deleted after this many days by a periodic task.
BASELINE_SIGHTING_RETENTION_DAYS = env_int("BASELINE_SIGHTING_RETENTION_DAYS", 365, minimum=1)
BASELINE_REPORT_RETENTION_DAYS = env_int("BASELINE_REPORT_RETENTION_DAYS", 730, minimum=1)
BASELINE_DOWNLOAD_LOG_RETENTION_DAYS = env_int("BASELINE_DOWNLOAD_LOG_RETENTION_DAYS", 365, minimum=1)
# With object storage a download is a redirect to a presigned URL that lives this long. SigV4
# presigned URLs cannot outlive 7 days.
BASELINE_DOWNLOAD_URL_SECONDS = env_int("BASELINE_DOWNLOAD_URL_SECONDS", 300, minimum=1)
if BASELINE_DOWNLOAD_URL_SECONDS > 7 * 24 * 3600:
    raise ImproperlyConfigured(
        f"BASELINE_DOWNLOAD_URL_SECONDS must be at most 604800 (7 days), not {BASELINE_DOWNLOAD_URL_SECONDS}."
    )
# Release files go through Django's storage API: a local directory by default; in production any
# storage every host shares (S3-compatible object storage through django-storages, or a shared
# volume). config/export_storage.py maps the AWS_* variables of object storage.
STORAGES["exports"] = exports_storage(
    env_class_path("BASELINE_EXPORT_STORAGE", base="django.core.files.storage.Storage"),
    root=BASELINE_EXPORT_ROOT, url_seconds=BASELINE_DOWNLOAD_URL_SECONDS,
)
BASELINE_SIGNING_KEY_FILE = env_str("BASELINE_SIGNING_KEY_FILE")
if DEBUG and BASELINE_SIGNING_KEY_FILE is None:
    BASELINE_SIGNING_KEY_FILE = str(VAR_DIR / "signing_key.pem")  # generated on first use
if not DEBUG and (BASELINE_SIGNING_KEY_FILE is None or not Path(BASELINE_SIGNING_KEY_FILE).is_file()):
    raise ImproperlyConfigured(
        "BASELINE_SIGNING_KEY_FILE must name the Ed25519 private key file that signs releases "
        f"(got {BASELINE_SIGNING_KEY_FILE!r}). Generate one with: "
        "openssl genpkey -algorithm ed25519 -out signing_key.pem && chmod 600 signing_key.pem"
    )
# A key rotation under way: the successor's private key file, announced as `next_key` in the
# manifests the current key signs (curation/releases/signing_keys.py). Unset: no rotation.
BASELINE_NEXT_SIGNING_KEY_FILE = env_str("BASELINE_NEXT_SIGNING_KEY_FILE")
BASELINE_TOKEN_DAYS = env_int("BASELINE_TOKEN_DAYS", 90, minimum=1)

# Release files: readable by the service's own user and group only.
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750

# Uploads never touch the disk and never exceed the limit (curation/uploads.py).
FILE_UPLOAD_HANDLERS = ["curation.hashing.uploads.MemoryOnlyUploadHandler"]
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # non-file form fields

# Two-factor sign-in (django-otp). Authenticator apps show this name.
OTP_TOTP_ISSUER = "Baseline"

# Sign-in lockout (django-axes): five failures for one username from one address lock that pair
# for an hour. The lockout page says the same whether or not the account exists.
AXES_FAILURE_LIMIT = env_int("BASELINE_LOCKOUT_FAILURES", 5, minimum=1)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_VERBOSE = False
# Behind N trusted reverse proxies the client address is the Nth from the right in X-Forwarded-For;
# without this every client would look like the proxy and lockouts would be per username only.
BASELINE_TRUSTED_PROXIES = env_int("BASELINE_TRUSTED_PROXIES", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "accounts.network.client_address"

# Content-Security-Policy (django-csp): everything from this origin, no inline scripts anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# API throttling (accounts/throttling.py), counted atomically in the shared cache: per token, and per
# user across all of that user's tokens and sessions (so more tokens do not mean more requests).
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["accounts.throttling.ApiRateThrottle"]
_API_RATE = env_rate("BASELINE_API_RATE", "3000/hour")
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "token": _API_RATE,
    "user": env_rate("BASELINE_API_USER_RATE", _API_RATE),
    "anon": "120/hour",
}
# Matching counts queries, not calls: a user's queries to POST match/ in a window (accounts/throttling.py).
BASELINE_MATCH_QUERY_RATE = env_rate("BASELINE_MATCH_QUERY_RATE", "200000/hour")
# A user holds at most this many active (unrevoked, unexpired) API tokens (accounts/services.py).
BASELINE_MAX_ACTIVE_TOKENS = 5
if not DEBUG:
    SECURE_HSTS_PRELOAD = False  # closed networks: preload lists do not apply
    SILENCED_SYSTEM_CHECKS = ["security.W021"]  # ...so the preload hint is deliberately declined
