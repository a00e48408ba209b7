"""`python manage.py setup_demo`: what `make run` does between migrating and serving.

In development mode (DEBUG on) only: demo content when there are no stories, menus when there
are none, and on a new database (no users yet) three demo accounts whose logins it prints on
every run.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.text import slugify

from articles.models import Article, Author, Section, live_tag
from newsroom import demo
from newsroom.chrome.models import FrontPageStory, Menu, MenuItem
from newsroom.demo import frontpage, live, rich, translations
from newsroom.pages.models import Page

# username, password, group, the author they write as; the README lists the same logins.
DEMO_ACCOUNTS = [
    ("admin", "admin", None, "Andrei Ionescu"),
    ("editor", "editor", "Editor", "Ioana Marinescu"),
    ("reporter", "reporter", "Reporter", "Mihai Dobre"),
]
# Tags shown under their section in the main menu, where the demo content has them.
MENU_TOPICS = {
    "politica": ("guvern", "parlament", "justitie", "alegeri"),
    "externe": ("ucraina", "republica-moldova", "nato", "uniunea-europeana"),
    "sport": ("superliga", "tenis", "atletism"),
}
# The feeds have their own column in the footer, the site's pages another.
FOOTER_LINKS = [
    ("Căutare", "/search/"),
    ("Harta site-ului", "/sitemap.xml"),
]


class Command(BaseCommand):
    help = (
        "Prepares a development site: demo stories when there are none, menus when there are "
        "none, demo accounts on a new database when DEBUG is on; prints the site's address and "
        "the demo logins."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--articles", type=int, help="Stories to add when there are none (seed_demo's default)."
        )
        parser.add_argument("--seed", type=int, help="Passed on to seed_demo.")
        parser.add_argument("--images", type=int, help="Passed on to seed_demo.")
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/", help="The address `make run` serves."
        )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            self.stdout.write(
                "DEBUG is off: no demo content or accounts in production. Create an "
                "administrator with `python manage.py createsuperuser`."
            )
            self.print_welcome(options["url"])
            return

        verbosity = options["verbosity"]
        if not Article.objects.exists():
            self.stdout.write("No stories yet: adding demo content…")
            seed_options = {"verbosity": verbosity, "stdout": self.stdout, "stderr": self.stderr}
            for name in ("articles", "seed", "images"):
                if options[name] is not None:
                    seed_options[name] = options[name]
            call_command("seed_demo", **seed_options)
            if live.create_live_page():
                self.stdout.write("Added a live page with its updates.")
            promoted = translations.promote_stories()
            if translations.create_translated_story():
                self.stdout.write("Added an English agency story and its Romanian translation.")
            if promoted:
                self.stdout.write(f"Filled the Promovare fields of {promoted} stories.")
            if rich.create_rich_story():
                self.stdout.write("Added a story with a table and embeds.")

        if not Menu.objects.exists():
            create_menus()
            self.stdout.write("Added the main and footer menus.")

        if not Page.objects.exists():
            frontpage.create_site_pages()
            self.stdout.write("Added the site's pages (about, contact, policies).")
        if not FrontPageStory.objects.exists():
            frontpage.curate_front_page()
            self.stdout.write("Curated the front page and set a breaking-news banner.")
        frontpage.store_demo_reading()

        if not get_user_model().objects.exists():
            create_demo_accounts()
            self.stdout.write("Added the demo accounts.")

        self.print_welcome(options["url"])

    def print_welcome(self, url: str) -> None:
        url = url.rstrip("/") + "/"
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Newsroom: {url}   admin: {url}admin/"))
        if not settings.DEBUG:
            return
        usernames = [username for username, *_rest in DEMO_ACCOUNTS]
        existing = set(
            get_user_model()
            .objects.filter(username__in=usernames, is_active=True)
            .values_list("username", flat=True)
        )
        accounts = [account for account in DEMO_ACCOUNTS if account[0] in existing]
        if not accounts:
            return
        self.stdout.write("Demo logins (development only; change or delete them in the admin):")
        for username, password, group, _author in accounts:
            role = f"group {group}" if group else "superuser"
            self.stdout.write(f"  {username:<9} password: {password:<9} ({role})")
        self.stdout.write("")


@transaction.atomic
def create_demo_accounts() -> None:
    """The admin, an editor and a reporter, each writing under their own byline."""
    User = get_user_model()
    for username, password, group, author_name in DEMO_ACCOUNTS:
        first_name, last_name = author_name.split(" ", 1)
        email = f"{username}@example.com"
        if group is None:
            user = User.objects.create_superuser(
                username, email, password, first_name=first_name, last_name=last_name
            )
        else:
            user = User.objects.create_user(
                username,
                email,
                password,
                first_name=first_name,
                last_name=last_name,
                is_staff=True,
            )
            user.groups.add(Group.objects.get(name=group))
        author = Author.objects.filter(slug=slugify(author_name)).first()
        if author is None:
            job_title, bio = next(
                (title, bio) for name, title, _beats, bio in demo.AUTHORS if name == author_name
            )
            author = Author(name=author_name, slug=slugify(author_name), job_title=job_title)
            author.bio = bio
        if author.user_id is None:
            author.user = user
            author.save()


@transaction.atomic
def create_menus() -> None:
    """A main menu of the sections, in their order, with the running topics of some under
    them, and a footer of the site's services."""
    main = Menu.objects.create(name="Meniu principal", slug="main")
    for position, section in enumerate(Section.objects.order_by("position", "name")):
        item = MenuItem.objects.create(
            menu=main, label=section.name, section=section, position=position
        )
        # Only topics with a published story: a tag on drafts alone is not a page yet.
        tags = [tag for slug in MENU_TOPICS.get(section.slug, ()) if (tag := live_tag(slug))]
        for place, tag in enumerate(sorted(tags, key=lambda tag: tag.name)):
            MenuItem.objects.create(menu=main, parent=item, label=tag.name, tag=tag, position=place)
    footer = Menu.objects.create(name="Subsol", slug="footer")
    for position, (label, url) in enumerate(FOOTER_LINKS):
        MenuItem.objects.create(menu=footer, label=label, url=url, position=position)
