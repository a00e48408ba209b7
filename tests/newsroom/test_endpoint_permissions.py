"""Every endpoint, every role: superuser, Editor, Reporter, staff without a group, anonymous.

The secondary endpoints (preview, history, compare, restore, recover, bulk actions,
autocomplete) each have their own test, because that is where a forgotten check hides. A table
covers the plain admin pages of every registered model, and a test fails when a model is
registered without an entry in it. Request parameters that reach the ORM are tried with odd
values: admin lookups off the allowlist answer 400, never a 500 or a leak.
"""

import json
from datetime import timedelta

import reversion
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version
from taggit.models import Tag

from articles.models import Article, Author, Section, WireItem, WireSource
from newsroom.chrome.models import AdSlot, BreakingNews, FrontPage, Menu, SiteSettings
from newsroom.pages.models import Page
from tests.factories import (
    make_article,
    make_author,
    make_picture,
    make_section,
    make_user,
    make_video,
    wire_service,
)
from tests.helpers import EDITORIAL_CHANGELISTS, queued_task

SUPERUSER, EDITOR, REPORTER, STAFF, ANONYMOUS = (
    "superuser",
    "editor",
    "reporter",
    "staff",
    "anonymous",
)
ROLES = [SUPERUSER, EDITOR, REPORTER, STAFF, ANONYMOUS]
PUBLISHERS = {SUPERUSER, EDITOR}
WRITERS = {SUPERUSER, EDITOR, REPORTER}
CHANGELIST = reverse("admin:articles_article_changelist")


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


class RoleTestCase(TestCase):
    users: dict[str, User]
    section: Section
    author: Author

    @classmethod
    def setUpTestData(cls):
        cls.users = {
            SUPERUSER: make_user("chief", superuser=True),
            EDITOR: make_user("editor", group="Editor"),
            REPORTER: make_user("reporter", group="Reporter"),
            STAFF: make_user("clerk"),  # staff, but in no group: no permission at all
        }
        cls.section = make_section(name="Politics", slug="politics")
        cls.author = make_author(name="Ana Pop", slug="ana-pop")

    def setUp(self):
        SiteSettings(pk=1, language="en").save()

    def client_for(self, role: str) -> Client:
        client = Client()
        if role != ANONYMOUS:
            client.force_login(self.users[role])
        return client

    def assert_login_asked(self, response, what=""):
        assert response.status_code == 302, (what, response.status_code)
        assert response["Location"].startswith(admin_url("login")), what

    def story(self, *, by: str | None = None, **fields) -> Article:
        """A story saved with a revision, created by the given role's user."""
        with reversion.create_revision():
            article = make_article(section=self.section, authors=[self.author], **fields)
            if by:
                article.created_by = self.users[by]
                article.save()
        return article

    def revise(self, article: Article, **fields) -> Version:
        with reversion.create_revision():
            for name, value in fields.items():
                setattr(article, name, value)
            article.save()
        return Version.objects.get_for_object(article).order_by("-pk").first()


class PreviewPermissionTests(RoleTestCase):
    def test_session_preview_of_a_draft(self):
        draft = self.story(status=Article.Status.DRAFT, headline="Secret draft")
        expected = {SUPERUSER: 200, EDITOR: 200, REPORTER: 200, STAFF: 404, ANONYMOUS: 404}
        for role in ROLES:
            response = self.client_for(role).get(draft.get_absolute_url())
            assert response.status_code == expected[role], role
            assert (b"Secret draft" in response.content) == (expected[role] == 200), role

    def test_signed_preview_link_works_for_every_role_and_only_for_its_story(self):
        draft = self.story(status=Article.Status.DRAFT, headline="Secret draft")
        other = self.story(status=Article.Status.DRAFT)
        wrong = f"{other.get_absolute_url()}?{draft.get_preview_url().split('?')[1]}"
        for role in ROLES:
            client = self.client_for(role)
            assert client.get(draft.get_preview_url()).status_code == 200, role
            assert client.get(wrong).status_code == 404, role


