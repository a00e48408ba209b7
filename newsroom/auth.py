import logging

from axes.backends import AxesStandaloneBackend

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


def log_lockout(sender, request, username=None, ip_address=None, **kwargs):
    logger.warning("Admin login locked out for %r from %s.", username, ip_address)
