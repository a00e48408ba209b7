"""The Content-Security-Policy of a page with embeds: today's strict one, opened exactly for the
providers embedded on it (frames and scripts, nothing else)."""

from collections.abc import Iterable

from django.conf import settings
from django.utils.csp import build_policy

from articles.embeds.providers import Provider


def policy_with(providers: Iterable[Provider], base: dict[str, list[str]] | None = None) -> dict:
    """`base` (settings.SECURE_CSP) with frame-src and script-src opened for `providers`."""
    policy = {name: list(sources) for name, sources in (base or settings.SECURE_CSP).items()}
    frames = [origin for provider in providers for origin in provider.frame_src]
    scripts = [origin for provider in providers for origin in provider.script_src]
    if frames:
        policy["frame-src"] = list(dict.fromkeys([*policy.get("frame-src", []), *frames]))
    if scripts:
        policy["script-src"] = list(dict.fromkeys([*policy.get("script-src", []), *scripts]))
    return policy


def header_for(
    providers: Iterable[Provider], base: dict[str, list[str]] | None = None, nonce=None
) -> str:
    """The header's value; set on the response itself, so the page cache keeps and replays it
    (Django's middleware leaves a header the view set alone)."""
    return build_policy(policy_with(providers, base), nonce)