class HistoryPermissionTests(RoleTestCase):
    def setUp(self):
        super().setUp()
        self.own = self.story(by=REPORTER, status=Article.Status.DRAFT)
        self.first = Version.objects.get_for_object(self.own).get()
        self.revise(self.own, headline="Second headline")
        self.others = self.story(by=EDITOR)

    def test_history(self):
        expected = {
            SUPERUSER: (200, 200),
            EDITOR: (200, 200),
            REPORTER: (200, 403),  # only the history of stories they created
            STAFF: (403, 403),
        }
        for role in ROLES:
            client = self.client_for(role)
            for article, code in zip(
                [self.own, self.others], expected.get(role, (0, 0)), strict=True
            ):
                response = client.get(admin_url("articles_article_history", article.pk))
                if role == ANONYMOUS:
                    self.assert_login_asked(response, role)
                else:
                    assert response.status_code == code, (role, article.headline)

    def test_revision_view(self):
        url = admin_url("articles_article_revision", self.own.pk, self.first.pk)
        for role in ROLES:
            response = self.client_for(role).get(url)
            if role == ANONYMOUS:
                self.assert_login_asked(response)
            elif role in PUBLISHERS:
                assert response.status_code == 302, role
                assert "/history/compare/?from=" in response["Location"]
            else:
                assert response.status_code == 403, role

    def test_compare(self):
        url = admin_url("articles_article_compare", self.own.pk) + f"?from={self.first.pk}"
        for role in ROLES:
            response = self.client_for(role).get(url)
            if role == ANONYMOUS:
                self.assert_login_asked(response)
            elif role in PUBLISHERS:
                assert response.status_code == 200, role
                assert b"Second headline" in response.content
            else:
                assert response.status_code == 403, role  # reporters too, on their own story

    def test_compare_with_versions_of_another_story_is_404(self):
        foreign = Version.objects.get_for_object(self.others).get()
        client = self.client_for(EDITOR)
        for query in [f"from={foreign.pk}", f"from={self.first.pk}&to={foreign.pk}", "from=x"]:
            url = admin_url("articles_article_compare", self.own.pk) + "?" + query
            assert client.get(url).status_code == 404, query

    def test_restore(self):
        url = admin_url("articles_article_restore", self.own.pk, self.first.pk)
        for role in ROLES:
            response = self.client_for(role).post(url)
            self.own.refresh_from_db()
            if role == ANONYMOUS:
                self.assert_login_asked(response)
            elif role in PUBLISHERS:
                assert response.status_code == 302, role
                assert self.own.headline == self.first.field_dict["headline"]
                self.revise(self.own, headline="Second headline")  # for the next role
                continue
            else:
                assert response.status_code == 403, role
            assert self.own.headline == "Second headline", role

    def test_restore_only_by_post_and_only_versions_of_that_story(self):
        client = self.client_for(EDITOR)
        url = admin_url("articles_article_restore", self.own.pk, self.first.pk)
        assert client.get(url).status_code == 405
        foreign = Version.objects.get_for_object(self.others).get()
        assert (
            client.post(admin_url("articles_article_restore", self.own.pk, foreign.pk)).status_code
            == 404
        )


