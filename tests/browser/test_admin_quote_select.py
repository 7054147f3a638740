"""An editor selects words of a passage in the admin with the mouse and saves them as a quote."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from kb.models import Passage, Quote

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

PASSWORD = "a-long-test-password"


def a_passage_with_unquoted_words() -> tuple[Passage, int]:
    """A passage whose first three words (their length returned) are no quote yet."""
    for passage in Passage.objects.public().select_related("source").order_by("pk"):
        match = re.match(r"\s*\S+\s+\S+\s+\S+", passage.text)
        if not match or "\r" in passage.text:
            continue
        words = match.group(0).strip()
        start = passage.start + passage.text.index(words)
        if not Quote.objects.filter(source=passage.source, start=start).exists():
            return passage, len(words)
    raise AssertionError("no passage to quote from")


def test_it_quotes_words_selected_with_the_mouse(page, seeded_server, django_user_model):
    call_command("setup_roles", verbosity=0)
    editor = django_user_model.objects.create_user("ed", password=PASSWORD, is_staff=True)
    editor.groups.add(Group.objects.get(name="Editor"))
    passage, length = a_passage_with_unquoted_words()
    page.goto("/admin/login/")
    page.fill("#id_username", "ed")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.goto(f"/admin/kb/passage/{passage.pk}/change/")
    button = page.locator(".quote-select-button")
    assert button.is_disabled()
    # Where the first character starts and the last selected one ends, on screen.
    box = page.evaluate(
        """(length) => {
            const node = document.querySelector('.quote-select-text').firstChild;
            const lead = node.textContent.length - node.textContent.trimStart().length;
            const range = document.createRange();
            range.setStart(node, lead); range.setEnd(node, lead + 1);
            const a = range.getBoundingClientRect();
            range.setStart(node, lead + length - 1); range.setEnd(node, lead + length);
            const b = range.getBoundingClientRect();
            return {x1: a.left + 1, y1: a.top + a.height / 2, x2: b.right - 1, y2: b.top + b.height / 2};
        }""",
        length,
    )
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move(box["x2"], box["y2"], steps=5)
    page.mouse.up()
    assert button.is_enabled()
    button.click()
    page.wait_for_url(re.compile(r"/admin/kb/quote/add/"))
    text = page.input_value("#id_text")
    start = int(page.input_value("#id_start"))
    end = int(page.input_value("#id_end"))
    assert text == passage.source.text[start:end]
    assert len(text) == length and passage.contains(start, end)
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/kb/quote/$"))
    quote = Quote.objects.get(source=passage.source, start=start, end=end)
    assert quote.text == text and quote.passage_id == passage.pk
    assert quote.status == "draft"
    assert quote.history.first().history_user == editor
