import contextlib
import ipaddress
import logging

from axes.backends import AxesStandaloneBackend
from django.conf import settings

logger = logging.getLogger(__name__)


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuse logins for a locked-out username and address (django-axes).

    Only logins that come with a request are throttled: the admin's always do, while scripts
    and the test client's login() authenticate without one.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


# Where a proxy on this machine (deploy/nginx.conf) connects from.
LOCAL_PROXIES = {"127.0.0.1", "::1"}


def client_ip(request) -> str:
    """The client's address, for login throttling (AXES_CLIENT_IP_CALLABLE).

    Behind the local nginx (SECURE_PROXY_SSL_HEADER set) every request comes from 127.0.0.1, and
    throttling by that address would lock an editor out for everyone; the client's address is
    then the last one in X-Forwarded-For, the one nginx appended. Earlier entries, and the
    header on a request that did not come through the proxy, are the client's to forge.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.SECURE_PROXY_SSL_HEADER and remote in LOCAL_PROXIES and forwarded:
        last = forwarded.rsplit(",", 1)[-1].strip()
        with contextlib.suppress(ValueError):
            return str(ipaddress.ip_address(last))
    return remote


def log_lockout(sender, request, username=None, ip_address=None, **kwargs):
    logger.warning("Admin login locked out for %r from %s.", username, ip_address)
