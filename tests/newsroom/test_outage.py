import pytest
import requests
from django.test import SimpleTestCase

from tests.helpers import gunicorn

UNREACHABLE_DATABASE = "postgres://postgres@127.0.0.1:1/newsroom"


@pytest.mark.services
class DatabaseOutageTests(SimpleTestCase):
    """With the database out of reach, readers get a friendly 503, not a stack trace."""

    def test_pages_answer_503_with_retry_after(self):
        with gunicorn({"DATABASE_URL": UNREACHABLE_DATABASE}) as base_url:
            response = requests.get(f"{base_url}/", timeout=10)
            assert response.status_code == 503
            assert response.headers["Retry-After"] == "10"
            assert "Back in a moment" in response.text or "Revenim" in response.text
            assert "Traceback" not in response.text

            health = requests.get(f"{base_url}/healthz", timeout=10)
            assert health.status_code == 503
            assert health.json()["database"] == "unavailable"


class ServerErrorPageTests(SimpleTestCase):
    """503 with Retry-After says "come back soon": only for a lost database connection."""

    def answer(self, error: Exception):
        from django.test import RequestFactory

        from newsroom.views import server_error

        try:
            raise error
        except Exception:
            return server_error(RequestFactory().get("/"))

    def test_a_lost_connection_is_a_503(self):
        from django.db import InterfaceError, OperationalError

        for error in (OperationalError("connection refused"), InterfaceError("closed")):
            response = self.answer(error)
            assert response.status_code == 503 and response["Retry-After"] == "10"

    def test_a_value_the_database_refuses_is_a_500(self):
        from django.db import DataError, IntegrityError

        for error in (DataError("value too long"), IntegrityError("duplicate")):
            response = self.answer(error)
            assert response.status_code == 500 and "Retry-After" not in response