class RecoverPermissionTests(RoleTestCase):
    def setUp(self):
        super().setUp()
        deleted = self.story(headline="Deleted story", status=Article.Status.DRAFT)
        self.deleted_pk = deleted.pk
        self.version = Version.objects.get_for_object(deleted).get()
        deleted.delete()

    def test_recover_list(self):
        for role in ROLES:
            response = self.client_for(role).get(admin_url("articles_article_recoverlist"))
            if role == ANONYMOUS:
                self.assert_login_asked(response)
            elif role in PUBLISHERS:
                assert response.status_code == 200, role
                assert b"Deleted story" in response.content
            else:
                assert response.status_code == 403, role

    def test_recover(self):
        url = admin_url("articles_article_recover", self.version.pk)
        for role in ROLES:
            client = self.client_for(role)
            response = client.get(url)
            if role == ANONYMOUS:
                self.assert_login_asked(response)
            elif role in PUBLISHERS:
                assert response.status_code == 200, role
            else:
                assert response.status_code == 403, role
            if role not in PUBLISHERS:
                response = client.post(url, {})
                assert response.status_code in (302, 403), role
                assert not Article.objects.filter(pk=self.deleted_pk).exists(), role

    def test_recover_takes_only_versions_of_deleted_stories(self):
        client = self.client_for(SUPERUSER)
        live = self.story(headline="Live story")
        live_version = Version.objects.get_for_object(live).get()
        section_version = None
        with reversion.create_revision():
            section = make_section()
            tagged = make_article(section=section, tags=["budget"])
        section_version = (
            Version.objects.filter(revision__version__object_id=str(tagged.pk))
            .exclude(content_type__model="article")
            .first()
        )
        assert section_version is not None  # a tag or tag link, saved in that revision
        for version_id in [live_version.pk, section_version.pk, 999999]:
            response = client.get(admin_url("articles_article_recover", version_id))
            assert response.status_code == 404, version_id
            response = client.post(admin_url("articles_article_recover", version_id), {})
            assert response.status_code == 404, version_id
        assert Article.objects.get(pk=live.pk).headline == "Live story"


class BulkActionPermissionTests(RoleTestCase):
    def act(self, role: str, action: str, *stories):
        return self.client_for(role).post(
            CHANGELIST, {"action": action, helpers.ACTION_CHECKBOX_NAME: [s.pk for s in stories]}
        )

    def test_publish_now(self):
        for role in ROLES:
            draft = self.story(status=Article.Status.DRAFT)
            response = self.act(role, "publish_now", draft)
            draft.refresh_from_db()
            if role == ANONYMOUS:
                self.assert_login_asked(response)
            elif role == STAFF:
                assert response.status_code == 403
            else:
                assert response.status_code in (200, 302), role
            assert draft.is_published() == (role in PUBLISHERS), role

    def test_unpublish(self):
        for role in ROLES:
            live = self.story()
            response = self.act(role, "unpublish", live)
            live.refresh_from_db()
            if role == ANONYMOUS:
                self.assert_login_asked(response)
            elif role == STAFF:
                assert response.status_code == 403
            assert live.is_published() == (role not in PUBLISHERS), role

    def test_delete_selected(self):
        for role in ROLES:
            draft = self.story(status=Article.Status.DRAFT)
            client = self.client_for(role)
            response = client.post(
                CHANGELIST,
                {
                    "action": "delete_selected",
                    "post": "yes",
                    helpers.ACTION_CHECKBOX_NAME: [draft.pk],
                },
            )
            if role == ANONYMOUS:
                self.assert_login_asked(response)
            exists = Article.objects.filter(pk=draft.pk).exists()
            assert exists == (role not in PUBLISHERS), role

    def test_no_role_can_act_on_a_published_story_it_may_not_edit(self):
        live = self.story(headline="Live headline")
        # A reporter forging the delete action on a published story gets nowhere.
        response = self.client_for(REPORTER).post(
            CHANGELIST,
            {"action": "delete_selected", "post": "yes", helpers.ACTION_CHECKBOX_NAME: [live.pk]},
        )
        assert response.status_code in (200, 302, 403)
        assert Article.objects.filter(pk=live.pk).exists()

    def test_the_actions_are_exactly_these(self):
        # No export or other bulk action exists; a new one must come with its own test here.
        response = self.client_for(SUPERUSER).get(CHANGELIST)
        choices = {
            name for name, _label in response.context["action_form"].fields["action"].choices
        }
        assert choices - {""} == {"delete_selected", "publish_now", "unpublish"}
        response = self.client_for(REPORTER).get(CHANGELIST)
        form = response.context["action_form"]
        choices = {name for name, _label in form.fields["action"].choices} if form else set()
        assert choices - {""} == set()


