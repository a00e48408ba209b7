"""The Romanian admin: every page an editor may open, as each role, with no English left over
from Django, its contrib apps or the packages we use, and months written in lower case."""

import re
from datetime import timedelta
from html import unescape

from axes.models import AccessFailureLog
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.utils import quote
from django.test import RequestFactory, TestCase
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from articles.models import Article, Correction, Section
from newsroom.chrome.models import AdSlot, Menu, MenuItem, SiteSettings
from tests.factories import make_article, make_author, make_section, make_user, wire_service
from tests.helpers import form_data, queued_task

# What Django's admin, its contrib apps and our packages print when a string has no Romanian
# translation: each is a phrase an editor would otherwise meet on some page.
ENGLISH = [
    "Django",
    "True",
    "False",
    "Please correct",
    "Select an option",
    "Show counts",
    "Hide counts",
    "Filter by",
    "Filter",
    "Recover deleted",
    "Recover",
    "Enter times",
    "You are",
    "hours behind",
    "hours ahead",
    "Run",
    "Go",
    "Save",
    "Delete",
    "History",
    "Home",
    "View site",
    "Log out",
    "Change password",
    "Add another",
    "Currently",
    "Change:",
    "Clear",
    "Today",
    "Now",
    "Choose",
    "Search",
    "Action",
    "Actions",
    "selected",
    "Recent actions",
    "My actions",
    "None available",
    "Skip to main content",
    "Toggle",
    "Toggle navigation",
    "Toggle theme",
    "Start typing to filter",
    "Breadcrumbs",
    "Yes",
    "No",
    "Unknown",
    "All",
    "Any date",
    "Past 7 days",
    "This month",
    "This year",
    "Has date",
    "No date",
    "Empty",
    "Not empty",
    "Date/time",
    "User",
    "Comment",
    "Object",
    "Name",
    "Slug",
    "Tags",
    "Tag",
    "Taggit",
    "TAGGIT",
    "Tagged",
    "Merge",
    "Revert",
    "Reversion",
    "Access attempts",
    "Access logs",
    "Access failures",
    "Axes",
    "Section",
    "Article",
    "Articles",
    "Author",
    "Headline",
    "Status",
    "Publish at",
    "Updated at",
    "Preview",
    "Changed",
    "Added",
    "Deleted",
    "Paragraph",
    "Bold",
    "Italic",
    "Undo",
    "Redo",
    "Blockquote",
    "Heading",
    "Fullscreen",
    "Unlink",
    "Task results",
    "Tasks",
    "Show all",
    "Show",
    "Hide",
    "results",
    "Are you sure",
    "Summary",
    "Objects",
    "Click",
    "Time",
    "Midnight",
    "Noon",
    "Cancel",
    "Required",
    "Close",
    "Remove",
    "Chosen",
    "Available",
    "Password",
    "Username",
    "Welcome",
    "Documentation",
    "Correction",
    "Locked Out",
]
ENGLISH_WORDS = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, ENGLISH)) + r")(?![\w-])")
# Django's Romanian catalog capitalises month names; Romanian writes them in lower case.
MONTHS = [
    "Ianuarie",
    "Februarie",
    "Martie",
    "Aprilie",
    "Mai",
    "Iunie",
    "Iulie",
    "August",
    "Septembrie",
    "Octombrie",
    "Noiembrie",
    "Decembrie",
    "Ian",
    "Feb",
    "Mar",
    "Apr",
    "Iun",
    "Iul",
    "Aug",
    "Sep",
    "Oct",
    "Noi",
    "Dec",
]
CAPITALISED_MONTH = re.compile(r"\d{1,2}\.? (?:" + "|".join(MONTHS) + r")\b")
# Words a reader sees that are not in the page's text: hints, labels and buttons.
HINTS = re.compile(r'\b(?:title|placeholder|aria-label|alt)="([^"]*)"')
SUBMIT_VALUES = re.compile(r'<input[^>]*type="(?:submit|button)"[^>]*value="([^"]*)"')


def words_on(html: str) -> str:
    """What an editor reads on the page: its text, and the hints and labels of its controls."""
    # Scripts and styles are not read; the options of a time-zone list are place names.
    shown = re.sub(r"<(script|style|template)\b.*?</\1>", " ", html, flags=re.S)
    shown = re.sub(r'<select name="time_zone".*?</select>', " ", shown, flags=re.S)
    hints = HINTS.findall(shown) + SUBMIT_VALUES.findall(shown)
    text = re.sub(r"<[^>]+>", " ", shown)
    return re.sub(r"\s+", " ", unescape(" ".join([text, *hints])))


def english_on(html: str) -> list[str]:
    found = {match.group(0) for match in ENGLISH_WORDS.finditer(words_on(html))}
    found |= {match.group(0) for match in CAPITALISED_MONTH.finditer(words_on(html))}
    return sorted(found)


