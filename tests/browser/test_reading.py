"""A reader's path through the site in a real browser, axe-core on every page type, and
screenshots at desktop and phone widths (artifacts/screenshots/, not committed)."""

import re

import pytest
from conftest import NARROW, WIDE

from kb.models import Person, Principle, Quote, Source, Theme

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

SERIOUS = ("serious", "critical")


def page_types() -> dict[str, str]:
    quote = Quote.objects.published().order_by("pk").first()
    source = Source.objects.order_by("pk").first()
    return {
        "home": "/",
        "source-list": "/sources/",
        "source-detail": source.get_absolute_url(),
        "passage": f"{source.get_absolute_url()}p/{quote.passage.number}/",
        "quote-list": "/quotes/?theme=focus",
        "quote-list-invalid": "/quotes/?year=abc",
        "quote-detail": quote.get_absolute_url(),
        "theme-list": "/themes/",
        "theme-detail": Theme.objects.order_by("pk").first().get_absolute_url(),
        "principle-list": "/principles/",
        "principle-detail": Principle.objects.published().first().get_absolute_url(),
        "person-list": "/people/",
        "person-detail": Person.objects.get(slug="lei-jun").get_absolute_url(),
        "not-found": "/no/such/page/",
    }


def in_viewport(page, selector: str) -> bool:
    return page.eval_on_selector(
        selector,
        """el => { const r = el.getBoundingClientRect();
                   return r.top >= 0 && r.top < window.innerHeight && r.bottom > 0; }""",
    )


def test_a_reader_filters_opens_a_quote_and_reads_it_in_its_source(page):
    page.goto("/")
    assert page.locator("h1").inner_text() == "Lei Jun, in his own words"
    # The stylesheet is served and applied.
    background = page.eval_on_selector("body", "el => getComputedStyle(el).backgroundColor")
    assert background == "rgb(253, 252, 250)"

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Quotes").click()
    page.wait_for_url("**/quotes/")
    page.get_by_role("checkbox", name="Focus", exact=True).check()
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"/quotes/\?.*theme=focus"))
    assert page.locator(".chips").get_by_text("Themes: Focus").is_visible()
    cards = page.locator("article.quote-card")
    assert cards.count() > 0
    assert all("Focus" in cards.nth(i).inner_text() for i in range(cards.count()))

    cards.first.locator(".quote-text a").click()
    page.wait_for_url(re.compile(r"/quotes/\d+/$"))
    quote_text = page.locator("blockquote.quote-large").inner_text().strip("“” \n")
    read = page.get_by_role("link", name=re.compile(r"Read ¶ \d+ in the whole source"))
    number = re.search(r"¶ (\d+)", read.inner_text()).group(1)
    read.click()
    page.wait_for_url(re.compile(rf"/sources/[\w-]+/#p-{number}$"))
    assert page.url.endswith(f"#p-{number}")
    passage = f"#p-{number}"
    page.wait_for_function(
        """sel => { const r = document.querySelector(sel).getBoundingClientRect();
                    return r.top >= 0 && r.top < window.innerHeight; }""",
        arg=passage,
    )
    assert in_viewport(page, passage)
    marks = page.locator(f"{passage} mark")
    assert any(quote_text in marks.nth(i).inner_text() for i in range(marks.count()))
    # :target styles the passage the link points at.
    assert page.eval_on_selector(passage, "el => el.matches(':target')")


def test_the_copy_button_copies_the_citation(page):
    quote = Quote.objects.published().order_by("pk").first()
    page.goto(quote.get_absolute_url())
    for key in ("apa", "bibtex"):
        button = page.locator(f'button.copy[data-copy="cite-{key}"]')
        assert button.is_visible()
        button.click()
        expected = page.locator(f"#cite-{key}").inner_text().strip()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == expected
        # The paragraph is in it: "Para. n." in APA, "¶ n" in BibTeX's note.
        assert f"{'Para.' if key == 'apa' else '¶'} {quote.passage.number}" in copied
    page.get_by_role("status").filter(has_text="copied").wait_for(state="attached")


def test_the_citations_are_readable_without_javascript(browser, seeded_server):
    context = browser.new_context(java_script_enabled=False, base_url=seeded_server.url)
    try:
        page = context.new_page()
        quote = Quote.objects.published().order_by("pk").first()
        page.goto(quote.get_absolute_url())
        assert page.locator("#cite-apa").is_visible()
        assert page.locator("#cite-csl-json").is_visible()
        assert not page.locator("button.copy").first.is_visible()
    finally:
        context.close()


def test_the_skip_link_appears_on_focus_and_focus_is_visible(page):
    page.goto("/quotes/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    assert page.evaluate("document.activeElement.className") == "skip"
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0
    outline = page.eval_on_selector("a.skip", "el => getComputedStyle(el).outlineStyle")
    assert outline != "none"
    skip.press("Enter")
    assert page.url.endswith("#main")


def test_every_page_type_passes_axe_and_is_photographed(page, screenshots):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems = []
    for name, url in page_types().items():
        for label, viewport in (("1280", WIDE), ("375", NARROW)):
            page.set_viewport_size(viewport)
            page.goto(url)
            page.screenshot(path=str(screenshots / f"{name}-{label}.png"), full_page=True)
            if label == "375":
                # Nothing wider than a phone's screen (no sideways scrolling).
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= viewport["width"], f"{url} is {width}px wide at 375px"
        results = axe.run(page)
        for violation in results.response["violations"]:
            if violation["impact"] in SERIOUS:
                targets = [node["target"] for node in violation["nodes"]][:3]
                problems.append(f"{url}: {violation['id']} ({violation['impact']}) {targets}")
    assert not problems, "axe-core found serious problems:\n" + "\n".join(problems)


def test_a_source_prints_without_the_site_chrome(page, screenshots):
    source = Source.objects.order_by("pk").first()
    page.goto(source.get_absolute_url())
    page.emulate_media(media="print")
    for hidden in (".site-header", ".site-footer", "a.skip", "p.help", "details.boilerplate"):
        locator = page.locator(hidden).first
        assert locator.count() == 0 or not locator.is_visible(), hidden
    assert page.locator("h1").is_visible()
    assert page.locator(".passage:not(.is-boilerplate)").first.is_visible()
    background = page.eval_on_selector("body", "el => getComputedStyle(el).backgroundColor")
    assert background == "rgb(255, 255, 255)"
    page.pdf(path=str(screenshots / "source-detail-print.pdf"))
    quote = Quote.objects.published().order_by("pk").first()
    page.goto(quote.get_absolute_url())
    assert page.locator("#cite-apa").is_visible()
    assert not page.locator("button.copy").first.is_visible()