class AutocompletePermissionTests(RoleTestCase):
    URL = reverse("admin:autocomplete")
    # Sections and wire services are plain lists in the story form; authors and library
    # pictures are searched.
    FIELDS = [
        ("articles", "articleauthor", "author", "Ana Pop"),
        ("articles", "article", "picture", "Flood over the bridge"),
    ]

    def setUp(self):
        super().setUp()
        make_picture(alt="Flood over the bridge")

    def test_each_autocomplete_field(self):
        expected = {SUPERUSER: 200, EDITOR: 200, REPORTER: 200, STAFF: 403}
        for app_label, model_name, field_name, shown in self.FIELDS:
            params = {"app_label": app_label, "model_name": model_name, "field_name": field_name}
            for role in ROLES:
                response = self.client_for(role).get(self.URL, params | {"term": shown[:3]})
                if role == ANONYMOUS:
                    self.assert_login_asked(response)
                    continue
                assert response.status_code == expected[role], (field_name, role)
                if response.status_code == 200:
                    texts = [r["text"] for r in json.loads(response.content)["results"]]
                    assert shown in texts, (field_name, texts)

    def test_odd_parameters_are_refused_not_crashed(self):
        client = self.client_for(EDITOR)
        for params in [
            {},
            {"app_label": "articles"},
            {"app_label": "nope", "model_name": "article", "field_name": "section"},
            {"app_label": "articles", "model_name": "nope", "field_name": "section"},
            {"app_label": "articles", "model_name": "article", "field_name": "headline"},
            {"app_label": "articles", "model_name": "article", "field_name": "nope"},
            {"app_label": "articles", "model_name": "article", "field_name": "created_by"},
            {"app_label": "auth", "model_name": "user", "field_name": "groups"},
            {"app_label": "\x00", "model_name": "\x00", "field_name": "\x00"},
        ]:
            response = client.get(self.URL, params)
            assert response.status_code in (403, 404), (params, response.status_code)
        # The search term reaches the database only as printable text.
        params = {"app_label": "articles", "model_name": "article", "field_name": "section"}
        for term in ["\x00", "Pol\x00", "\x0b", "' OR 1=1 --", "%", "_", "x" * 5000]:
            response = client.get(self.URL, params | {"term": term})
            assert response.status_code == 200, term

    def test_users_and_groups_are_not_listed_to_editors(self):
        # Author.user is a raw id field, but the endpoint would still answer if it were open.
        params = {"app_label": "articles", "model_name": "author", "field_name": "user"}
        for role in [EDITOR, REPORTER, STAFF]:
            response = self.client_for(role).get(self.URL, params | {"term": "chief"})
            assert response.status_code in (403, 404), role
            assert b"chief" not in response.content


