"""Run the site in its own gunicorn process, as production does, for tests that need one."""

import functools
import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from benchmarks.serve import free_port

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "test-only-" + "x" * 60,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
}


@functools.cache
def collected_static() -> str:
    """Static files collected once per test run, as a deployment does before starting."""
    root = tempfile.mkdtemp(prefix="newsroom-static-")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=BASE_DIR,
        env={**os.environ, **PRODUCTION_ENV, "STATIC_ROOT": root},
        check=True,
    )
    return root


@contextmanager
def gunicorn(env: dict[str, str], workers: int = 1):
    """Yield the base URL of a gunicorn serving the site with the given environment."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "newsroom.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
        ],
        cwd=BASE_DIR,
        env={**os.environ, **PRODUCTION_ENV, "STATIC_ROOT": collected_static(), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    assert process.stderr is not None  # stderr=PIPE
                    raise RuntimeError(process.stderr.read().decode()) from None
                time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        process.wait(10)
