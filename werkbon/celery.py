"""The Celery application. Tasks are found in each app's ``tasks`` module."""

from __future__ import annotations

import os

from celery import Celery

from werkbon import celery_transport

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "werkbon.settings")

# Before the app reads CELERY_BROKER_URL: the embedded default is werkbon-filesystem://.
celery_transport.register()

app = Celery("werkbon")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