# The plain admin pages of every registered model: who may list, add, change and delete.
# A model admin registered later must be added here (test_every_registered_model_is_covered).
ACCESS = {
    # A reporter reads only the history of stories they created (HistoryPermissionTests).
    "articles.article": {
        "view": WRITERS,
        "add": WRITERS,
        "delete": PUBLISHERS,
        "history": PUBLISHERS,
    },
    "articles.section": {"view": WRITERS, "add": PUBLISHERS, "delete": PUBLISHERS},
    # The media library: reporters upload and describe pictures; editors delete them.
    "articles.picture": {"view": WRITERS, "add": WRITERS, "delete": PUBLISHERS},
    "articles.video": {"view": WRITERS, "add": WRITERS, "delete": PUBLISHERS},
    "articles.author": {"view": WRITERS, "add": PUBLISHERS, "delete": {SUPERUSER}},
    "articles.wireservice": {"view": WRITERS, "add": PUBLISHERS, "delete": {SUPERUSER}},
    # The wire desk: agency items are kept as received, never added or deleted by hand.
    "articles.wireitem": {"view": PUBLISHERS, "add": set(), "delete": set()},
    "articles.wiresource": {"view": PUBLISHERS, "add": PUBLISHERS, "delete": PUBLISHERS},
    "taggit.tag": {"view": WRITERS, "add": PUBLISHERS, "delete": PUBLISHERS},
    "chrome.menu": {"view": PUBLISHERS, "add": PUBLISHERS, "delete": PUBLISHERS},
    "chrome.adslot": {"view": PUBLISHERS, "add": PUBLISHERS, "delete": PUBLISHERS},
    "chrome.sitesettings": {"view": PUBLISHERS, "add": set(), "delete": set()},
    "chrome.frontpage": {"view": PUBLISHERS, "add": set(), "delete": set()},
    "chrome.breakingnews": {"view": PUBLISHERS, "add": PUBLISHERS, "delete": PUBLISHERS},
    "pages.page": {"view": PUBLISHERS, "add": PUBLISHERS, "delete": PUBLISHERS},
    "auth.user": {"view": {SUPERUSER}, "add": {SUPERUSER}, "delete": {SUPERUSER}},
    "auth.group": {"view": {SUPERUSER}, "add": {SUPERUSER}, "delete": {SUPERUSER}},
    "axes.accessattempt": {"view": {SUPERUSER}, "add": set(), "delete": {SUPERUSER}},
    "axes.accesslog": {"view": {SUPERUSER}, "add": set(), "delete": {SUPERUSER}},
    "axes.accessfailurelog": {"view": {SUPERUSER}, "add": set(), "delete": {SUPERUSER}},
    # django-tasks-db's record of the work done off the request path (renditions).
    "django_tasks_database.dbtaskresult": {"view": {SUPERUSER}, "add": set(), "delete": set()},
}


class AdminPagesMatrixTests(RoleTestCase):
    def objects(self) -> dict:
        article = make_article(section=self.section, status=Article.Status.DRAFT, tags=["budget"])
        axes_fields = {"user_agent": "x", "ip_address": "10.0.0.1", "username": "editor"}
        axes_fields |= {"http_accept": "*/*", "path_info": "/admin/login/"}
        return {
            "articles.article": article,
            "articles.section": self.section,
            "articles.author": self.author,
            "articles.picture": make_picture(),
            "articles.video": make_video(),
            "articles.wireservice": wire_service("reuters"),
            "articles.wireitem": WireItem.objects.create(
                service=wire_service("reuters"), guid="urn:x", headline="Agency copy"
            ),
            "articles.wiresource": WireSource.objects.create(
                service=wire_service("reuters"), name="Drop", kind="folder", location="/srv/wire"
            ),
            "taggit.tag": article.tags.get(),
            "chrome.menu": Menu.objects.create(name="Main", slug="main"),
            "chrome.adslot": AdSlot.objects.create(
                name="Banner", placement="top", html="<p>Ad</p>"
            ),
            "chrome.sitesettings": SiteSettings.load(),
            "chrome.frontpage": FrontPage.objects.get_or_create(pk=1)[0],
            "chrome.breakingnews": BreakingNews.objects.create(text="Breaking"),
            "pages.page": Page.objects.create(title="About", slug="about", body="<p>Us</p>"),
            "auth.user": self.users[REPORTER],
            "auth.group": Group.objects.get(name="Reporter"),
            "axes.accessattempt": AccessAttempt.objects.create(
                **axes_fields, get_data="", post_data="", failures_since_start=1
            ),
            "axes.accesslog": AccessLog.objects.create(**axes_fields),
            "axes.accessfailurelog": AccessFailureLog.objects.create(**axes_fields),
            "django_tasks_database.dbtaskresult": queued_task(make_picture().pk),
        }

    def test_every_registered_model_is_covered(self):
        registered = {model._meta.label_lower for model in admin.site._registry}
        assert registered == set(ACCESS)

    def test_who_may_open_each_admin_page(self):
        objects = self.objects()
        clients = {role: self.client_for(role) for role in ROLES}
        for label, access in ACCESS.items():
            obj = objects[label]
            info = label.replace(".", "_")
            pages = {
                "changelist": (admin_url(f"{info}_changelist"), access["view"]),
                "add": (admin_url(f"{info}_add"), access["add"]),
                "change": (admin_url(f"{info}_change", obj.pk), access["view"]),
                "history": (
                    admin_url(f"{info}_history", obj.pk),
                    access.get("history", access["view"]),
                ),
                "delete": (admin_url(f"{info}_delete", obj.pk), access["delete"]),
            }
            for page, (url, allowed) in pages.items():
                for role, client in clients.items():
                    response = client.get(url)
                    what = (label, page, role)
                    if role == ANONYMOUS:
                        self.assert_login_asked(response, what)
                    elif role in allowed:
                        assert response.status_code == 200, what
                    else:
                        assert response.status_code == 403, (what, response.status_code)

    def test_view_only_roles_cannot_change_by_forged_post(self):
        client = self.client_for(REPORTER)
        url = admin_url("articles_section_change", self.section.pk)
        response = client.post(url, {"name": "Hijacked", "slug": "hijacked", "position": 0})
        assert response.status_code == 403
        assert Section.objects.get(pk=self.section.pk).name == "Politics"
        url = admin_url("articles_author_change", self.author.pk)
        assert client.post(url, {"name": "X", "slug": "x"}).status_code == 403
        assert Author.objects.get(pk=self.author.pk).name == "Ana Pop"
        response = self.client_for(STAFF).post(
            admin_url("chrome_sitesettings_change", 1), {"city": "Cluj"}
        )
        assert response.status_code == 403
        assert SiteSettings.objects.get(pk=1).city != "Cluj"


