"""Load over HTTP on loopback: gunicorn (deploy/gunicorn.conf.py), Redis, nginx, wrk, and a
PostgreSQL primary with a streaming replica.

Every server listens on 127.0.0.1 at a free port and is stopped at the end; every wrk run is
bounded in time.
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

BASE_DIR = Path(__file__).resolve().parent.parent
DEPLOY = BASE_DIR / "deploy"
LUA = Path(__file__).resolve().parent / "report.lua"


def site_environment(database_url: str, work_dir: Path, cache_url: str) -> dict[str, str]:
    """The site with production settings on loopback; the weather provider is never asked."""
    return {
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "0",
        "STATIC_ROOT": str(work_dir / "static"),
        "MEDIA_ROOT": str(work_dir / "media"),
        "CACHE_URL": cache_url,
        "WEATHER_URL": "http://127.0.0.1:9",
        "WEATHER_BACKGROUND_REFRESH": "0",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            program = cast(list[str], process.args)[0]  # started from a list of arguments
            raise RuntimeError(f"{program} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def ensure_program(name: str, package: str) -> str:
    """The program's path; installs its Debian package when missing, so a new machine works."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found:
        return found
    install_package(package, f"{name} is missing")
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if not found:
        raise SystemExit(f"{name} is still missing after installing {package}.")
    return found


def install_package(package: str, why: str) -> None:
    """apt-get install the Debian package (with sudo when not root), or exit saying why."""
    apt = shutil.which("apt-get")
    if apt is None:
        raise SystemExit(f"{why}; install the {package} package.")
    command = [apt, "install", "-y", "-q", package]
    if os.geteuid() != 0:
        command = ["sudo", "-n", *command]
    print(f"Installing {package} for the benchmark…", flush=True)
    if subprocess.run(command).returncode != 0:
        update = [apt, "update", "-q"] if os.geteuid() == 0 else ["sudo", "-n", apt, "update", "-q"]
        subprocess.run(update, check=False)
        subprocess.run(command, check=True)


