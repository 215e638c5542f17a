"""WSGI entry point (gunicorn healthaid.wsgi)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthaid.settings")

application = get_wsgi_application()

# Load the URLconf, and with it every view module, now rather than on the first request; then
# take everything loaded so far out of the cyclic garbage collector's walks. A full collection
# otherwise walks Django's and the apps' several hundred thousand long-lived objects, about
# 55 ms that land inside whichever request triggers it (seen in the worklist's p95).
get_resolver().url_patterns  # noqa: B018 - imports the views
gc.freeze()
