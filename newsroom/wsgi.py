import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

django_application = get_wsgi_application()

from newsroom.metrics import count_request  # noqa: E402  (both need the settings loaded)
from newsroom.mostread.wsgi import BeaconApplication  # noqa: E402

# The most-read beacon is answered before Django's handler, whose request setup would cost more
# than the counting itself on every story page view: see newsroom/mostread/wsgi.py.
application = BeaconApplication(django_application, count_request)
