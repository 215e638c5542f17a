"""WSGI entry point (gunicorn healthaid.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthaid.settings")

application = get_wsgi_application()
