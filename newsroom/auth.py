"""Admin login throttling: who the client is behind our proxies, lockouts, the account ceiling."""

import functools
import ipaddress
import logging
import math
from datetime import timedelta

from axes.backends import AxesStandaloneBackend
from axes.models import AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# An IPv6 client is one /64: a single host is usually handed a whole one, and would otherwise
# get fresh guesses from every address in it.
IPV6_CLIENT_PREFIX = 64
# An address the owner logged in from this recently is exempt from the account ceiling.
FAMILIAR_ADDRESS_DAYS = 30


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuse logins for a locked-out username and address (django-axes).

    Only logins that come with a request are throttled: the admin's always do, while scripts
    and the test client's login() authenticate without one.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


@functools.cache
def _networks(proxies: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def trusted_proxy(address: IPAddress) -> bool:
    """Whether requests from this address come through a proxy we trust (TRUSTED_PROXIES)."""
    return any(address in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def _parse(text: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def client_ip(request: HttpRequest) -> str:
    """The client's address, for login throttling (AXES_CLIENT_IP_CALLABLE).

    Behind a proxy every request comes from the proxy, and throttling by its address would
    lock an editor out for everyone. A request from a trusted proxy (TRUSTED_PROXIES) is
    traced back through X-Forwarded-For, where each proxy appends the address it was reached
    from: the client is the last address there that is not itself a trusted proxy. Anything
    to its left is the client's to forge, and so is the whole header on a request that did
    not come through a trusted proxy. An IPv6 client counts as its /64 (its first address).
    """
    return client_address(
        request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR", "")
    )


def client_address(remote: str, forwarded_for: str) -> str:
    """client_ip() from the peer's address and the X-Forwarded-For header (a WSGI environ's
    REMOTE_ADDR and HTTP_X_FORWARDED_FOR), for code that answers before Django's request."""
    client = _parse(remote)
    if client is None:
        return remote
    hops = forwarded_for.split(",")
    while trusted_proxy(client) and hops:
        hop = _parse(hops.pop())
        if hop is None:  # a trusted proxy wrote what is not an address: trust nothing further
            break
        client = hop
    if isinstance(client, ipaddress.IPv6Address):
        network = ipaddress.ip_network(f"{client}/{IPV6_CLIENT_PREFIX}", strict=False)
        client = network.network_address
    return str(client)


class UntrustedProxyWarningMiddleware:
    """Say once, in the log, that forwarded requests come from a proxy we do not trust.

    Behind a proxy missing from TRUSTED_PROXIES every client looks like the proxy, so five bad
    passwords from anyone lock an editor out for everyone: the warning names the setting.
    """

    warned = False

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not UntrustedProxyWarningMiddleware.warned:
            self.check(request)
        return self.get_response(request)

    @staticmethod
    def check(request: HttpRequest) -> None:
        remote = _parse(request.META.get("REMOTE_ADDR", ""))
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
        if forwarded and remote is not None and not trusted_proxy(remote):
            UntrustedProxyWarningMiddleware.warned = True
            logger.warning(
                "A request came from %s with X-Forwarded-For, but %s is not in TRUSTED_PROXIES: "
                "its header is ignored, and if it is your proxy every client looks like it to "
                "the login throttle (one client's failures lock an account out for all). Add "
                "the proxy's address to TRUSTED_PROXIES. (Said once per process.)",
                remote,
                remote,
            )


def recent_failures(username: str) -> QuerySet[AccessFailureLog]:
    return AccessFailureLog.objects.filter(
        username=username, attempt_time__gte=timezone.now() - timedelta(hours=1)
    )


def past_ceiling(username: str) -> bool:
    """Whether this account has failed LOGIN_ACCOUNT_FAILURES_PER_HOUR logins in the last hour."""
    return bool(username) and (
        recent_failures(username).count() >= settings.LOGIN_ACCOUNT_FAILURES_PER_HOUR
    )


def account_wait(username: str, address: str) -> int:
    """Seconds before this account may be tried again from this address (0: now).

    Past LOGIN_ACCOUNT_FAILURES_PER_HOUR failures for one username in an hour, from any
    address, each further try waits twice as long after the last failure as the one before,
    up to LOGIN_ACCOUNT_MAX_WAIT. Guessing slows to one try per wait for the whole world;
    the owner waits at most that long, and not at all from an address they logged in from
    lately. A try refused here checks no password and counts as no failure.

    Call it inside a transaction: past the ceiling the account's row stays locked until the
    try is judged, so simultaneous tries cannot all pass through the same opening.
    """
    if not past_ceiling(username):
        return 0
    now = timezone.now()
    failures = recent_failures(username)
    familiar = AccessLog.objects.filter(
        username=username,
        ip_address=address,
        attempt_time__gte=now - timedelta(days=FAMILIAR_ADDRESS_DAYS),
    )
    if familiar.exists():
        return 0
    User = get_user_model()
    list(User._default_manager.select_for_update().filter(**{User.USERNAME_FIELD: username}))
    over = max(0, failures.count() - settings.LOGIN_ACCOUNT_FAILURES_PER_HOUR)  # again, locked
    last = failures.order_by("-attempt_time").values_list("attempt_time", flat=True).first()
    if last is None:
        return 0
    wait = timedelta(seconds=min(2**over, settings.LOGIN_ACCOUNT_MAX_WAIT))
    return max(0, math.ceil((last + wait - timezone.now()).total_seconds()))


def log_lockout(sender, request, username=None, ip_address=None, **kwargs):
    logger.warning("Admin login locked out for %r from %s.", username, ip_address)