def fetch(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@contextmanager
def redis_server():
    """A throwaway Redis on loopback, or None when redis-server is not installed."""
    program = shutil.which("redis-server")
    if program is None:
        yield None
        return
    port = free_port()
    process = subprocess.Popen(
        [program, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(process)


S3_BUCKET = "newsroom-media"


@contextmanager
def s3_server():
    """A local S3-compatible server (moto's server mode) with a bucket anyone may read, as a
    media bucket behind a CDN is; yields the environment that points the site at it."""
    import boto3

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port, process)
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="newsroom",
            aws_secret_access_key="newsroom-secret",
        )
        client.create_bucket(Bucket=S3_BUCKET)
        public_read = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{S3_BUCKET}/*",
                }
            ],
        }
        client.put_bucket_policy(Bucket=S3_BUCKET, Policy=json.dumps(public_read))
        yield {
            "MEDIA_STORAGE": "s3",
            "MEDIA_BUCKET": S3_BUCKET,
            "MEDIA_ENDPOINT_URL": endpoint,
            "MEDIA_REGION": "us-east-1",
            "MEDIA_ACCESS_KEY_ID": "newsroom",
            "MEDIA_SECRET_ACCESS_KEY": "newsroom-secret",
        }
    finally:
        stop(process)


@contextmanager
def gunicorn(env: dict[str, str], workers: int = 2, base_dir: Path = BASE_DIR):
    """The site under gunicorn with the shipped configuration; yields (base URL, process).

    `base_dir` is the checkout to serve (another one, to compare with an earlier commit).
    """
    port = free_port()
    config = base_dir / "deploy" / "gunicorn.conf.py"
    command = [sys.executable, "-m", "gunicorn", "-c", str(config)]
    env = {
        **os.environ,
        **env,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
    }
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [*command, "newsroom.wsgi"], cwd=base_dir, env=env, stdout=log, stderr=log
        )
        try:
            wait_for_port(port, process)
            yield f"http://127.0.0.1:{port}", process
        except BaseException:
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace")[-4000:])
            raise
        finally:
            stop(process)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children, the ones it has reaped included:
    a gunicorn master and its workers, replaced ones too, or an nginx master and its workers."""
    ticks = os.sysconf("SC_CLK_TCK")

    def own(pid: int, reaped: bool) -> int:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            return 0  # ended between the listing and the reading: its master counts it
        # utime, stime, and for the master cutime, cstime (fields 14 to 17 of proc(5)).
        return sum(int(value) for value in fields[11 : 15 if reaped else 13])

    try:
        children = [
            int(child)
            for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()
        ]
    except FileNotFoundError:
        return 0.0
    return (own(pid, True) + sum(own(child, False) for child in children)) / ticks


def worker_rss_mb(master: subprocess.Popen) -> list[float]:
    """Resident memory of each worker of a gunicorn master, in MB."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    sizes = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(round(int(line.split()[1]) / 1024, 1))
    return sizes


def nginx_config(
    app_port: int, port: int, plain_port: int, root: Path, static: Path, media: Path
) -> Path:
    """The shipped deploy/nginx.conf wrapped in a main context that runs as a loopback fixture,
    plus a server that serves plain files (for the comparison) with the same gzip settings."""
    shipped = (DEPLOY / "nginx.conf").read_text()
    replacements = {
        "listen 80 default_server;": f"listen 127.0.0.1:{port} default_server;",
        "listen 80;": f"listen 127.0.0.1:{port};",
        "server_name newsroom.example.org;": "server_name 127.0.0.1 localhost;",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{app_port};",
        "/var/cache/nginx/newsroom": str(root / "cache"),
        "/srv/newsroom/var/static/": f"{static}/",
        "/srv/newsroom/var/media/": f"{media}/",
        "/srv/newsroom/deploy/": f"{DEPLOY}/",
        "/var/log/newsroom/reads.log": str(root / "reads.log"),
    }
    for old, new in replacements.items():
        if old not in shipped:
            raise RuntimeError(f"deploy/nginx.conf no longer contains {old!r}")
        shipped = shipped.replace(old, new)
    temp = "\n".join(
        f"    {kind}_temp_path {root / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    config = root / "nginx.conf"
    config.write_text(
        f"""worker_processes auto;
pid {root / "nginx.pid"};
error_log {root / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
{temp}
{shipped}
    server {{
        listen 127.0.0.1:{plain_port};
        root {root / "plain"};
        gzip on;
        gzip_comp_level 5;
        gzip_min_length 1024;
        gzip_vary on;
    }}
}}
"""
    )
    (root / "plain").mkdir(exist_ok=True)
    (root / "cache").mkdir(exist_ok=True)
    os.chmod(root, 0o755)
    return config


def shipped_beacon_config() -> tuple[str, str]:
    """The lines of deploy/nginx.conf that answer and log the most-read beacons: those of the
    http context (the maps and the log format) and the server's location."""
    shipped = (DEPLOY / "nginx.conf").read_text()
    http_part = re.search(
        r"^map \$http_cookie \$newsroom_personal.*?^map \$request_method.*?^}", shipped, re.M | re.S
    )
    server_part = re.search(r'^    location ~ "\^/live/read/.*?^    }', shipped, re.M | re.S)
    if http_part is None or server_part is None:
        raise RuntimeError("deploy/nginx.conf no longer answers the beacons as expected")
    return http_part.group(0), server_part.group(0)


@contextmanager
def nginx(config: Path, ports: list[int]):
    program = ensure_program("nginx", "nginx-light")
    test = subprocess.run([program, "-t", "-c", str(config)], capture_output=True, text=True)
    if test.returncode != 0:
        raise RuntimeError(f"nginx -t failed:\n{test.stderr}")
    process = subprocess.Popen(
        [program, "-c", str(config), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for port in ports:
            wait_for_port(port, process)
        yield test.stderr
    finally:
        stop(process)


def wrk(
    url: str,
    seconds: int,
    connections: int,
    threads: int = 1,
    paths: list[str] | None = None,
    script: Path = LUA,
    script_env: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict:
    """One bounded wrk run; requests per second and latency percentiles in ms."""
    program = ensure_program("wrk", "wrk")
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError("load goes to loopback only")
    env = {**os.environ, **(script_env or {})}
    path_file = None
    if paths:
        descriptor, path_file = tempfile.mkstemp(suffix=".txt")
        with os.fdopen(descriptor, "w") as handle:
            handle.write("\n".join(paths))
        env["WRK_PATHS"] = path_file
    command = [
        program,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        *(f"-H{name}: {value}" for name, value in (headers or {}).items()),
        "-s",
        str(script),
        url,
    ]
    try:
        # Reaped with wait4 rather than subprocess.run, for the CPU time of this wrk alone: the
        # load generator takes it from the cores it shares with the site.
        with (
            tempfile.TemporaryFile() as errors_file,
            subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=errors_file, text=True, env=env
            ) as process,
        ):
            timer = threading.Timer(seconds + 30, process.kill)
            timer.start()
            try:
                output = cast(IO[str], process.stdout).read()
                _pid, status, usage = os.wait4(process.pid, 0)
            finally:
                timer.cancel()
            process.returncode = os.waitstatus_to_exitcode(status)
            if process.returncode != 0:
                errors_file.seek(0)
                raise subprocess.CalledProcessError(
                    process.returncode, command, output, errors_file.read().decode()
                )
    finally:
        if path_file:
            os.unlink(path_file)
    line = next(line for line in output.splitlines() if line.startswith("JSON "))
    data = json.loads(line[5:])
    seconds_run = data["duration_us"] / 1e6
    errors = sum(data["errors"].values())
    return {
        "rps": round(data["requests"] / seconds_run, 1),
        "p50_ms": round(data["latency_us"]["p50"] / 1000, 2),
        "p99_ms": round(data["latency_us"]["p99"] / 1000, 2),
        "requests": data["requests"],
        "errors": errors,
        # Failed connections, reads, writes and timeouts: answers that never came.
        "socket_errors": errors - data["errors"]["status"],
        "bytes_per_request": round(data["bytes"] / max(1, data["requests"])),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
    }


def _postgres_bin() -> Path:
    """The directory of the installed PostgreSQL server's programs (initdb, pg_ctl, …)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parent)
    if not found:
        raise SystemExit("PostgreSQL's server programs are missing; install postgresql.")
    return found[-1].parent


@dataclass
class PostgresPair:
    """A primary and a streaming replica of it, on loopback, owned by the caller."""

    primary_url: str
    replica_url: str
    replica_port: int
    control: Callable[..., subprocess.CompletedProcess]

    def replica_sql(self, sql: str) -> str:
        psql = ["psql", "-h", "127.0.0.1", "-p", str(self.replica_port), "-U", "postgres"]
        return self.control(*psql, "-d", "newsroom", "-Atc", sql).stdout.strip()

    def stop_replica(self) -> None:
        self.control("pg_ctl", "-D", "replica", "-m", "immediate", "stop")


PRIMARY_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "wal_level": "replica",
    "max_wal_senders": 4,
    "max_connections": 100,
    # What ran where: tests count the statements a replica answered.
    "shared_preload_libraries": "'pg_stat_statements'",
    # They live for one test or benchmark: durability would only cost time.
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


@contextmanager
def postgres_pair():
    """A PostgreSQL primary with database `newsroom` and a replica streaming from it, each on a
    free port, made with initdb and pg_basebackup as the `postgres` user in a temporary
    directory (the machine's own server and its settings are left alone); removed afterwards."""
    programs = _postgres_bin()
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    primary_port, replica_port = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="newsroom-pg-") as directory:
        root = Path(directory)
        if as_postgres:
            shutil.chown(root, "postgres")

        def control(program: str, *arguments: str, check: bool = True):
            command = [*as_postgres, str(programs / program), *arguments]
            return subprocess.run(command, cwd=root, check=check, capture_output=True, text=True)

        primary = ["-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres"]
        control("initdb", "-D", "primary", "-U", "postgres", "--auth=trust", "--locale=C.UTF-8")
        settings = {
            **PRIMARY_SETTINGS,
            "port": primary_port,
            "unix_socket_directories": f"'{root}'",
        }
        with open(root / "primary" / "postgresql.conf", "a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        with open(root / "primary" / "pg_hba.conf", "a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        started = []
        try:
            control("pg_ctl", "-D", "primary", "-l", "primary.log", "-w", "start")
            started.append("primary")
            control("psql", *primary, "-d", "postgres", "-c", "CREATE DATABASE newsroom")
            control("psql", *primary, "-d", "newsroom", "-c", "CREATE EXTENSION pg_stat_statements")
            # A fast checkpoint: the default spreads it over minutes.
            control("pg_basebackup", *primary, "-D", "replica", "-R", "-X", "stream", "-c", "fast")
            with open(root / "replica" / "postgresql.conf", "a") as conf:
                conf.write(f"port = {replica_port}\nhot_standby_feedback = on\n")
            control("pg_ctl", "-D", "replica", "-l", "replica.log", "-w", "start")
            started.append("replica")
            yield PostgresPair(
                primary_url=f"postgres://postgres@127.0.0.1:{primary_port}/newsroom",
                replica_url=f"postgres://postgres@127.0.0.1:{replica_port}/newsroom",
                replica_port=replica_port,
                control=control,
            )
        finally:
            for name in reversed(started):
                control("pg_ctl", "-D", name, "-m", "immediate", "stop", check=False)


def varnish_vcl(app_ports: list[int], root: Path) -> Path:
    """The shipped deploy/varnish.vcl with a backend per app server port, written under `root`."""
    shipped = (DEPLOY / "varnish.vcl").read_text()
    backend = re.search(r"backend app1 \{.*?\n\}\n", shipped, re.DOTALL)
    added = "    apps.add_backend(app1);\n"
    if backend is None or '.port = "8000";' not in backend.group() or added not in shipped:
        raise RuntimeError("deploy/varnish.vcl no longer has its backend app1 on port 8000")
    backends = "\n".join(
        backend.group()
        .replace("app1", f"app{number}")
        .replace('.port = "8000";', f'.port = "{port}";')
        for number, port in enumerate(app_ports, start=1)
    )
    adds = "".join(f"    apps.add_backend(app{n});\n" for n in range(1, len(app_ports) + 1))
    vcl = root / "varnish.vcl"
    vcl.write_text(shipped.replace(backend.group(), backends).replace(added, adds))
    return vcl


def ensure_varnish() -> str:
    """varnishd with varnish-modules' xkey; installs the Debian packages when missing."""
    program = ensure_program("varnishd", "varnish")
    if not list(Path("/usr/lib").glob("*/varnish/vmods/libvmod_xkey.so")):
        install_package("varnish-modules", "vmod_xkey is missing")
    return program


@contextmanager
def varnishd(program: str, app_ports: list[int], port: int, root: Path):
    """varnishd with the shipped VCL on 127.0.0.1:`port` in front of the app server(s); yields
    its URL.

    Its working directory is under `root` (readable by the user Varnish drops to as root)."""
    os.chmod(root, 0o755)
    vcl = varnish_vcl(app_ports, root)
    command = [program, "-F", "-n", str(root / "work"), "-a", f"127.0.0.1:{port}", "-T", "none"]
    command += ["-f", str(vcl), "-s", "malloc,64m"]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=log, stderr=log)
        try:
            wait_for_port(port, process)
            yield f"http://127.0.0.1:{port}"
        except BaseException:
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace")[-4000:])
            raise
        finally:
            stop(process)
