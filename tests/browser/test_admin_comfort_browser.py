"""Curation comfort (issue #20) in a real browser: the admin pages touched fit 1280 and
375 px with no sideways scrolling and pass axe; an editor quotes and claims by selecting
words (widened to whole words); a reviewer goes from the queue to the bulk review page."""

import re

import pytest
from conftest import NARROW, WIDE
from django.contrib.auth.models import Group
from django.core.management import call_command

from kb.models import Claim, Passage, Principle, Quote, Source, Status

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

PASSWORD = "a-long-test-password"
SERIOUS = {"serious", "critical"}


def log_in(page, django_user_model, name, role=None):
    if role is None:
        django_user_model.objects.create_superuser(name, password=PASSWORD)
    else:
        call_command("setup_roles", verbosity=0)
        user = django_user_model.objects.create_user(name, password=PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name=role))
    page.goto("/admin/login/")
    page.fill("#id_username", name)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))


def a_passage_to_select_in() -> tuple[Passage, str]:
    """A public passage (no "\\r") whose 2nd to 4th words are no quote yet, and those words."""
    for passage in Passage.objects.public().select_related("source").order_by("pk"):
        match = re.match(r"\s*\S+\s+([A-Za-z]+\s+[A-Za-z]+\s+[A-Za-z]+)\b", passage.text)
        if not match or "\r" in passage.text:
            continue
        start = passage.start + match.start(1)
        if not Quote.objects.filter(source=passage.source, start=start).exists():
            return passage, match.group(1)
    raise AssertionError("no passage to select in")


SELECT = """([selector, words, cutStart, cutEnd]) => {
    const block = document.querySelector(selector);
    const node = block.querySelector('.kb-select-text').firstChild;
    const at = node.textContent.indexOf(words);
    const range = document.createRange();
    range.setStart(node, at + cutStart);
    range.setEnd(node, at + words.length - cutEnd);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
}"""


def select_cut_words(page, passage, words):
    """Select ``words`` in ``passage`` on the page, one character short at each end."""
    page.evaluate(SELECT, [f'.kb-select-passage[data-passage="{passage.pk}"]', words, 1, 1])


def touched_pages():
    source = Quote.objects.filter(status=Status.DRAFT).values_list("source", flat=True).first()
    principle = Principle.objects.filter(claims__isnull=False).order_by("pk").first()
    quote = Quote.objects.order_by("pk").first()
    return {
        "dashboard": "/admin/",
        "quote-list": "/admin/kb/quote/",
        "quote-change": f"/admin/kb/quote/{quote.pk}/change/",
        "principle-change": f"/admin/kb/principle/{principle.pk}/change/",
        "principle-history": f"/admin/kb/principle/{principle.pk}/history/",
        "source-change": f"/admin/kb/source/{Source.objects.order_by('pk').first().pk}/change/",
        "passage-change": f"/admin/kb/passage/{Passage.objects.order_by('pk').first().pk}/change/",
        "claim-add": "/admin/kb/claim/add/",
        "review": f"/admin/kb/quote/review/{source}/",
    }


def test_the_touched_admin_pages_fit_and_pass_axe(page, django_user_model, screenshots):
    from axe_playwright_python.sync_playwright import Axe

    log_in(page, django_user_model, "boss")
    axe = Axe()
    problems, too_wide = [], []
    for name, url in touched_pages().items():
        for label, viewport in (("1280", WIDE), ("375", NARROW)):
            page.set_viewport_size(viewport)
            page.goto(url, wait_until="networkidle")  # select2 set up, named
            page.screenshot(path=str(screenshots / f"admin-{name}-{label}.png"))
            width, inner = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            if width > inner:
                too_wide.append(f"{url} is {width}px wide at {label}px")
            for violation in axe.run(page).response["violations"]:
                if violation["impact"] in SERIOUS:
                    targets = [node["target"] for node in violation["nodes"]][:3]
                    problems.append(
                        f"{url} @{label}: {violation['id']} ({violation['impact']}) {targets}"
                    )
    assert not too_wide, "\n".join(too_wide)
    assert not problems, "axe-core found serious problems:\n" + "\n".join(problems)