class RequestParameterTests(RoleTestCase):
    """Admin filters and ordering come from an allowlist; public pages ignore the rest."""

    def setUp(self):
        super().setUp()
        self.story(headline="Visible story")

    def test_lookups_off_the_allowlist_are_refused(self):
        client = self.client_for(EDITOR)
        for params in [
            {"created_by__password__startswith": "md5"},
            {"modified_by__password__regex": "^p"},
            {"authors__user__password__startswith": "p"},
            {"bylines__author__user__is_superuser": "1"},
            {"headline__regex": "("},  # a field of the model, but not a filter
            {"headline__contains": "x"},
            {"body__icontains": "secret"},
            {"status__exact": "\x00"},
            {"section__id__exact": "\x00"},
            {"_to_field": "created_by"},
            {"_to_field": "body", "_popup": "1"},
        ]:
            response = client.get(CHANGELIST, params)
            assert response.status_code == 400, (params, response.status_code)

    def test_every_changelist_refuses_lookups_that_are_not_its_filters(self):
        client = self.client_for(EDITOR)
        for name in EDITORIAL_CHANGELISTS:
            url = admin_url(f"{name}_changelist")
            assert client.get(url, {"name__regex": "("}).status_code == 400, name
            assert client.get(url, {"pk__gt": "\x00"}).status_code == 400, name
            response = client.get(url, {"q": "a\x00b\x0b"})
            assert response.status_code == 200, name
        adslots = admin_url("chrome_adslot_changelist")
        assert client.get(adslots, {"placement__exact": "top"}).status_code == 200
        assert client.get(adslots, {"placement__exact": "top\x00"}).status_code == 400
        authors = admin_url("articles_author_changelist")
        assert client.get(authors, {"user__isempty": "1"}).status_code == 200

    def test_odd_values_of_allowed_parameters(self):
        client = self.client_for(EDITOR)
        for params in [
            {"o": "99"},
            {"o": "abc"},
            {"o": "-1.2.x"},
            {"o": "1" * 200},
            {"p": "-1"},
            {"p": "abc"},
            {"p": "99999999999999999999"},
            {"q": "\x00"},
            {"q": "' OR 1=1 --"},
            {"q": "a" * 5000},
            {"status": "bogus"},
            {"section__id__exact": "abc"},
            {"wire_service__id__exact": "-1"},
            {"authors__id__exact": "1e9"},
            {"publish_at__year": "abc"},
            {"publish_at__year": "2024", "publish_at__month": "13"},
            {"publish_at__year": "2024", "publish_at__month": "2", "publish_at__day": "30"},
            {"all": "1"},
        ]:
            response = client.get(CHANGELIST, params)
            assert response.status_code in (200, 302), (params, response.status_code)
            if response.status_code == 302:
                assert response["Location"].endswith("?e=1"), params

    def test_public_query_parameters(self):
        for url, code in [
            ("/?page=abc", 200),  # the home page has no pages: the parameter is ignored
            ("/section/politics/?page=0", 404),
            ("/section/politics/?page=-1", 404),
            ("/section/politics/?page=1e3", 404),
            ("/section/politics/?page=NaN", 404),
            ("/section/politics/?page=99999999999999999999999", 404),
            ("/section/politics/?page=1", 200),
            ("/section/politics/?order_by=password&sort=-pk&o=1", 200),
            ("/search/?q=%00", 200),
            ("/search/?q=Visible&page=x", 404),
            ("/search/?q=Visible&sort=headline&order_by=-created_by__password", 200),
        ]:
            response = self.client.get(url)
            assert response.status_code == code, (url, response.status_code)

        # Parameters a view does not read change nothing (the header's clock may tick between).
        def listing(url: str) -> str:
            html = self.client.get(url).content.decode()
            return html[html.index("<main") : html.index("</main>")]

        plain = listing("/section/politics/")
        assert listing("/section/politics/?sort=-pk&o=2&order_by=x") == plain


