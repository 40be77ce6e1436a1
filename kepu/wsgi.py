import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kepu.settings")
application = get_wsgi_application()

# Load the search dictionary once per server process, before the first request needs it.
from kepu.core import search  # noqa: E402

search.warm()
