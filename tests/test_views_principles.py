"""Principles: each claim with its evidence highlighted and linked to its context."""

import re

import pytest
from factories import build_source, make_claim, small_corpus_fixture  # noqa: F401

from kb.models import Principle, Status

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")


def test_it_lists_published_principles_with_source_counts(client, small_corpus):
    response = client.get("/principles/")
    assert response.status_code == 200
    rows = {p.slug: (p.claim_count, p.source_count) for p in response.context["principles"]}
    assert rows == {"do-few-things-well": (2, 2)}
    html = response.content.decode()
    assert "backed by 2 sources" in html
    assert 'href="/themes/focus/">Focus</a>' in html


def test_it_lists_draft_principles_for_staff_with_a_badge(staff_client, small_corpus):
    response = staff_client.get("/principles/")
    assert {p.slug for p in response.context["principles"]} == {
        "do-few-things-well",
        "listen-to-users",
    }
    assert 'class="badge badge-draft">Draft</span>' in response.content.decode()


def test_it_shows_each_claim_with_its_evidence_marked_and_linked(client, small_corpus):
    response = client.get("/principles/do-few-things-well/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Backed by 2 distinct sources." in html
    claims = re.findall(r'<li class="claim">(.*?)</li>', html, re.S)
    assert len(claims) == 2
    assert "Keep the product line small." in claims[0]
    assert "<mark>We focus on a few products</mark>" in claims[0]
    assert 'href="/sources/lei-jun-on-focus/#p-3"' in claims[0]
    assert "<mark>focus</mark>" in claims[1]
    assert 'href="/sources/the-millet-model/#p-1"' in claims[1]
    assert [c.evidence for c in response.context["claims"]] == [
        "We focus on a few products",
        "focus",
    ]


def test_it_counts_distinct_sources_once(client, small_corpus):
    make_claim(small_corpus.principle, 3, "Again.", small_corpus.p_price, "Price close to cost")
    response = client.get("/principles/do-few-things-well/")
    assert response.context["source_count"] == 2


def test_it_escapes_html_in_evidence(client, db):
    source, (passage,) = build_source("Tags", [(None, False, "a <i>b</i> c")], speakers={})
    principle = Principle.objects.create(title="T", slug="t", status=Status.PUBLISHED)
    make_claim(principle, 1, "Claim <b>bold</b>", passage, "<i>b</i>")
    html = client.get("/principles/t/").content.decode()
    assert "<mark>&lt;i&gt;b&lt;/i&gt;</mark>" in html
    assert "Claim &lt;b&gt;bold&lt;/b&gt;" in html


def test_it_is_404_for_a_draft_principle_for_readers(client, small_corpus):
    assert client.get("/principles/listen-to-users/").status_code == 404


def test_it_shows_a_draft_principle_to_staff_with_a_banner(staff_client, small_corpus):
    response = staff_client.get("/principles/listen-to-users/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="banner banner-draft"' in html
    assert "<mark>we just listen to users</mark>" in html


def test_it_shows_a_claim_without_evidence_to_staff(staff_client, small_corpus):
    small_corpus.draft_principle.claims.create(position=2, text="Unbacked yet.")
    html = staff_client.get("/principles/listen-to-users/").content.decode()
    assert "Unbacked yet." in html and "No evidence yet" in html


def test_it_answers_principles_in_bounded_queries(
    client, small_corpus, django_assert_max_num_queries
):
    for i in range(5):
        principle = Principle.objects.create(title=f"P{i}", status=Status.PUBLISHED)
        principle.themes.set([small_corpus.focus, small_corpus.pricing])
        for n, words in enumerate(["Price close to cost", "write", "we just listen"]):
            make_claim(principle, n, f"claim {n}", small_corpus.p_price, words)
    # +1: the content token, read by the page cache (kb.middleware)
    with django_assert_max_num_queries(3):
        assert client.get("/principles/").status_code == 200
    # +1: the content version (kb.cache)
    with django_assert_max_num_queries(4):
        assert client.get("/principles/p0/").status_code == 200


class TestSeedCorpus:
    """Seed checks: the real corpus loaded by ``load_seed_corpus``."""

    def test_it_shows_every_seed_principle_with_its_evidence(
        self, client, corpus, django_assert_max_num_queries
    ):
        from django.utils.html import escape

        assert client.get("/principles/").status_code == 200
        for principle in Principle.objects.published():
            # +1: the content version (kb.cache)
            with django_assert_max_num_queries(4):
                response = client.get(principle.get_absolute_url())
            assert response.status_code == 200
            html = response.content.decode()
            for claim in principle.claims.all():
                assert f"<mark>{escape(claim.evidence_text)}</mark>" in html
                assert f'href="{claim.get_absolute_url()}"' in html