class TagMergePermissionTests(RoleTestCase):
    """taggit's "merge tags" screen, which checks no permission of its own."""

    URL = reverse("admin:taggit_tag_merge_tags")

    def setUp(self):
        super().setUp()
        self.story = make_article(section=self.section, tags=["flood", "floods"])
        self.ids = ",".join(str(pk) for pk in Tag.objects.values_list("pk", flat=True))

    def choose(self, client: Client, ids: str) -> None:
        session = client.session
        session["selected_tag_ids"] = ids
        session.save()

    def test_merging(self):
        for role in ROLES:
            client = self.client_for(role)
            if role != ANONYMOUS:
                self.choose(client, self.ids)
            response = client.post(self.URL, {"new_tag_name": f"merged-{role}"})
            merged = Tag.objects.filter(name=f"merged-{role}").exists()
            if role == ANONYMOUS:
                self.assert_login_asked(response)
            elif role in PUBLISHERS:
                assert response.status_code == 302, role
                assert set(self.story.tags.names()) == {f"merged-{role}"}
                self.story.tags.set(["flood", "floods"])
                self.ids = ",".join(str(pk) for pk in Tag.objects.values_list("pk", flat=True))
                continue
            else:
                assert response.status_code == 403, role
                assert client.get(self.URL).status_code == 403, role
            assert not merged, role
            assert set(self.story.tags.names()) == {"flood", "floods"}, role

    def test_the_merge_action_is_offered_only_to_those_who_may_merge(self):
        for role, offered in [(SUPERUSER, True), (EDITOR, True), (REPORTER, False)]:
            response = self.client_for(role).get(admin_url("taggit_tag_changelist"))
            form = response.context["action_form"]
            choices = {name for name, _label in form.fields["action"].choices} if form else set()
            assert ("render_tag_form" in choices) == offered, role

    def test_junk_selections_are_refused_cleanly(self):
        client = self.client_for(EDITOR)
        for junk in ["", "abc", "1'--", ",,,", "999999", "\x00"]:
            self.choose(client, junk)
            response = client.post(self.URL, {"new_tag_name": "merged"})
            assert response.status_code == 302, junk
            assert response["Location"] == admin_url("taggit_tag_changelist")
        assert not Tag.objects.filter(name="merged").exists()


