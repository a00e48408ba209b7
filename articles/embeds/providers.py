"""The embed allowlist: one entry per provider, and nothing from anywhere else.

An address is recognised from its parts, never by searching the string: the scheme is http(s),
there is no user or password (`https://youtube.com@evil.example/`), no port, the host is one of
the provider's exactly (`youtube.com.evil.example` is not), and the path matches a pattern whose
item ids admit only letters, digits and a few safe marks. The embed is then built from those ids
alone, so nothing of the pasted text but the ids reaches the page.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, urlsplit

from django.utils.html import format_html
from django.utils.safestring import SafeString

MAX_URL_LENGTH = 500

IFRAME_ALLOW = "autoplay; clipboard-write; encrypted-media; fullscreen; picture-in-picture"


@dataclass(frozen=True)
class Item:
    """A recognised embed: who provides it, its canonical address and the ids the embed uses."""

    provider: "Provider"
    url: str
    ids: dict[str, str]

    def code(self, title: str) -> SafeString:
        """The provider's documented embed markup, to be inserted only when the reader asks."""
        return self.provider.code(self, title)


@dataclass(frozen=True)
class Provider:
    slug: str
    name: str
    hosts: frozenset[str]
    # (pattern on the path, canonical address from its groups, the hosts it applies to or all).
    patterns: tuple[tuple[re.Pattern, str, frozenset[str]], ...]
    # An iframe player's address from the ids, or "" for a provider whose own script draws it.
    player: str = ""
    # The provider's widget markup and script, for those that have no plain player.
    widget: str = ""
    script: str = ""
    # Origins the embed needs once loaded: frames it opens and scripts it runs.
    frame_src: tuple[str, ...] = ()
    script_src: tuple[str, ...] = ()
    oembed: bool = False
    # Query parameters that carry the item id (YouTube's ?v=, Facebook's watch ?v=).
    query_ids: dict[str, re.Pattern] = field(default_factory=dict)

    def match(self, host: str, path: str, query: str) -> Item | None:
        for pattern, canonical, hosts in self.patterns:
            found = pattern.fullmatch(path)
            if found is None or (hosts and host not in hosts):
                continue
            ids = {name: value or "" for name, value in found.groupdict().items()}
            if "{v}" in canonical and "v" not in ids:
                values = parse_qs(query).get("v", [])
                if len(values) != 1 or not self.query_ids["v"].fullmatch(values[0]):
                    continue
                ids["v"] = values[0]
            return Item(self, canonical.format(**ids), ids)
        return None

    def code(self, item: Item, title: str) -> SafeString:
        if self.player:
            return format_html(
                '<iframe class="embed__frame" src="{}" title="{}" allow="{}" allowfullscreen'
                ' referrerpolicy="strict-origin-when-cross-origin"></iframe>',
                self.player.format(**item.ids, url=quote(item.url, safe="")),
                title or self.name,
                IFRAME_ALLOW,
            )
        return format_html(self.widget, **item.ids, url=item.url, title=title or item.url)


def _paths(*pairs: tuple[str, ...]) -> tuple[tuple[re.Pattern, str, frozenset[str]], ...]:
    return tuple(
        (re.compile(pattern), canonical, frozenset(hosts)) for pattern, canonical, *hosts in pairs
    )


