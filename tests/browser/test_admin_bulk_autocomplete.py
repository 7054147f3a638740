"""An editor tags quotes in bulk, choosing the theme with the admin's autocomplete."""

import re

import pytest
from api_factories import build_small_corpus
from conftest import WIDE
from django.contrib.auth.models import Group
from django.core.management import call_command

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

PASSWORD = "a-long-test-password"


@pytest.fixture
def small_page(browser, transactional_db, live_server):
    """A page on the live server with the small corpus (quicker to build than the seed)."""
    context = browser.new_context(viewport=WIDE, base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def test_it_chooses_the_theme_of_a_bulk_action_by_typing(small_page, django_user_model):
    page = small_page
    corpus = build_small_corpus()
    call_command("setup_roles", verbosity=0)
    editor = django_user_model.objects.create_user("ed", password=PASSWORD, is_staff=True)
    editor.groups.add(Group.objects.get(name="Editor"))
    quote, pricing = corpus.friends_quote, corpus.pricing
    page.goto("/admin/login/")
    page.fill("#id_username", "ed")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.goto("/admin/kb/quote/")
    page.check(f"input[name=_selected_action][value='{quote.pk}']")
    page.select_option("select[name=action]", "add_theme")
    page.click("button[name=index]")
    page.wait_for_selector("text=Add a theme")
    # select2 replaced the <select>: open it, type, pick the answer of /admin/autocomplete/.
    page.click(".select2-selection")
    page.fill(".select2-search__field", "pric")
    page.click(".select2-results__option >> text=Pricing")
    page.click("input[type=submit][value=Confirm]")
    page.wait_for_url(re.compile(r"/admin/kb/quote/$"))
    assert quote.themes.filter(pk=pricing.pk).exists()
    assert quote.history.order_by("-history_id").first().history_user == editor
