"""Settings for Yanzhi, read from the environment (see docs/configuration.md)."""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """A setting from the environment, or from the file named by NAME_FILE (for secrets)."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text().strip()
    return os.environ.get(name, default)


def envbool(name: str, default: str = "False") -> bool:
    return env(name, default).lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    return int(env(name, str(default)))


DEBUG = envbool("DEBUG", "False")
SECRET_KEY = env("SECRET_KEY", "insecure-development-key-change-me" if DEBUG else "")
if not SECRET_KEY:
    # Tests and the demo run with DEBUG or an explicit key; production must set one.
    SECRET_KEY = "insecure-development-key-change-me"
ALLOWED_HOSTS = [
    h for h in env("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in env("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "yanzhi.core",
    "yanzhi.org",
    "yanzhi.customers",
    "yanzhi.messaging",
    "yanzhi.catalog",
    "yanzhi.inventory",
    "yanzhi.scheduling",
    "yanzhi.visits",
    "yanzhi.clinical",
    "yanzhi.treatments",
    "yanzhi.sales",
    "yanzhi.followups",
    "yanzhi.insight",
    "yanzhi.marketing",
    "yanzhi.reports",
    "yanzhi.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "yanzhi.org.middleware.IdleSessionMiddleware",
    "yanzhi.org.middleware.ScopeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "yanzhi.urls"
WSGI_APPLICATION = "yanzhi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "yanzhi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yanzhi.org.context_processors.staff_context",
            ],
            "builtins": ["yanzhi.core.templatetags.yanzhi"],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
# SQLite (WAL) under var/ by default; PostgreSQL via DATABASE_URL.
DATA_DIR = Path(env("YANZHI_DATA_DIR", str(BASE_DIR / "var")))
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'yanzhi.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # BEGIN IMMEDIATE makes SQLite take the write lock at the start of a transaction, the
    # stand-in for select_for_update; WAL and a busy timeout let readers and writers coexist.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
else:
    DATABASES["default"].setdefault("OPTIONS", {})
    # A page's queries read a few rows and the rows they point at (up to eight joins), and
    # PostgreSQL spent longer choosing the join order than running them (a search: 14 ms of
    # planning, 1.5 ms of execution). Join orders are searched within groups of four joins;
    # docs/decisions.md has the measurements. PG_JOIN_COLLAPSE_LIMIT=8 restores the default.
    # JIT compilation is off: it compiled the list statements that read many rows (~220 ms,
    # longer than running them), and every report ran as fast or faster without it
    # (docs/decisions.md). PG_JIT=true turns it back on.
    DATABASES["default"]["OPTIONS"].setdefault(
        "options",
        f"-c join_collapse_limit={envint('PG_JOIN_COLLAPSE_LIMIT', 4)}"
        + ("" if envbool("PG_JIT", "False") else " -c jit=off"),
    )
    if envbool("DATABASE_POOL", "False"):
        DATABASES["default"]["OPTIONS"]["pool"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth and sessions ------------------------------------------------------------------------
AUTH_USER_MODEL = "org.Staff"
AUTHENTICATION_BACKENDS = ["yanzhi.org.backends.StaffBackend"]
LOGIN_URL = "org:login"
LOGIN_REDIRECT_URL = "/"
# Password rules are per clinic (org.passwords); Django's global validators stay empty so that
# one policy decides.
AUTH_PASSWORD_VALIDATORS: list = []
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 12 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", "False")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "yanzhi" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ----------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(DATA_DIR / "static")))
# Uploaded photos live here; there is deliberately no MEDIA_URL route: photos are served only
# through a view that checks the viewer's scope.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(DATA_DIR / "media")))
PHOTO_MAX_BYTES = envint("PHOTO_MAX_BYTES", 15 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = PHOTO_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Outside world ------------------------------------------------------------------------------
# --- Background work ----------------------------------------------------------------------------
# Django's Tasks API (django-tasks backport) with the database backend: tasks are rows in this
# database and `manage.py run_worker` runs them, so no extra server is needed (docs/running.md).
TASKS = {"default": {"BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}
# How often the idle worker looks for new tasks (seconds); verification codes wait at most this.
WORKER_POLL_SECONDS = float(env("WORKER_POLL_SECONDS", "1"))
# Scheduled jobs (yanzhi.core.schedule) catch up at most this many missed days after downtime.
SCHEDULE_CATCH_UP_DAYS = envint("SCHEDULE_CATCH_UP_DAYS", 7)
# Appointment reminders go out the day before at this store-local time (HH:MM).
APPOINTMENT_REMINDER_AT = env("APPOINTMENT_REMINDER_AT", "10:00")

# --- Outside world ------------------------------------------------------------------------------
# Dotted path of the SMS sender class (yanzhi.core.sms). The default logs (and appends to
# SMS_LOG_FILE if set); yanzhi.core.sms_tencent.TencentSmsSender sends through Tencent Cloud.
SMS_SENDER = env("SMS_SENDER", "yanzhi.core.sms.LogSmsSender")
SMS_LOG_FILE = env("SMS_LOG_FILE", "")
SMS_SIGNATURE = env("SMS_SIGNATURE", "颜值")
SMS_MAX_ATTEMPTS = envint("SMS_MAX_ATTEMPTS", 5)
SMS_RETRY_BASE_SECONDS = float(env("SMS_RETRY_BASE_SECONDS", "30"))
# Tencent Cloud SMS (API 3.0). Template ids map our template keys (yanzhi.core.sms.SMS_TEMPLATES)
# and purposes to approved TemplateIds, e.g. "appointment_reminder=123456,*=654321".
SMS_TENCENT = {
    "SECRET_ID": env("SMS_TENCENT_SECRET_ID"),
    "SECRET_KEY": env("SMS_TENCENT_SECRET_KEY"),
    "SDK_APP_ID": env("SMS_TENCENT_SDK_APP_ID"),
    "SIGN_NAME": env("SMS_TENCENT_SIGN_NAME", env("SMS_SIGNATURE", "颜值")),
    "REGION": env("SMS_TENCENT_REGION", "ap-guangzhou"),
    "ENDPOINT": env("SMS_TENCENT_ENDPOINT", "https://sms.tencentcloudapi.com"),
    "TEMPLATE_IDS": dict(
        pair.split("=", 1) for pair in env("SMS_TENCENT_TEMPLATE_IDS").split(",") if "=" in pair
    ),
    "TIMEOUT": float(env("SMS_TENCENT_TIMEOUT", "10")),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "yanzhi": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
        # Server errors (500) with their traceback: without a handler here, DEBUG off would
        # leave no trace of them.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
