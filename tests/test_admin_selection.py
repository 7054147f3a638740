"""Choosing words by selection (kb.admin.selection): whole words, the source page's box,
the principle's evidence picker, passages offered with their text."""

import json

import pytest
from api_factories import small_corpus_fixture  # noqa: F401
from django.urls import reverse
from test_admin import quote_form_data

from kb.admin.selection import snap_to_words
from kb.models import Claim, Quote


@pytest.fixture(name="boss")
def boss_fixture(client, django_user_model, db):
    client.force_login(django_user_model.objects.create_superuser("boss"))
    return client


@pytest.mark.parametrize(
    ("text", "span", "words"),
    [
        ("I'd spend the money", (2, 9), "I'd spend"),  # the "d spend the money"
        ("don't go", (0, 3), "don't"),
        ("we would spend it", (10, 17), "spend it"),
        ("we would spend it", (9, 13), "spend"),
        ("雷军说：专注", (3, 5), "：专"),  # Chinese characters are words of their own
    ],
)
def test_it_widens_a_span_to_whole_words(text, span, words):
    start, end = snap_to_words(text, *span)
    assert text[start:end] == words


def test_it_refuses_a_quote_cut_inside_a_word(boss, small_corpus):
    quote = small_corpus.focus_quote
    data = quote_form_data(
        quote,
        start=quote.start + 1,
        text=quote.source.text[quote.start + 1 : quote.end],
    )
    body = boss.post(f"/admin/kb/quote/{quote.pk}/change/", data).content.decode()
    assert "start or end inside a word" in body
    assert Quote.objects.get(pk=quote.pk).start == quote.start


def test_it_accepts_an_untouched_quote(boss, small_corpus):
    quote = small_corpus.focus_quote
    response = boss.post(f"/admin/kb/quote/{quote.pk}/change/", quote_form_data(quote, note="ok"))
    assert response.status_code == 302


def test_it_refuses_a_claim_cut_inside_a_word(boss, small_corpus):
    claim = Claim.objects.filter(passage__isnull=False).first()
    data = {
        "principle": claim.principle_id,
        "position": claim.position,
        "text": claim.text,
        "passage": claim.passage_id,
        "start": claim.start + 1,
        "end": claim.end,
    }
    body = boss.post(f"/admin/kb/claim/{claim.pk}/change/", data).content.decode()
    assert "start or end inside a word" in body
    assert Claim.objects.get(pk=claim.pk).start == claim.start


def test_the_source_page_shows_its_passages_to_select_in(boss, small_corpus):
    source = small_corpus.focus_quote.source
    body = boss.get(f"/admin/kb/source/{source.pk}/change/").content.decode()
    assert body.count('class="kb-select-passage"') == source.passages.count()
    assert "Quote the selected words" in body
    assert "Use as a claim&#x27;s evidence" in body or "Use as a claim's evidence" in body
    assert "js/admin_select.js" in body
    assert "Technical details" in body


def test_the_principle_page_has_the_evidence_picker(boss, small_corpus):
    principle = small_corpus.principle
    body = boss.get(f"/admin/kb/principle/{principle.pk}/change/").content.decode()
    assert 'class="kb-evidence-picker"' in body
    assert "EVIDENCE (SOURCE.TEXT" not in body.upper()
    assert small_corpus.focus_quote.source.title in body  # offered in the source select


def test_the_picker_reads_a_sources_passages(boss, small_corpus):
    source = small_corpus.focus_quote.source
    response = boss.get(reverse("admin:kb_principle_passages"), {"source": source.pk})
    passages = json.loads(response.content)["passages"]
    assert [p["text"] for p in passages] == [
        p.text for p in source.passages.filter(is_boilerplate=False).order_by("number")
    ]


@pytest.mark.parametrize("value", ["", "abc", "1e9"])
def test_the_picker_says_so_for_a_bad_source(boss, small_corpus, value):
    response = boss.get(reverse("admin:kb_principle_passages"), {"source": value})
    assert response.status_code == 400
    assert "Choose a source" in json.loads(response.content)["error"]


def test_a_passage_is_offered_with_its_text(boss, small_corpus):
    passage = small_corpus.passages[1]
    response = boss.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "kb",
            "model_name": "claim",
            "field_name": "passage",
            "term": passage.source.slug,
        },
    )
    texts = [r["text"] for r in json.loads(response.content)["results"]]
    assert any(passage.text[:30] in t for t in texts), texts
