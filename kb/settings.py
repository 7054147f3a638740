"""Settings for the knowledge base: one module, driven by the environment.

Every value comes from an environment variable with a safe default for a laptop.
A malformed value raises ImproperlyConfigured instead of being guessed at.
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no, on/off"
    )


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
HTTPS = env_bool("DJANGO_HTTPS", False)


def secret_key(key: str, key_file: Path, debug: bool) -> str:
    """The environment's key, else the local key file, else (debug only) a dev key."""
    if not key and key_file.exists():
        key = key_file.read_text().strip()
    if key:
        return key
    if debug:
        return "django-insecure-development-only-key"
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off "
        "(`make run` generates one into .secret_key)."
    )


# pytest sets PYTEST_VERSION while it runs (and for the servers a test starts): a plain `pytest`
# in a fresh clone has the insecure dev key, without `make` writing .secret_key first.
SECRET_KEY = secret_key(
    env_str("DJANGO_SECRET_KEY"), BASE_DIR / ".secret_key", DEBUG or "PYTEST_VERSION" in os.environ
)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")


def admin_path(raw: str) -> str:
    """The admin's URL prefix: path segments, each ending in "/", without a leading "/"."""
    if not re.fullmatch(r"((?!\.\.?/)[A-Za-z0-9._~-]+/)+", raw):  # no "./" or "../"
        raise ImproperlyConfigured(
            f"DJANGO_ADMIN_PATH={raw!r} must be like 'admin/' or 'staff/kb-admin/'"
        )
    return raw


# Where the admin lives; moving it off /admin/ keeps most password-guessing robots away.
ADMIN_PATH = admin_path(env_str("DJANGO_ADMIN_PATH", "admin/"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",  # revision history of the curated models (kb.models, kb.admin)
    "csp",  # Content-Security-Policy header with a nonce per request (kb.middleware)
    "axes",  # locks out repeated failed logins (AXES_* below)
    "corsheaders",  # other sites' pages may read the API and the exports (CORS_* below)
    "kb",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise: static files need no policy (nor CORS). The kb.middleware ones are here.
    "kb.middleware.ContentSecurityPolicyMiddleware",
    # Before every middleware that may answer an API request itself (the request limits, a
    # database outage, APPEND_SLASH's redirect): those answers carry the CORS headers too.
    # After the security headers and the policy, which its preflight answers then get too.
    "corsheaders.middleware.CorsMiddleware",
    "kb.middleware.RequestLimitsMiddleware",
    "kb.middleware.DatabaseUnavailableMiddleware",
    # Before sessions and authentication: a reader's cached page needs neither.
    "kb.middleware.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kb.middleware.PrivateResponsesMiddleware",
    # After authentication: a draft principle's new address is told to staff only.
    "kb.middleware.MovedPagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Records who made each change in the revision history (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kb.urls"
WSGI_APPLICATION = "kb.wsgi.application"

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
            ],
        },
    },
]


