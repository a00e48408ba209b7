"""Sample agency documents (written for these tests, in tests/articles/wire/samples/) and a
local HTTP server that answers like an agency's feed and picture store."""

import contextlib
from pathlib import Path

from pytest_httpserver import HTTPServer

from tests.factories import image_bytes

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str, server: HTTPServer | None = None) -> bytes:
    data = (SAMPLES / name).read_bytes()
    if server is not None:
        data = data.replace(b"PICTURE_URL", server.url_for("/pictures").encode())
    return data


@contextlib.contextmanager
def agency_server():
    """A running local server with pictures at /pictures/<name>.jpg."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        for name in ("storm", "quake", "thumb", "quake-small"):
            server.expect_request(f"/pictures/{name}.jpg").respond_with_data(
                image_bytes((640, 480)), content_type="image/jpeg"
            )
        yield server
    finally:
        server.clear()
        if server.is_running():
            server.stop()
