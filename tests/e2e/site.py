"""The site the journeys visit: gunicorn with production settings on a database of its own.

On SQLite that database is a file in a temporary folder. When DATABASE_URL names PostgreSQL, it
is `<name>_e2e` on the same server, created for the session and dropped after it (and dropped
first, should an interrupted run have left it behind).
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url

from tests.fake_weather import FakeWeather
from tests.helpers import BASE_DIR, PRODUCTION_ENV, collected_static, free_port

STARTUP_SECONDS = 30


@contextmanager
def e2e_database(folder: Path) -> Iterator[str]:
    """Yield the DATABASE_URL of an empty database for this session."""
    url = os.environ.get("DATABASE_URL", "")
    if not url or dj_database_url.parse(url)["ENGINE"] != "django.db.backends.postgresql":
        yield f"sqlite:///{folder / 'e2e.sqlite3'}"
        return
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    name = f"{config['NAME']}_e2e"
    # Keyword arguments of psycopg.connect().
    server: dict[str, Any] = {
        "host": config["HOST"] or None,
        "port": config["PORT"] or None,
        "user": config["USER"] or None,
        "password": config["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
        "connect_timeout": 5,
    }
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(**server) as connection:
        connection.execute(drop)
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlsplit(url)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(**server) as connection:
            connection.execute(drop)


class LiveSite:
    """A running site: its address, its logs, and the seeding actions of tests/e2e/seeding.py."""

    def __init__(self, url: str, token: str, folder: Path, weather: FakeWeather):
        self.url = url
        self.token = token
        self.folder = folder
        self.weather = weather
        self.password = secrets.token_urlsafe(12)

    @property
    def error_log(self) -> Path:
        return self.folder / "server.log"

    @property
    def access_log(self) -> Path:
        return self.folder / "access.log"

    def seed(self, action: str, **kwargs) -> dict:
        """Run one action of tests/e2e/seeding.py in the server process; its result."""
        request = urllib.request.Request(
            f"{self.url}/__e2e__/{action}",
            data=json.dumps(kwargs).encode(),
            headers={"X-E2E-Token": self.token, "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            raise AssertionError(f"seeding {action} failed:\n{error.read().decode()}") from None

    def log_marks(self) -> tuple[int, int]:
        return self.error_log.stat().st_size, self.access_log.stat().st_size

    def problems_since(self, marks: tuple[int, int]) -> list[str]:
        """Server errors logged after `marks`: tracebacks and 5xx answers."""
        problems = []
        with self.error_log.open(errors="replace") as log:
            log.seek(marks[0])
            text = log.read()
        if any(mark in text for mark in ("Traceback", " ERROR ", "[ERROR]", "[CRITICAL]")):
            problems.append(text)
        with self.access_log.open(errors="replace") as log:
            log.seek(marks[1])
            problems += [line for line in log if line.startswith("5")]
        return problems


def _run(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300
    )
    if result.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


@contextmanager
def live_site() -> Iterator[LiveSite]:
    """Migrate a new database, start gunicorn on it, seed the newsroom; stop and clean up."""
    with ExitStack() as stack:
        folder = Path(tempfile.mkdtemp(prefix="newsroom-e2e-"))
        stack.callback(shutil.rmtree, folder, ignore_errors=True)
        database_url = stack.enter_context(e2e_database(folder))
        weather = stack.enter_context(FakeWeather())
        token = secrets.token_urlsafe(24)
        (folder / "media").mkdir()
        env = {
            **os.environ,
            **PRODUCTION_ENV,
            "STATIC_ROOT": collected_static(),
            "DATABASE_URL": database_url,
            "MEDIA_ROOT": str(folder / "media"),
            # One process with its own memory cache: it sees every invalidation it causes.
            "CACHE_URL": "locmem://",
            "WEATHER_PROVIDER": "open-meteo",
            "WEATHER_URL": weather.url,
            "E2E_TOKEN": token,
            # Story locks lapse after 9 s without a heartbeat (one every 3 s): the two-browser
            # journey sees a take-over arrive without waiting a minute.
            "STORY_LOCK_SECONDS": "9",
            # A live page asks for new updates every second: the live-coverage journey sees each
            # change reach a reader's open page without waiting ten seconds a time.
            "LIVE_POLL_SECONDS": "1",
        }
        _run(["manage.py", "migrate", "--noinput", "-v0"], env)

        port = free_port()
        site = LiveSite(f"http://127.0.0.1:{port}", token, folder, weather)
        site.error_log.touch()
        site.access_log.touch()
        with site.error_log.open("ab") as errors:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "tests.e2e.wsgi:application",
                    f"--bind=127.0.0.1:{port}",
                    "--workers=1",
                    "--threads=4",
                    "--timeout=60",
                    "--graceful-timeout=5",
                    f"--access-logfile={site.access_log}",
                    '--access-logformat=%(s)s "%(r)s"',
                ],
                cwd=BASE_DIR,
                env=env,
                stdout=errors,
                stderr=errors,
            )
        stack.callback(_stop, process)
        _wait_until_up(site, process)
        site.seed("base", password=site.password)
        yield site


def _wait_until_up(site: LiveSite, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            with urllib.request.urlopen(f"{site.url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not start:\n{site.error_log.read_text()}")
        time.sleep(0.2)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
