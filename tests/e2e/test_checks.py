"""The journeys' checks can fail: a page with a script error, a dialog or an inaccessible form
is caught, and the accepted axe findings stay as narrow as they say."""

from types import SimpleNamespace

import pytest

from tests.e2e.browsing import Tab

SITE = SimpleNamespace(url="http://127.0.0.1:9")


@pytest.fixture
def tab(browser):
    context = browser.new_context()
    yield Tab(context.new_page(), SITE)
    context.close()


def show(tab: Tab, body: str, path: str = "/") -> None:
    """Load a page made of `body` at `path` of the (pretend) site."""
    html = f"<!doctype html><html lang='ro'><title>Pagina</title><main>{body}</main>"
    tab.page.route(
        SITE.url + path, lambda route: route.fulfill(body=html, content_type="text/html")
    )
    tab.page.goto(SITE.url + path)


def test_a_clean_page_passes(tab):
    show(tab, "<h1>Știri</h1><label for=q>Caută</label><input id=q>")
    tab.audit()


def test_an_uncaught_error_fails(tab):
    show(tab, "<h1>Știri</h1><script>null.boom()</script>")
    with pytest.raises(AssertionError, match="uncaught error"):
        tab.audit()


def test_a_console_error_fails(tab):
    show(tab, "<h1>Știri</h1><script>console.error('lost')</script>")
    with pytest.raises(AssertionError, match="console error .*lost"):
        tab.audit()


def test_a_dialog_fails(tab):
    show(tab, "<h1>Știri</h1><script>alert('hi')</script>")
    with pytest.raises(AssertionError, match="alert dialog .*hi"):
        tab.audit()


def test_a_serious_axe_finding_fails(tab):
    show(tab, "<h1>Știri</h1><input id=q>")
    with pytest.raises(AssertionError, match="critical label"):
        tab.audit()


def test_admin_exclusions_hold_only_on_admin_pages(tab):
    # Django's tabular inline cell, unlabelled: accepted in the admin, not elsewhere.
    cell = "<h1>Știri</h1><table class=tabular><tr><td class=field-position><input></table>"
    show(tab, cell, "/section/x/")
    with pytest.raises(AssertionError, match="critical label"):
        tab.audit()
    show(tab, cell, "/admin/articles/article/1/change/")
    tab.audit()
    # …and only on the elements they name.
    show(tab, "<h1>Știri</h1><input>", "/admin/articles/article/1/change/")
    with pytest.raises(AssertionError, match="critical label"):
        tab.audit()