def test_an_editor_quotes_and_claims_by_selecting_words(page, django_user_model):
    passage, words = a_passage_to_select_in()
    principle = Principle.objects.create(title="Spend on what users touch", status=Status.DRAFT)
    log_in(page, django_user_model, "ed", role="Editor")
    page.goto(f"/admin/kb/source/{passage.source_id}/change/")
    quote_button = page.locator(".kb-select-quote")
    assert quote_button.is_disabled()
    select_cut_words(page, passage, words)
    status = page.locator(".kb-select[data-source] .kb-select-status")
    # Cut inside the first and the last word: widened, and the editor sees the words.
    assert status.inner_text().startswith("Widened to whole words: “" + words + "”")
    quote_button.click()
    page.wait_for_url(re.compile(r"/admin/kb/quote/add/"))
    start, end = int(page.input_value("#id_start")), int(page.input_value("#id_end"))
    assert page.input_value("#id_text") == words == passage.source.text[start:end]
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/kb/quote/$"))
    quote = Quote.objects.get(source=passage.source, start=start, end=end)
    assert quote.status == Status.DRAFT and quote.passage_id == passage.pk

    # The same words as a claim's evidence, for the principle chosen on the source page.
    page.goto(f"/admin/kb/source/{passage.source_id}/change/")
    select_cut_words(page, passage, words)
    page.select_option(".kb-select-principle", str(principle.pk))
    page.locator(".kb-select-claim").click()
    page.wait_for_url(re.compile(r"/admin/kb/claim/add/"))
    page.fill("#id_text", "Lei Jun spends on what users touch.")
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/kb/claim/$"))
    claim = Claim.objects.get(principle=principle)
    assert (claim.passage_id, claim.start, claim.end) == (passage.pk, start, end)
    assert claim.evidence_text == words

    # Submit the principle for review: the editor is offered no "Published".
    page.goto(f"/admin/kb/principle/{principle.pk}/change/")
    options = page.eval_on_selector_all("#id_status option", "os => os.map(o => o.value)")
    assert Status.PUBLISHED not in options and Status.REVIEW in options
    page.select_option("#id_status", Status.REVIEW)
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/kb/principle/$"))
    assert Principle.objects.get(pk=principle.pk).status == Status.REVIEW
    page.goto("/admin/")
    assert "Spend on what users touch" in page.locator("#kb-review-principles").inner_text()


def test_an_editor_fills_a_claim_row_with_the_evidence_picker(page, django_user_model):
    passage, words = a_passage_to_select_in()
    principle = Principle.objects.create(title="Picked evidence", status=Status.DRAFT)
    log_in(page, django_user_model, "ed", role="Editor")
    page.goto(f"/admin/kb/principle/{principle.pk}/change/")
    page.select_option(".kb-picker-source", str(passage.source_id))
    page.wait_for_selector(f'.kb-picker-passages .kb-select-passage[data-passage="{passage.pk}"]')
    page.evaluate(
        SELECT,
        [f'.kb-picker-passages .kb-select-passage[data-passage="{passage.pk}"]', words, 1, 0],
    )
    page.locator(".kb-picker-use").click()
    row = page.locator(".inline-related.tabular tr.form-row:not(.empty-form)").first
    assert "“" + words + "”" in row.locator("td.field-evidence").inner_text()
    row.locator("td.field-text textarea").fill("Picked by selection.")
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/kb/principle/$"))
    claim = Claim.objects.get(principle=principle)
    assert claim.evidence_text == words and claim.passage_id == passage.pk


def test_a_reviewer_goes_from_the_queue_to_bulk_review(page, django_user_model):
    source = Source.objects.filter(quotes__status=Status.DRAFT).order_by("-created").first()
    if source is None:
        pytest.skip("the seed corpus has no candidate quote")
    candidates = list(
        Quote.objects.filter(source=source, status__in=[Status.DRAFT, Status.REVIEW]).order_by(
            "start"
        )[:2]
    )
    assert len(candidates) == 2, "needs two candidates"
    log_in(page, django_user_model, "rev", role="Reviewer")
    link = page.locator(f'#kb-recent-imports a[href="/admin/kb/quote/review/{source.pk}/"]')
    if not link.count():  # older than the recent imports: the quote list leads there too
        page.goto(f"/admin/kb/quote/review/{source.pk}/")
    else:
        link.click()
    page.wait_for_url(re.compile(rf"/admin/kb/quote/review/{source.pk}/$"))
    page.keyboard.press("j")
    page.keyboard.press("p")  # the first: publish, and move to the second
    page.keyboard.press("r")  # the second: reject
    page.click("#kb-review-form input[type=submit]")
    page.wait_for_url(re.compile(rf"/admin/kb/quote/review/{source.pk}/$"))
    assert "1 published, 1 rejected." in page.locator(".messagelist").inner_text()
    assert Quote.objects.get(pk=candidates[0].pk).status == Status.PUBLISHED
    assert Quote.objects.get(pk=candidates[1].pk).status == Status.REJECTED
