from django.contrib.auth.models import Group, Permission, User
from django.test import TestCase
from django.urls import reverse

from tests.factories import make_user


def change_user_form(user: User, **overrides) -> dict:
    data = {
        "username": user.username,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "date_joined_0": "2024-01-01",
        "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2024-01-01",
        "initial-date_joined_1": "00:00:00",
        "groups": [group.pk for group in Group.objects.all()],
        "user_permissions": list(Permission.objects.values_list("pk", flat=True)),
    }
    data.update(overrides)
    return data


class RoleEscalationTests(TestCase):
    """No role but superuser may touch accounts, groups or permissions, even by forged POST."""

    def setUp(self):
        self.reporter = make_user("reporter", group="Reporter")
        self.editor = make_user("editor", group="Editor")
        # Even a staff user handed the auth permissions directly gets nowhere.
        self.clerk = make_user("clerk")
        self.clerk.user_permissions.set(Permission.objects.filter(content_type__app_label="auth"))

    def test_no_role_can_make_itself_superuser(self):
        for user in [self.reporter, self.editor, self.clerk]:
            self.client.force_login(user)
            url = reverse("admin:auth_user_change", args=[user.pk])
            assert self.client.get(url).status_code == 403
            response = self.client.post(url, change_user_form(user))
            assert response.status_code == 403, user.username
            user.refresh_from_db()
            assert not user.is_superuser
            assert user.user_permissions.filter(content_type__app_label="articles").count() == 0

    def test_no_role_can_add_users_or_change_groups(self):
        editor_group = Group.objects.get(name="Editor")
        everything = list(Permission.objects.values_list("pk", flat=True))
        for user in [self.reporter, self.editor, self.clerk]:
            self.client.force_login(user)
            assert self.client.get(reverse("admin:auth_user_changelist")).status_code == 403
            response = self.client.post(
                reverse("admin:auth_user_add"),
                {
                    "username": "intruder",
                    "password1": "Xq9!long-pass",
                    "password2": "Xq9!long-pass",
                },
            )
            assert response.status_code == 403
            response = self.client.post(
                reverse("admin:auth_group_change", args=[editor_group.pk]),
                {"name": "Editor", "permissions": everything},
            )
            assert response.status_code == 403
            response = self.client.post(
                reverse("admin:auth_group_add"), {"name": "Root", "permissions": everything}
            )
            assert response.status_code == 403
            response = self.client.post(
                reverse("admin:auth_user_password_change", args=[self.editor.pk]),
                {"password1": "Xq9!long-pass", "password2": "Xq9!long-pass"},
            )
            assert response.status_code == 403
        assert not User.objects.filter(username="intruder").exists()
        assert not Group.objects.filter(name="Root").exists()
        assert editor_group.permissions.count() < len(everything)

    def test_anonymous_is_sent_to_login(self):
        response = self.client.get(reverse("admin:auth_user_changelist"))
        assert response.status_code == 302
        assert reverse("admin:login") in response.headers["Location"]

    def test_superuser_manages_accounts(self):
        self.client.force_login(make_user("root", superuser=True))
        assert self.client.get(reverse("admin:auth_user_changelist")).status_code == 200
        response = self.client.post(
            reverse("admin:auth_user_change", args=[self.editor.pk]), change_user_form(self.editor)
        )
        assert response.status_code == 302
        self.editor.refresh_from_db()
        assert self.editor.is_superuser
