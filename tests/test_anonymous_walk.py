"""An anonymous reader walks the whole public site: every page reachable by links, the feeds,
the sitemap, the exports and every API endpoint. Drafts, boilerplate and revision history
never show, and asking for them directly is a 404.
"""

import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from api_factories import PATHS
from django.test import Client
from factories import small_corpus_fixture

small_corpus = small_corpus_fixture

HREF = re.compile(r"""(?:href|src)="([^"]+)\"""")
# Pages a walk must not wander into: the admin, the API's HTML docs and static files.
SKIP = ("/admin/", "/static/", "/api/docs/", "/api/schema/")
MAX_PAGES = 400


def secrets_of(corpus) -> list[str]:
    """Strings that only a draft, a boilerplate passage or the history could put on a page."""
    draft, principle, chrome = corpus.q_draft, corpus.draft_principle, corpus.p_chrome
    return [
        f"/quotes/{draft.pk}/",
        f"/api/quotes/{draft.pk}/",
        f'"id": {draft.pk}, "text": "{draft.text}',
        principle.slug,
        principle.title,
        "Users are heard.",  # the draft principle's claim
        chrome.text,
        "Login to Example Media",
        "/history/",
        "Historical",
    ]


def start_urls(corpus) -> list[str]:
    values = {
        "slug": corpus.interview.slug,
        "id": corpus.q_focus.pk,
    }
    api = [path.format(**values) for path in PATHS if "{id}" not in path or "passages" not in path]
    api.append(f"/api/passages/{corpus.p_focus.pk}/")
    return [
        "/",
        "/sitemap.xml",
        "/feeds/quotes.atom",
        f"/feeds/themes/{corpus.focus.slug}.atom",
        "/quotes/export.csv",
        "/quotes/export.jsonl",
        "/search/?q=users",
        "/search/?q=Login",
        "/api/search/?q=users",
        "/api/quotes/?q=listen",
        *api,
    ]


def links(body: str) -> list[str]:
    found = []
    for href in HREF.findall(body):
        href = urldefrag(href.replace("&amp;", "&"))[0]
        parts = urlsplit(href)
        if parts.netloc and parts.netloc != "testserver":
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path.startswith("/") and not path.startswith(SKIP):
            found.append(path)
    return found


def test_an_anonymous_walk_never_meets_drafts_boilerplate_or_history(client, small_corpus):
    secrets = secrets_of(small_corpus)
    queue = deque(start_urls(small_corpus))
    seen: set[str] = set(queue)
    walked = 0
    while queue and walked < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url)
        walked += 1
        assert response.status_code in (200, 301, 302, 404), (url, response.status_code)
        if response.status_code != 200 or response.streaming:
            continue
        body = response.content.decode()
        for secret in secrets:
            assert secret not in body, f"{url} shows {secret!r}"
        for link in links(body):
            if link not in seen:
                seen.add(link)
                queue.append(link)
    # The walk reached the site: lists, details of every kind, feeds and the API.
    for expected in (
        f"/quotes/{small_corpus.q_focus.pk}/",
        f"/sources/{small_corpus.interview.slug}/",
        f"/principles/{small_corpus.principle.slug}/",
        f"/themes/{small_corpus.focus.slug}/",
        f"/people/{small_corpus.lei.slug}/",
        "/api/principles/",
    ):
        assert expected in seen, expected
    assert walked >= 30


@pytest.mark.parametrize(
    "path",
    [
        "/quotes/{draft}/",
        "/api/quotes/{draft}/",
        "/api/quotes/{draft}/cite/",
        "/principles/{principle}/",
        "/api/principles/{principle}/",
        "/sources/{source}/p/{chrome}/",
        "/api/passages/{chrome_pk}/",
    ],
)
def test_asking_for_a_draft_or_boilerplate_directly_is_a_404(client, small_corpus, path):
    url = path.format(
        draft=small_corpus.q_draft.pk,
        principle=small_corpus.draft_principle.slug,
        source=small_corpus.interview.slug,
        chrome=small_corpus.p_chrome.number,
        chrome_pk=small_corpus.p_chrome.pk,
    )
    assert client.get(url).status_code == 404


def test_the_api_blanks_page_chrome_for_readers_and_keeps_offsets(staff_client, small_corpus):
    source, chrome = small_corpus.interview, small_corpus.p_chrome

    def text_and_passages(client) -> tuple[str, list]:
        # The detail links to the text (plain text) and to the passages (a page at a time).
        body = client.get(f"/api/sources/{source.slug}/").json()
        text = b"".join(client.get(body["text_url"]).streaming_content).decode("utf-8")
        return text, client.get(body["passages_url"]).json()["results"]

    text, passages = text_and_passages(Client())
    assert len(text) == len(source.text)
    assert chrome.text not in text
    assert text[chrome.start : chrome.end].strip() == ""
    assert chrome.pk not in [p["id"] for p in passages]
    for passage in passages:
        assert text[passage["start"] : passage["end"]] == passage["text"]
    # The first shown passage has no previous one for a reader (the chrome is not offered).
    first = Client().get(f"/api/passages/{small_corpus.p_question.pk}/").json()
    assert first["previous"] is None
    assert (
        staff_client.get(f"/api/passages/{small_corpus.p_question.pk}/").json()["previous"]
        == chrome.pk
    )
    text, passages = text_and_passages(staff_client)
    assert text == source.text
    assert chrome.pk in [p["id"] for p in passages]
    assert staff_client.get(f"/api/passages/{chrome.pk}/").status_code == 200
