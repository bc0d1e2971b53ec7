"""Project package: settings from the environment, URLs, the Celery app and the embedded PostgreSQL.

Importing the package loads the Celery app so that `@shared_task` binds to it in every process.
"""

from .celery import app as celery_app

__all__ = ("celery_app",)
