"""Settings of the test suite (``DJANGO_SETTINGS_MODULE`` in pyproject.toml): the test
environment, chosen explicitly, since the settings default to production.

Processes the tests start inherit ``WERKBON_ENV=test`` from this one.
"""

import os

os.environ["WERKBON_ENV"] = "test"

from werkbon.settings import *  # noqa: F403
