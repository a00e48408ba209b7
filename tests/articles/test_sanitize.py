"""The story body is made inert on every write path, and the markup editors use survives."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.test import TestCase
from django.urls import reverse

from articles.models import Article
from tests.factories import make_article, make_section, make_user
from tests.helpers import errors, form_data

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '"><script>alert(document.cookie)</script>',
    "<img src=x onerror=alert(1)>",
    '<p onclick="alert(1)">click me</p>',
    '<a href="https://ok.example/" onmouseover="alert(1)">hover</a>',
    "<details open ontoggle=alert(1)>x</details>",
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">link</a>',
    '<a href="JaVaScRiPt:alert(1)">link</a>',
    '<a href="&#106;avascript:alert(1)">entity</a>',
    '<a href=" javascript:alert(1)">space</a>',
    '<a href="java&#x09;script:alert(1)">tab</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>',
    '<a href="vbscript:msgbox(1)">vb</a>',
    '<p style="background:url(javascript:alert(1))">styled</p>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<h2 style="position:fixed;top:0;width:100%" class="x" id="y">Overlay</h2>',
    "<svg onload=alert(1)><circle r=10></circle></svg>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="https://evil.example/x.swf"></object>',
    '<embed src="https://evil.example/x.swf">',
    '<form action="javascript:alert(1)"><input type="submit" value="Go"></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<blockquote cite="javascript:alert(1)">quoted</blockquote>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></p></noscript>',
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    "<template><script>alert(1)</script></template>",
    "<video><source onerror=alert(1)></video>",
]

ALLOWED_TAGS = {"p", "br", "hr", "h2", "h3", "h4", "strong", "em", "a", "ul", "ol", "li"}
ALLOWED_TAGS |= {"blockquote", "table", "thead", "tbody", "tr", "th", "td"}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "rel"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
SAFE_SCHEMES = {"", "http", "https", "mailto"}


class InertChecker(HTMLParser):
    """Collects every way the markup could run code in a reader's browser."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name not in ALLOWED_ATTRIBUTES.get(tag, set()):
                self.problems.append(f"attribute {name} on <{tag}>")
            elif name == "href":
                scheme = urlsplit((value or "").strip()).scheme.lower()
                if scheme not in SAFE_SCHEMES:
                    self.problems.append(f"href scheme {scheme!r}")

    handle_startendtag = handle_starttag

    def handle_comment(self, data):
        self.problems.append("comment")


def problems(html: str) -> list[str]:
    checker = InertChecker()
    checker.feed(html)
    checker.close()
    return checker.problems


ALLOWED_MARKUP = (
    "<h2>Heading</h2><h3>Subheading</h3><h4>Minor heading</h4>"
    '<p><strong>Bold</strong>, <em>italic</em> and <a href="https://example.com/report">a link</a>.'
    "</p><ul><li>one</li></ul><ol><li>two</li></ol><blockquote><p>A quotation.</p></blockquote>"
)


class SanitizeOnSaveTests(TestCase):
    def test_checker_catches_what_it_should(self):
        # The check itself must fail on live payloads, or the tests below prove nothing.
        for payload in XSS_PAYLOADS[:10]:
            assert problems(payload), payload

    def test_every_payload_is_made_inert_by_save(self):
        assert len(XSS_PAYLOADS) >= 20
        section = make_section()
        for payload in XSS_PAYLOADS:
            article = make_article(section=section, body=f"<p>Intro.</p>{payload}<p>End.</p>")
            article.refresh_from_db()
            assert problems(article.body) == [], (payload, article.body)
            assert article.body.startswith("<p>Intro.</p>")

    def test_an_edit_through_the_orm_is_sanitized_too(self):
        article = make_article()
        article.body = '<p onclick="steal()">Edited</p><script>steal()</script>'
        article.save()
        assert Article.objects.get(pk=article.pk).body == "<p>Edited</p>"

    def test_allowed_markup_survives(self):
        article = make_article(body=ALLOWED_MARKUP)
        article.refresh_from_db()
        for tag in ["<h2>", "<h3>", "<h4>", "<strong>", "<em>", "<ul>", "<ol>", "<li>"]:
            assert tag in article.body, tag
        assert "<blockquote><p>A quotation.</p></blockquote>" in article.body
        assert 'href="https://example.com/report"' in article.body
        assert problems(article.body) == []


class SanitizeThroughTheAdminTests(TestCase):
    def setUp(self):
        self.client.force_login(make_user("editor", group="Editor"))
        self.section = make_section()

    def test_payloads_posted_in_the_admin_form_are_stored_inert(self):
        add = reverse("admin:articles_article_add")
        blank = form_data(self.client.get(add))
        for number, payload in enumerate(XSS_PAYLOADS):
            data = blank | {
                "headline": f"Story {number}",
                "slug": f"story-{number}",
                "body": f"<p>Intro.</p>{payload}<p>End.</p>",
                "section": str(self.section.pk),
            }
            response = self.client.post(add, data)
            assert response.status_code == 302, (payload, errors(response))
            body = Article.objects.get(slug=f"story-{number}").body
            assert problems(body) == [], (payload, body)

    def test_allowed_markup_survives_the_admin_form(self):
        add = reverse("admin:articles_article_add")
        data = form_data(self.client.get(add)) | {
            "headline": "Formatting",
            "slug": "formatting",
            "body": ALLOWED_MARKUP,
            "section": str(self.section.pk),
        }
        assert self.client.post(add, data).status_code == 302
        body = Article.objects.get(slug="formatting").body
        for tag in ["<h2>", "<h3>", "<h4>", "<strong>", "<em>", "<ul>", "<ol>", "<blockquote>"]:
            assert tag in body, tag
        assert 'href="https://example.com/report"' in body
