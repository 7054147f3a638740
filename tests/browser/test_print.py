"""Printing a source: the stylesheet's print rules, as chromium applies them.

A reader prints a source to quote it on paper: the site's navigation, footer, filters and
buttons are left out, and the source's text and its original address are printed.
"""

import pytest

from kb.models import Source

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

HIDDEN_IN_PRINT = [".site-header", ".site-footer", "nav"]


def shown(page, selector: str) -> bool:
    return page.eval_on_selector(
        selector, "el => getComputedStyle(el).display !== 'none' && el.offsetHeight > 0"
    )


def test_a_printed_source_leaves_out_the_navigation_and_keeps_the_text(page):
    source = Source.objects.order_by("pk").first()
    source.url = "https://example.com/the-original"
    source.save()  # the seeded sources have no address: this one is printed after its link
    page.goto(source.get_absolute_url())
    for selector in HIDDEN_IN_PRINT:
        assert shown(page, selector), f"{selector} is not on the screen page"

    page.emulate_media(media="print")
    for selector in HIDDEN_IN_PRINT:
        assert not shown(page, selector), f"{selector} is printed"
    assert shown(page, "h1")
    first = source.passages.filter(is_boilerplate=False).order_by("number").first()
    assert shown(page, f"#p-{first.number}")
    # The original's address is printed after its link, where paper cannot follow it.
    link = page.locator(f'.source .meta-list dd a[href="{source.url}"]')
    after = link.evaluate("el => getComputedStyle(el, '::after').content")
    assert source.url in after

    page.emulate_media(media="screen")
    assert shown(page, ".site-header")
