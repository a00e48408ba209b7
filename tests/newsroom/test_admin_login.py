"""Where a successful admin login leads: the `next` it was given if that is a page of this site,
else the admin's index (never Django's /accounts/profile/, a 404 here)."""

from django.test import TestCase
from django.urls import reverse

from tests.factories import make_user

LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")


class LoginRedirectTests(TestCase):
    def setUp(self):
        make_user("editor", group="Editor", password="right-password")

    def login(self, query: str = "", **data):
        return self.client.post(
            LOGIN + query, {"username": "editor", "password": "right-password", **data}
        )

    def assert_lands_on(self, response, where: str) -> None:
        assert response.status_code == 302
        assert response["Location"] == where
        assert self.client.get(response["Location"]).status_code == 200
        self.client.logout()

    def test_a_usable_next_is_followed(self):
        changelist = reverse("admin:articles_article_changelist")
        self.assert_lands_on(self.login(next=changelist), changelist)
        self.assert_lands_on(self.login(f"?next={changelist}"), changelist)

    def test_an_unusable_next_leads_to_the_admin_index(self):
        for bad in [
            "/admin/nowhere/",
            "/nowhere/at/all/",
            "https://evil.example/admin/",
            "//evil.example/",
            "javascript:alert(1)",
            "/admin/login/",
            "",
        ]:
            self.assert_lands_on(self.login(next=bad), INDEX)
            self.assert_lands_on(self.login("?next=" + bad), INDEX)
            self.assert_lands_on(self.login("?next=/nowhere/", next=bad), INDEX)

    def test_no_next_at_all_leads_to_the_admin_index(self):
        self.assert_lands_on(self.login(), INDEX)

    def test_the_login_page_carries_only_a_usable_next(self):
        response = self.client.get(LOGIN, {"next": "/nowhere/"})
        assert response.context["next"] == INDEX
        assert f'name="next" value="{INDEX}"' in response.content.decode()
