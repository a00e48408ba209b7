"""A local HTTP server that answers like Open-Meteo and OpenWeatherMap, for the weather tests.

It speaks real HTTP on 127.0.0.1, so timeouts, status codes and broken bodies reach the code as
they would from the provider. Tests set `temperature`, `weather_code`, the places it knows, or a
`fault` ("sleep", "trickle-headers", "trickle-body", "status", "body") before asking. Tests get
a running one, of their own, from the `fake_weather` fixture (tests/conftest.py).
"""

import contextlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BUCHAREST = {
    "name": "București",
    "latitude": 44.43225,
    "longitude": 26.10626,
    "country": "Romania",
    "timezone": "Europe/Bucharest",
}
CLUJ = {
    "name": "Cluj-Napoca",
    "latitude": 46.76667,
    "longitude": 23.6,
    "country": "Romania",
    "timezone": "Europe/Bucharest",
}
NEW_YORK = {
    "name": "New York",
    "latitude": 40.71427,
    "longitude": -74.00597,
    "country": "United States",
    "timezone": "America/New_York",
}


def unreachable_url() -> str:
    """An address where nothing listens: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request, client_address):
        # Clients that hang up on a slow answer are what the tests provoke; not worth a trace.
        pass


class FakeWeather:
    def __init__(self):
        self.reset()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        # Each test starts and stops its own server: poll often, so that stopping is quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def reset(self) -> None:
        """Back to a healthy provider reporting 3.4 °C, overcast, five minutes ago."""
        self.temperature = 3.4
        self.weather_code = 3  # overcast
        self.is_day = 1
        self.observed = int(time.time()) - 300
        self.places: list[dict[str, Any]] = [BUCHAREST, CLUJ, NEW_YORK]
        self.fault: str | None = None
        self.fault_status = 500
        self.fault_headers: dict[str, str] = {}
        self.fault_body = b""
        self.sleep_seconds = 3.0
        self.trickle_interval = 0.25
        self.delay = 0.0  # before any answer, so that concurrent requests overlap
        self.requests: list[tuple[str, dict]] = []

    def __enter__(self) -> "FakeWeather":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()

    def paths(self) -> list[str]:
        with self._lock:
            return [path for path, _query in self.requests]

    # --- answers ---------------------------------------------------------------------------

    def open_meteo_current(self) -> dict:
        return {
            "latitude": 44.4375,
            "longitude": 26.125,
            "generationtime_ms": 0.04,
            "utc_offset_seconds": 0,
            "timezone": "GMT",
            "current_units": {"time": "unixtime", "interval": "seconds", "temperature_2m": "°C"},
            "current": {
                "time": self.observed,
                "interval": 900,
                "temperature_2m": self.temperature,
                "weather_code": self.weather_code,
                "is_day": self.is_day,
            },
        }

    def openweathermap_current(self) -> dict:
        return {
            "coord": {"lon": 26.1025, "lat": 44.4268},
            "weather": [{"id": 804, "main": "Clouds", "description": "overcast", "icon": "04d"}],
            "main": {"temp": self.temperature, "feels_like": self.temperature - 2, "humidity": 80},
            "dt": self.observed,
            "timezone": 7200,
            "name": "Bucharest",
            "cod": 200,
        }

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, object]:
        name = query.get("name", query.get("q", [""]))[0].casefold()
        matches = [place for place in self.places if place["name"].casefold() == name]
        if path == "/v1/forecast":
            return 200, self.open_meteo_current()
        if path == "/v1/search":
            return 200, {"results": matches, "generationtime_ms": 0.5} if matches else {}
        if path == "/data/2.5/weather":
            if query.get("appid") != ["test-key"]:
                return 401, {"cod": 401, "message": "Invalid API key."}
            return 200, self.openweathermap_current()
        if path == "/geo/1.0/direct":
            return 200, [
                {"name": p["name"], "lat": p["latitude"], "lon": p["longitude"], "country": "RO"}
                for p in matches
            ]
        return 404, {"error": True, "reason": "not found"}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                parts = urlsplit(self.path)
                with fake._lock:
                    fake.requests.append((parts.path, parse_qs(parts.query)))
                if fake.delay:
                    time.sleep(fake.delay)
                # The client may give up halfway, as it should with a slow server.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._respond(parts.path, parse_qs(parts.query))

            def _respond(self, path, query):
                fault = fake.fault
                if fault == "sleep":
                    time.sleep(fake.sleep_seconds)
                if fault == "status":
                    self._send(fake.fault_status, fake.fault_body, fake.fault_headers)
                    return
                if fault == "body":
                    self._send(200, fake.fault_body)
                    return
                status, data = fake.answer(path, query)
                body = json.dumps(data).encode()
                if fault == "trickle-headers":
                    head = (
                        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n"
                    ).encode()
                    self._trickle(head + body)
                    return
                if fault == "trickle-body":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.flush()
                    self._trickle(body)
                    return
                self._send(status, body)

            def _send(self, status, body, headers=None):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _trickle(self, data: bytes):
                for index in range(len(data)):
                    self.wfile.write(data[index : index + 1])
                    self.wfile.flush()
                    time.sleep(fake.trickle_interval)

        return Handler
