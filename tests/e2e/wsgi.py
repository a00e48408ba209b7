"""The site as the browser tests serve it: newsroom.wsgi untouched, plus what sits around it.

Production puts a web server in front of gunicorn that serves uploads from MEDIA_ROOT (Django
serves them only with DEBUG on); here WhiteNoise plays that part, looking files up as they are
asked for, since stories gain images while the server runs. Tests also set up their data through
`POST /__e2e__/<action>` (see tests/e2e/seeding.py), inside this process, so that the signals
the site relies on to drop cached pages run where the cache is. That address answers only with
the session's random token, and this module is never used outside the browser tests.
"""

import hmac
import json
import os
import traceback

from django.core import signals
from django.db import close_old_connections
from whitenoise import WhiteNoise

from newsroom.wsgi import application as site
from tests.e2e import seeding

PREFIX = "/__e2e__/"
TOKEN = os.environ["E2E_TOKEN"]


def _json(start_response, status: str, data) -> list[bytes]:
    body = json.dumps(data, default=str).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def _seed(environ, start_response):
    sent = environ.get("HTTP_X_E2E_TOKEN", "")
    if environ["REQUEST_METHOD"] != "POST" or not hmac.compare_digest(sent, TOKEN):
        return _json(start_response, "403 Forbidden", {"error": "forbidden"})
    action = seeding.ACTIONS.get(environ["PATH_INFO"].removeprefix(PREFIX))
    if action is None:
        return _json(start_response, "404 Not Found", {"error": "no such action"})
    length = int(environ.get("CONTENT_LENGTH") or 0)
    kwargs = json.loads(environ["wsgi.input"].read(length) or b"{}")
    # The same lifecycle as a request through Django: fresh connections, closed afterwards.
    signals.request_started.send(sender=None, environ=environ)
    close_old_connections()
    try:
        return _json(start_response, "200 OK", action(**kwargs))
    except Exception:
        return _json(start_response, "500 Internal Server Error", {"error": traceback.format_exc()})
    finally:
        signals.request_finished.send(sender=None)


def _with_seeding(environ, start_response):
    if environ.get("PATH_INFO", "").startswith(PREFIX):
        return _seed(environ, start_response)
    return site(environ, start_response)


application = WhiteNoise(_with_seeding, autorefresh=True)
application.add_files(os.environ["MEDIA_ROOT"], prefix="media/")