def admin_url(model, page: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


class RomanianAdminTests(TestCase):
    story: Article
    draft: Article

    @classmethod
    def setUpTestData(cls):
        SiteSettings.load()
        cls.users = {
            "superuser": make_user("sef", superuser=True),
            "editor": make_user("redactor", group="Editor"),
            "reporter": make_user("reporter", group="Reporter"),
        }
        section = make_section(name="Politică", slug="politica")
        author = make_author(name="Ana Pop", slug="ana-pop")
        cls.story = make_article(
            headline="Consiliul s-a întrunit",
            slug="consiliul-s-a-intrunit",
            section=section,
            authors=[author],
            tags=["alegeri"],
            wire_service=wire_service(),
            wire_attribution=Article.Attribution.ACCORDING_TO,
            publish_at=timezone.now() - timedelta(days=3),
            updated_at=timezone.now() - timedelta(days=1),
        )
        Correction.objects.create(article=cls.story, text="Numele primarului era greșit.")
        cls.draft = make_article(
            headline="Ciornă despre buget",
            slug="ciorna-despre-buget",
            status=Article.Status.DRAFT,
            publish_at=None,
            section=section,
            created_by=cls.users["reporter"],
        )
        menu = Menu.objects.create(name="Principal", slug="main")
        MenuItem.objects.create(menu=menu, label="Politică", section=section)
        AdSlot.objects.create(name="Reclamă", placement=AdSlot.Placement.TOP, html="<p>Ad</p>")
        AccessFailureLog.objects.get_or_create(
            username="nimeni", ip_address="127.0.0.1", user_agent="test", http_accept="*/*"
        )
        queued_task()

    def pages_for(self, user) -> list[str]:
        request = RequestFactory().get("/")
        request.user = user
        urls = [reverse("admin:index"), reverse("admin:password_change")]
        apps = set()
        for model, model_admin in admin.site._registry.items():
            if not model_admin.has_module_permission(request):
                continue
            apps.add(model._meta.app_label)
            obj = model._default_manager.first()
            if model_admin.has_view_or_change_permission(request):
                urls.append(admin_url(model, "changelist"))
            if model_admin.has_add_permission(request):
                urls.append(admin_url(model, "add"))
            if obj is not None and model_admin.has_view_or_change_permission(request, obj):
                urls.append(admin_url(model, "change", quote(obj.pk)))
                urls.append(admin_url(model, "history", quote(obj.pk)))
            if obj is not None and model_admin.has_delete_permission(request, obj):
                urls.append(admin_url(model, "delete", quote(obj.pk)))
        urls += [reverse("admin:app_list", args=[app]) for app in sorted(apps)]
        if user.has_perm("articles.publish_article"):
            version = Version.objects.get_for_object(self.story).first()
            compare = admin_url(Article, "compare", self.story.pk)
            urls += [
                admin_url(Article, "recoverlist"),
                f"{compare}?from={version.pk}" if version else compare,
                admin_url(Article, "changelist") + "?status=scheduled",
            ]
        urls.append(admin_url(Article, "change", self.draft.pk))
        urls.append(admin_url(Article, "changelist") + "?q=zzz")
        urls.append(reverse("two-factor"))
        return urls

    def test_every_admin_page_is_romanian_for_every_role(self):
        found = {}
        for role, user in self.users.items():
            self.client.force_login(user)
            for url in self.pages_for(user):
                response = self.client.get(url)
                if response.status_code != 200:
                    continue
                english = english_on(response.content.decode())
                if english:
                    found[f"{role} {url}"] = english
        assert found == {}

    def test_a_refused_form_and_its_messages_are_romanian(self):
        self.client.force_login(self.users["editor"])
        add = admin_url(Article, "add")
        data = form_data(self.client.get(add)) | {"headline": "", "body": ""}
        response = self.client.post(add, data)
        assert response.status_code == 200
        assert english_on(response.content.decode()) == []

    def test_the_login_page_is_romanian_and_carries_the_site_name(self):
        response = self.client.get(reverse("admin:login"))
        html = response.content.decode()
        assert english_on(html) == []
        assert "Django" not in html

    def test_the_history_names_changed_fields_in_romanian(self):
        self.client.force_login(self.users["editor"])
        change = admin_url(Article, "change", self.story.pk)
        data = form_data(self.client.get(change)) | {"headline": "Consiliul s-a întrunit azi"}
        assert self.client.post(change, data).status_code == 302
        story_history = self.client.get(admin_url(Article, "history", self.story.pk))
        assert "S-au schimbat titlu" in words_on(story_history.content.decode())
        # Django's own history page, for the other models.
        section = self.story.section
        LogEntry.objects.log_actions(
            self.users["editor"].pk,
            [section],
            CHANGE,
            change_message='[{"changed": {"fields": ["Name", "Show on home page"]}}]',
            single_object=True,
        )
        section_history = self.client.get(admin_url(Section, "history", section.pk))
        text = words_on(section_history.content.decode())
        assert "S-au schimbat nume și afișează pe prima pagină." in text, text
        for response in (story_history, section_history):
            assert english_on(response.content.decode()) == []