class ViewOnSiteTests(RoleTestCase):
    """The admin's "view on site" redirect (/admin/r/<ct>/<pk>/) tells a story's address only
    to those who may see the story in the admin; Django's own checks only is_staff."""

    def url_of(self, obj, object_id=None) -> str:
        content_type = ContentType.objects.get_for_model(obj)
        return admin_url("view_on_site", content_type.pk, object_id or obj.pk)

    def test_unpublished_stories_are_shown_only_to_those_who_may_see_them(self):
        scheduled = self.story(
            headline="Budget leak",
            slug="budget-leak-exclusive",
            publish_at=timezone.now() + timedelta(days=2),
        )
        draft = self.story(status=Article.Status.DRAFT, slug="secret-draft-slug")
        for story in (scheduled, draft):
            for role in ROLES:
                response = self.client_for(role).get(self.url_of(story))
                if role == ANONYMOUS:
                    self.assert_login_asked(response)
                    assert story.slug not in response["Location"]
                elif role in WRITERS:
                    assert response.status_code == 302, role
                    assert response["Location"].endswith(story.get_absolute_url()), role
                else:
                    assert response.status_code == 404, (role, response.status_code)
                    assert story.slug not in response.content.decode(), role

    def test_other_models_follow_their_admin_rights(self):
        menu = Menu.objects.create(name="Main", slug="main")
        expected = {
            # Sections: every writer may see them in the admin; staff without a group may not.
            self.section: {SUPERUSER: 302, EDITOR: 302, REPORTER: 302, STAFF: 404},
            self.author: {SUPERUSER: 302, EDITOR: 302, REPORTER: 302, STAFF: 404},
        }
        for obj, codes in expected.items():
            for role, code in codes.items():
                response = self.client_for(role).get(self.url_of(obj))
                assert response.status_code == code, (obj, role)
        # A model the admin does not show (or one without a page) is nobody's to look up.
        for role in [SUPERUSER, EDITOR, STAFF]:
            client = self.client_for(role)
            assert client.get(self.url_of(menu)).status_code == 404, role
            permission = Permission.objects.first()
            assert client.get(self.url_of(permission)).status_code == 404, role

    def test_odd_addresses_are_404(self):
        client = self.client_for(SUPERUSER)
        article_type = ContentType.objects.get_for_model(Article).pk
        for content_type, object_id in [
            (article_type, "abc"),
            (article_type, "999999"),
            (article_type, "1\x00"),
            (999999, "1"),
        ]:
            response = client.get(admin_url("view_on_site", content_type, object_id))
            assert response.status_code == 404, (content_type, object_id)


class ChangelistDateOverflowTests(RoleTestCase):
    """The date hierarchy with a year, month or day past what a date can hold: 400, not 500."""

    def test_overflowing_dates_are_refused(self):
        self.story(headline="Visible story")
        for role in [SUPERUSER, EDITOR, REPORTER]:
            client = self.client_for(role)
            for params in [
                {"publish_at__year": "99999999999"},
                {"publish_at__year": "2024", "publish_at__month": "99999999999"},
                {"publish_at__year": "2024", "publish_at__month": "2", "publish_at__day": "9" * 11},
                {"publish_at__year": "-99999999999"},
                {"publish_at__year": "9999"},
                {"publish_at__year": "9999", "publish_at__month": "12"},
                {"publish_at__year": "9999", "publish_at__month": "12", "publish_at__day": "31"},
                {"publish_at__year": "1", "publish_at__month": "1", "publish_at__day": "1"},
            ]:
                response = client.get(CHANGELIST, params)
                assert response.status_code in (200, 400), (role, params, response.status_code)
                if response.status_code == 200:  # a year the database can hold: nothing in it
                    assert response.context["cl"].result_count == 0, (role, params)