def _database() -> dict:
    url = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    try:
        config = dj_database_url.parse(
            url,
            # Persistent connections (seconds): a new one per request costs more than most
            # pages' queries (bench pages). 0 closes each connection after its request.
            conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
            # A kept connection is tested before each request reuses it, so the site
            # reconnects by itself after the database restarts (kb.middleware answers 503
            # while it is down).
            conn_health_checks=True,
        )
    except Exception as exc:  # dj-database-url raises several types for a bad URL
        raise ImproperlyConfigured(f"DATABASE_URL={url!r} is not a database URL: {exc}") from None
    if config["ENGINE"] not in (
        "django.db.backends.sqlite3",
        "django.db.backends.postgresql",
    ):
        raise ImproperlyConfigured("DATABASE_URL must be sqlite:/// or postgres://")
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers (gunicorn workers) go on while an import writes.
        config.setdefault("OPTIONS", {})["init_command"] = (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        )
        config["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
        # A writer waits up to this many seconds for another's lock (busy timeout).
        config["OPTIONS"]["timeout"] = env_int("KB_SQLITE_BUSY_TIMEOUT", 20)
    else:
        # JIT compiling pays off in long reports, not in a page's queries: it added 37–51 ms
        # to ranking a common word at a million passages (bench search).
        options = config.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    return config


DATABASES = {"default": _database()}


def _search_index() -> Path:
    """The search index's directory (kb.search.index): beside the SQLite file by default
    (``search-index`` for the usual db.sqlite3, ``<file>.search-index`` for another, so two
    databases never share an index), in the project directory for PostgreSQL."""
    if raw := env_str("KB_SEARCH_INDEX"):
        return Path(raw).expanduser().resolve()
    database = DATABASES["default"]
    name = str(database.get("NAME") or "")
    if database["ENGINE"].endswith("sqlite3") and name and name != ":memory:":
        path = Path(name).resolve()
        if path != (BASE_DIR / "db.sqlite3").resolve():
            return path.with_name(path.name + ".search-index")
    return BASE_DIR / "search-index"


# Search (kb.search, on tantivy): the index directory, and whether searches first apply the
# pending outbox in-process (the tests, and a one-process ``manage.py`` user without an
# indexer running; ``make run`` runs ``manage.py search_indexer`` instead).
KB_SEARCH_INDEX = _search_index()
KB_SEARCH_EAGER = env_bool("KB_SEARCH_EAGER", False)

# Cache (kb.cache): whole pages for readers and the API's lists, keyed by the content
# version so an edit shows on the next request. Local memory (per worker process) by default; REDIS_URL
# (redis://host:6379/0) shares one cache between workers with Django's own Redis backend.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kb",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": env_int("KB_CACHE_MAX_ENTRIES", 2000)},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Security headers that cost nothing on plain HTTP.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# No script here reads the CSRF cookie: forms and the browsable API carry the token in the page.
CSRF_COOKIE_HTTPONLY = True
# Load balancers probe /healthz over plain HTTP, even when the site redirects to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy on every response (django-csp; kb.middleware adds what the admin,
# the browsable API and the API docs need). Inline <script>/<style> need the request's
# nonce: nonce="{{ request.csp_nonce }}".
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

if HTTPS:
    # Served over HTTPS, usually behind a proxy that terminates TLS.
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Asking browsers to preload the domain is a commitment for every subdomain that is
        # hard to undo: the operator opts in with DJANGO_HSTS_PRELOAD=1, not the deploy check.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# How many reverse proxies stand in front of the site: their X-Forwarded-For entries are
# trusted for the client's address (kb.clients). 0 by default: the header is ignored.
KB_NUM_PROXIES = env_int("DJANGO_NUM_PROXIES", 0)
if KB_NUM_PROXIES < 0:
    raise ImproperlyConfigured("DJANGO_NUM_PROXIES must be 0 or more")

# Failed logins (django-axes): after AXES_FAILURE_LIMIT failures for one username from one
# client address that pair is locked out, even with the right password, until the cool-off
# ends or `manage.py axes_reset_username <name>` / `axes_reset_ip <ip>` lifts it. The address
# is kb.clients's: REMOTE_ADDR, or behind DJANGO_NUM_PROXIES proxies the forwarded one.
AXES_CLIENT_IP_CALLABLE = "kb.clients.client_address"
AUTHENTICATION_BACKENDS = [
    # First: refuses an address over its own limit, whatever the username (kb.admin.login).
    "kb.admin.login.AddressLimitBackend",
    "axes.backends.AxesStandaloneBackend",  # then: refuses a locked-out pair before any check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 10
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# And one address, whatever the usernames it tries (ASVS L2, V2.2.1: spraying a password
# over many accounts), within the same cool-off: kb.admin.login.AddressLimitBackend.
KB_LOGIN_ADDRESS_FAILURE_LIMIT = env_int("DJANGO_LOGIN_ADDRESS_FAILURE_LIMIT", 30)
if KB_LOGIN_ADDRESS_FAILURE_LIMIT < 1:
    raise ImproperlyConfigured("DJANGO_LOGIN_ADDRESS_FAILURE_LIMIT must be 1 or more")
_AXES_COOLOFF_MINUTES = env_int("DJANGO_AXES_COOLOFF_MINUTES", 30)
if _AXES_COOLOFF_MINUTES < 0:
    raise ImproperlyConfigured("DJANGO_AXES_COOLOFF_MINUTES must be 0 or more")
# 0 minutes: locked until reset by hand.
AXES_COOLOFF_TIME = timedelta(minutes=_AXES_COOLOFF_MINUTES) if _AXES_COOLOFF_MINUTES else None
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "axes/lockout.html"

# Sessions (ASVS L2, V3.3): the admin's end after DJANGO_SESSION_IDLE_MINUTES without a
# request (each request moves the end on) and when the browser closes, unless "remember me"
# was ticked at login (kb.admin.login). The public pages set no session.
_SESSION_IDLE_MINUTES = env_int("DJANGO_SESSION_IDLE_MINUTES", 120)
if _SESSION_IDLE_MINUTES < 1:
    raise ImproperlyConfigured("DJANGO_SESSION_IDLE_MINUTES must be 1 or more")
SESSION_COOKIE_AGE = _SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
# A failed refresh of an unchanged session (the database read-only or full) is not an error
# of the page the editor asked for (kb.sessions).
SESSION_ENGINE = "kb.sessions"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# After login, a ``next`` refused as unsafe (another host) lands on the admin's index, not
# on Django's default /accounts/profile/ (a 404 here): the admin is the only login.
LOGIN_REDIRECT_URL = "admin:index"

# Requests refused before any view parses them (kb.middleware.RequestLimitsMiddleware): a
# query string longer than this is 414, one with more parameters 400. In front, gunicorn
# already refuses request lines over 4094 bytes (limit_request_line) with a 414; this limit
# holds behind any server, and leaves room for a long search (tests/test_api_search.py).
KB_MAX_QUERY_STRING_BYTES = 32 * 1024
KB_MAX_QUERY_PARAMS = 200

# Largest text file the importer accepts (bytes).
KB_IMPORT_MAX_BYTES = env_int("KB_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
# The admin import carries the text between preview and confirm as base64 (4/3 larger).
DATA_UPLOAD_MAX_MEMORY_SIZE = KB_IMPORT_MAX_BYTES * 4 // 3 + 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_PAGINATION_CLASS": "kb.api.pagination.Pages",
    "PAGE_SIZE": env_int("KB_API_PAGE_SIZE", 50),
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "kb.api.exceptions.json_exception_handler",
    # Token first: a bad token is then a 401 with WWW-Authenticate (DRF names the first).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # The rate is read from KB_API_ANON_RATE at request time (kb.api.throttling).
    "DEFAULT_THROTTLE_CLASSES": ["kb.api.throttling.AnonRateThrottle"],
    # How many proxies stand in front (kb.clients): the throttle asks kb.clients too.
    "NUM_PROXIES": KB_NUM_PROXIES,
    "DEFAULT_SCHEMA_CLASS": "kb.api.schema.AutoSchema",
}
# CORS (django-cors-headers): a page on any other site may read the read-only API and the
# quote exports (GET and HEAD; "Access-Control-Allow-Origin: *" to a request with an Origin,
# which is why their answers carry "Vary: Origin"), never with the reader's cookies: no
# credentials. Pages and the admin send no CORS header. A script may send a staff token
# (Authorization); its answers are private, no-store (kb.api.caching).
CORS_URLS_REGEX = r"^/(api/|quotes/export\.(csv|jsonl)$)"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_HEADERS = ["accept", "authorization", "if-none-match", "if-modified-since"]
# Beyond the headers a script may always read: the validator, a throttled client's wait and
# an export's file name.
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After", "Content-Disposition"]

# Requests per period for anonymous API clients ("120/min", "1000/hour"; "" for no limit).
KB_API_ANON_RATE = env_str("KB_API_ANON_RATE", "120/min")
# Pages per period one anonymous client may make the site build (cache misses; hits are
# free): "120/min", "1000/hour", "" for no limit. Over it: 429 with Retry-After (kb.cache).
KB_PAGE_MISS_RATE = env_str("KB_PAGE_MISS_RATE", "120/min")

# The OpenAPI schema (/api/schema/) and its docs (/api/docs/), with assets served locally.
SPECTACULAR_SETTINGS = {
    "TITLE": "Lei Jun knowledge base API",
    "DESCRIPTION": (
        "Read-only JSON API: sources and their numbered passages, quotes linked to their exact "
        "passage, principles with evidence, themes, people, search, citations and exports."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A refused request (403, 404, 405) is one warning line, without Django's traceback.
    "filters": {"refusals": {"()": "kb.logs.RefusalsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["refusals"]}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "WARNING")},
}
