import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kepu.settings")
application = get_wsgi_application()

# The search dictionary and every view loaded before the first request, and start-up's objects out of the
# garbage collector's walks (kepu/core/process.py says why).
from kepu.core import process  # noqa: E402

process.settle()
