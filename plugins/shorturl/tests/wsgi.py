"""WSGI application of the test settings, for the real servers some tests start
(gunicorn, granian; see :mod:`tests.servers`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
application = get_wsgi_application()
