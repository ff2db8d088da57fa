"""Werkbon: the Django project (settings, URLs, and the apps beneath it)."""

from werkbon.celery import app as celery_app

__all__ = ("celery_app",)
