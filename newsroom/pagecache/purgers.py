"""Telling the edge to drop what a write changed: one small interface, one class per edge.

`purger()` gives the one settings.EDGE_PURGER names. `purge(keys, hard)` sends every key in one
request per address (the caller splits them into `batch_size` lots) and returns, or raises
PurgeError, with the edge's Retry-After when it gave one. Soft purges let the edge serve its
stale copy for its grace while it refetches; hard ones (a story taken down) do not.
"""

import json
import time
from dataclasses import dataclass
from urllib.parse import quote

import requests
from django.conf import settings

CONNECT_TIMEOUT = 2.0
# An edge's answer to a purge is a few hundred bytes; more is not read.
MAX_ANSWER_BYTES = 64 * 1024


class PurgeError(Exception):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: the caller's own backoff will do


def send(method: str, url: str, headers: dict[str, str], body: bytes | None = None) -> Answer:
    """One request, over within EDGE_PURGE_TIMEOUT (plus one read timeout for a server that
    trickles), or PurgeError; an answer that is not 2xx is an error too."""
    deadline = settings.EDGE_PURGE_TIMEOUT
    started = time.monotonic()
    try:
        response = requests.request(
            method,
            url,
            headers=headers,
            data=body,
            timeout=(min(CONNECT_TIMEOUT, deadline), deadline),
            stream=True,
            allow_redirects=False,
        )
        with response:
            data = bytearray()
            for chunk in response.iter_content(8192):
                data.extend(chunk)
                if len(data) > MAX_ANSWER_BYTES or time.monotonic() - started > deadline:
                    raise PurgeError(f"{url}: the answer did not end within {deadline:g} s")
    except requests.RequestException as error:
        raise PurgeError(f"{url}: {type(error).__name__}") from None
    if not 200 <= response.status_code < 300:
        raise PurgeError(
            f"{url} answered HTTP {response.status_code}",
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )
    return Answer(response.status_code, bytes(data))


class Purger:
    name = "none"
    # The most keys one request may carry.
    batch_size = 100

    def purge(self, keys: list[str], hard: bool) -> None:
        """Drop everything tagged with one of `keys` at the edge, or raise PurgeError."""
        raise NotImplementedError


class VarnishPurger(Purger):
    """PURGE to every varnishd, with the keys in an `xkey-purge` (hard) or `xkey-softpurge`
    header; deploy/varnish.vcl hands them to vmod_xkey and allows it from its ACL only."""

    name = "varnish"
    # Varnish refuses request headers over 8 KB (http_req_hdr_len): ~100 keys stay far below.
    batch_size = 100

    def __init__(self, urls: list[str]):
        self.urls = urls

    def purge(self, keys: list[str], hard: bool) -> None:
        header = "xkey-purge" if hard else "xkey-softpurge"
        failures = []
        for url in self.urls:  # every one, even after one failed: the batch is retried whole
            try:
                send("PURGE", url.rstrip("/") + "/", {header: " ".join(keys)})
            except PurgeError as error:
                failures.append(error)
        if failures:
            waits = [error.retry_after for error in failures if error.retry_after is not None]
            raise PurgeError(
                "; ".join(str(error) for error in failures), retry_after=max(waits, default=None)
            )


class FastlyPurger(Purger):
    """Fastly's batch purge by surrogate key: POST /service/{id}/purge, keys in a Surrogate-Key
    header, the API token in Fastly-Key; Fastly-Soft-Purge: 1 marks the objects stale instead."""

    name = "fastly"
    batch_size = 256  # Fastly's limit for one batch purge

    def __init__(self, base_url: str, service_id: str, token: str):
        self.url = f"{base_url.rstrip('/')}/service/{quote(service_id, safe='')}/purge"
        self.token = token

    def purge(self, keys: list[str], hard: bool) -> None:
        headers = {
            "Fastly-Key": self.token,
            "Surrogate-Key": " ".join(keys),
            "Accept": "application/json",
        }
        if not hard:
            headers["Fastly-Soft-Purge"] = "1"
        send("POST", self.url, headers)


class CloudflarePurger(Purger):
    """Cloudflare's purge by cache tag: POST /zones/{zone}/purge_cache {"tags": [...]} with a
    Bearer token. Cloudflare's purges are always hard; its answer must say "success": true."""

    name = "cloudflare"
    batch_size = 100  # Cloudflare's limit of operations per purge request

    def __init__(self, base_url: str, zone_id: str, token: str):
        self.url = f"{base_url.rstrip('/')}/zones/{quote(zone_id, safe='')}/purge_cache"
        self.token = token

    def purge(self, keys: list[str], hard: bool) -> None:
        answer = send(
            "POST",
            self.url,
            {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
            json.dumps({"tags": keys}).encode(),
        )
        try:
            success = json.loads(answer.body).get("success") is True
        except (ValueError, AttributeError):
            success = False
        if not success:
            raise PurgeError(f"{self.url} did not confirm the purge: {answer.body[:200]!r}")


def purger() -> Purger | None:
    """The purger settings.EDGE_PURGER names; None when no edge is purged."""
    match settings.EDGE_PURGER:
        case "varnish":
            return VarnishPurger(settings.EDGE_VARNISH_URLS)
        case "fastly":
            return FastlyPurger(
                settings.EDGE_FASTLY_URL,
                settings.EDGE_FASTLY_SERVICE_ID,
                settings.EDGE_FASTLY_TOKEN,
            )
        case "cloudflare":
            return CloudflarePurger(
                settings.EDGE_CLOUDFLARE_URL,
                settings.EDGE_CLOUDFLARE_ZONE_ID,
                settings.EDGE_CLOUDFLARE_TOKEN,
            )
    return None