YOUTUBE_ID = r"(?P<v>[A-Za-z0-9_-]{11})"
YOUTUBE_HOSTS = ("youtube.com", "www.youtube.com", "m.youtube.com")
PROVIDERS = (
    Provider(
        "youtube",
        "YouTube",
        frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be"}),
        _paths(
            (r"/watch/?", "https://www.youtube.com/watch?v={v}", *YOUTUBE_HOSTS),
            (
                rf"/(?:shorts|embed|live)/{YOUTUBE_ID}/?",
                "https://www.youtube.com/watch?v={v}",
                *YOUTUBE_HOSTS,
            ),
            (rf"/{YOUTUBE_ID}/?", "https://www.youtube.com/watch?v={v}", "youtu.be"),
        ),
        # The privacy-enhanced player: no cookies until the reader plays the video.
        player="https://www.youtube-nocookie.com/embed/{v}?autoplay=1",
        frame_src=("https://www.youtube-nocookie.com",),
        oembed=True,
        query_ids={"v": re.compile(YOUTUBE_ID)},
    ),
    Provider(
        "vimeo",
        "Vimeo",
        frozenset({"vimeo.com", "www.vimeo.com"}),
        _paths((r"/(?P<id>[0-9]{1,12})/?", "https://vimeo.com/{id}")),
        player="https://player.vimeo.com/video/{id}?dnt=1&autoplay=1",
        frame_src=("https://player.vimeo.com",),
        oembed=True,
    ),
    Provider(
        "x",
        "X",
        frozenset({"x.com", "www.x.com", "twitter.com", "www.twitter.com", "mobile.twitter.com"}),
        _paths(
            (
                r"/(?P<user>[A-Za-z0-9_]{1,15})/status/(?P<id>[0-9]{1,20})/?",
                "https://twitter.com/{user}/status/{id}",
            )
        ),
        # X's documented embed: the blockquote its widgets.js turns into a post (data-dnt: no
        # personalisation from the reader's visit).
        widget='<blockquote class="twitter-tweet" data-dnt="true"><a href="{url}">{title}</a>'
        "</blockquote>",
        script="https://platform.twitter.com/widgets.js",
        frame_src=("https://platform.twitter.com",),
        script_src=("https://platform.twitter.com", "https://cdn.syndication.twimg.com"),
        oembed=True,
    ),
    Provider(
        "telegram",
        "Telegram",
        frozenset({"t.me", "telegram.me"}),
        _paths(
            (
                r"/(?:s/)?(?P<channel>[A-Za-z][A-Za-z0-9_]{3,31})/(?P<id>[0-9]{1,10})/?",
                "https://t.me/{channel}/{id}",
            )
        ),
        # Telegram's post widget is its script tag itself, which it replaces with a frame.
        widget='<span class="embed__telegram" data-embed-script-host'
        ' data-telegram-post="{channel}/{id}" data-width="100%"></span>',
        script="https://telegram.org/js/telegram-widget.js?22",
        frame_src=("https://t.me",),
        script_src=("https://telegram.org",),
    ),
    Provider(
        "facebook",
        "Facebook",
        frozenset({"facebook.com", "www.facebook.com", "m.facebook.com"}),
        _paths(
            (
                r"/(?P<page>[A-Za-z0-9.]{1,80})/(?P<kind>posts|videos)/(?P<id>[A-Za-z0-9]{1,80})/?",
                "https://www.facebook.com/{page}/{kind}/{id}",
            ),
        ),
        # Facebook's documented iframe plugin (no SDK script on our page).
        player="https://www.facebook.com/plugins/post.php?href={url}&show_text=true&width=500",
        frame_src=("https://www.facebook.com",),
    ),
    Provider(
        "instagram",
        "Instagram",
        frozenset({"instagram.com", "www.instagram.com"}),
        _paths(
            (
                r"/(?P<kind>p|reel)/(?P<id>[A-Za-z0-9_-]{5,40})/?",
                "https://www.instagram.com/{kind}/{id}/",
            )
        ),
        widget='<blockquote class="instagram-media" data-instgrm-permalink="{url}"'
        ' data-instgrm-version="14"><a href="{url}">{title}</a></blockquote>',
        script="https://www.instagram.com/embed.js",
        frame_src=("https://www.instagram.com",),
        script_src=("https://www.instagram.com",),
    ),
    Provider(
        "tiktok",
        "TikTok",
        frozenset({"tiktok.com", "www.tiktok.com", "m.tiktok.com"}),
        _paths(
            (
                r"/@(?P<user>[A-Za-z0-9_.]{1,24})/video/(?P<id>[0-9]{1,25})/?",
                "https://www.tiktok.com/@{user}/video/{id}",
            )
        ),
        widget='<blockquote class="tiktok-embed" cite="{url}" data-video-id="{id}">'
        '<section><a href="{url}">{title}</a></section></blockquote>',
        script="https://www.tiktok.com/embed.js",
        frame_src=("https://www.tiktok.com",),
        script_src=("https://www.tiktok.com",),
        oembed=True,
    ),
    Provider(
        "soundcloud",
        "SoundCloud",
        frozenset({"soundcloud.com", "www.soundcloud.com", "m.soundcloud.com"}),
        _paths(
            (
                r"/(?P<user>[a-z0-9_-]{1,80})/(?P<sets>sets/)?(?P<track>[a-z0-9_-]{1,120})/?",
                "https://soundcloud.com/{user}/{sets}{track}",
            )
        ),
        player="https://w.soundcloud.com/player/?url={url}&auto_play=true",
        frame_src=("https://w.soundcloud.com",),
        oembed=True,
    ),
    Provider(
        "spotify",
        "Spotify",
        frozenset({"open.spotify.com"}),
        _paths(
            (
                r"/(?:intl-[a-z]{2}(?:-[A-Za-z]{2})?/)?"
                r"(?P<kind>track|album|playlist|episode|show)/(?P<id>[A-Za-z0-9]{22})/?",
                "https://open.spotify.com/{kind}/{id}",
            )
        ),
        player="https://open.spotify.com/embed/{kind}/{id}",
        frame_src=("https://open.spotify.com",),
        oembed=True,
    ),
)
BY_SLUG = {provider.slug: provider for provider in PROVIDERS}
BY_HOST = {host: provider for provider in PROVIDERS for host in provider.hosts}
SAFE_HOST = re.compile(r"[a-z0-9.-]{1,253}")


def recognise(url: str) -> Item | None:
    """The embed a pasted address stands for, or None when it is not one we allow."""
    url = url.strip()
    if not url or len(url) > MAX_URL_LENGTH or any(ord(char) <= 32 for char in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or "@" in parts.netloc or port is not None:
        return None
    host = (parts.hostname or "").rstrip(".")
    if not SAFE_HOST.fullmatch(host) or parts.netloc.lower().rstrip(".") != host:
        return None
    provider = BY_HOST.get(host)
    if provider is None:
        return None
    return provider.match(host, parts.path, parts.query)
