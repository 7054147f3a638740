"""The same statement across sources (kb.statements) and the statement-group admin."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from factories import build_source, make_quote, small_corpus_fixture  # noqa: F401

from kb.models import Quote, StatementGroup, Status
from kb.statements import group_statements, near_duplicates, normalise, shingles

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")

SAID = "We focus on a few products and make each one great."
# Words no quote of the small corpus says (its q_focus is a near-duplicate of SAID).
REPEAT = "Innovation for everyone means honest prices and products people love."
REPEAT_VARIANT = "Innovation for everyone means honest prices and the products people love!"


def test_it_normalises_case_punctuation_and_width():
    assert normalise("We FOCUS — on a few products!") == "we focus on a few products"
    assert normalise("ＡＢＣ，雷军。") == "abc 雷军"
    assert shingles("Focus!") == shingles("focus")
    assert shingles("…") == set()


def test_it_finds_near_duplicates_and_leaves_the_rest():
    texts = [
        (1, SAID),
        (2, "we focus on a few products, and make each one great"),
        (3, "We focus on a few products and we make each one great."),
        (4, "Price close to cost is sincerity."),
        (5, "Users are our friends, not our customers."),
        (6, "我们只做少数几款产品，把每一款都做到极致。"),
        (7, "我们只做少数几款产品，把每一款都做到极致！"),
    ]
    assert near_duplicates(texts) == [[1, 2, 3], [6, 7]]
    # A stricter threshold keeps only the exact words (after normalising) together.
    assert near_duplicates(texts, threshold=1.0) == [[1, 2], [6, 7]]


def test_it_scales_by_banding_not_by_pairs():
    # 2,000 different sentences and one repeated: only the repeat is grouped.
    texts = [(i, f"Sentence {i} about topic {i * 7} and idea {i * 13}.") for i in range(2000)]
    texts += [(5000, "Sentence 12 about topic 84 and idea 156.")]
    assert near_duplicates(texts) == [[12, 5000]]


@pytest.fixture
def repeated(small_corpus):
    """Three sources saying the same thing (2012, 2014 dated, 2016), one saying another."""
    lei = small_corpus.lei
    quotes = []
    for year, words in [
        (2012, REPEAT),
        (2016, REPEAT_VARIANT),
    ]:
        source, (passage,) = build_source(
            f"Talk {year}",
            [("lei", False, f"Intro. {words} The end.")],
            speakers={"lei": lei},
            year=year,
        )
        quotes.append(make_quote(passage, words, speaker=lei))
    source, (passage,) = build_source(
        "Dated talk",
        [("lei", False, f"Hello. {REPEAT} Bye.")],
        speakers={"lei": lei},
        published=datetime.date(2014, 5, 6),
    )
    quotes.append(make_quote(passage, REPEAT, speaker=lei))
    return quotes


def test_the_small_corpus_repeats_itself_once(small_corpus):
    # "… a few products & make …" (the interview) and SAID differ by one symbol.
    source, (passage,) = build_source(
        "Repeat", [("lei", False, SAID)], speakers={"lei": small_corpus.lei}, year=2019
    )
    again = make_quote(passage, SAID, speaker=small_corpus.lei)
    group_statements()
    again.refresh_from_db()
    assert list(Quote.objects.also_said_in(again)) == [small_corpus.q_focus]


def test_it_groups_the_same_statement_across_sources(repeated, small_corpus):
    counts = group_statements()
    assert counts == {"groups": 1, "grouped": 3, "created": 1}
    groups = {q.statement_group_id for q in Quote.objects.filter(pk__in=[q.pk for q in repeated])}
    assert len(groups) == 1 and None not in groups
    assert Quote.objects.get(pk=small_corpus.q_price.pk).statement_group_id is None
    # Running again changes nothing.
    assert group_statements() == {"groups": 1, "grouped": 3, "created": 0}


def test_also_said_in_lists_the_others_oldest_first(repeated, django_assert_max_num_queries):
    group_statements()
    first, last, dated = (Quote.objects.get(pk=q.pk) for q in repeated)
    with django_assert_max_num_queries(1):
        others = list(Quote.objects.also_said_in(last))
    assert [q.pk for q in others] == [first.pk, dated.pk]
    assert [q.said_year for q in others] == [2012, 2014]
    assert others[1].said_date == datetime.date(2014, 5, 6)
    assert list(Quote.objects.also_said_in(Quote(pk=0))) == []


def test_also_said_in_leaves_out_drafts_and_disputed(repeated):
    group_statements()
    first, last, dated = repeated
    Quote.objects.filter(pk=first.pk).update(status=Status.DRAFT)
    Quote.objects.filter(pk=dated.pk).update(
        attribution_status="disputed", attribution_evidence="Wording differs in the video."
    )
    assert list(Quote.objects.also_said_in(Quote.objects.get(pk=last.pk))) == []


def test_a_confirmed_group_keeps_its_quotes_and_a_kept_apart_quote_stays_out(repeated):
    group_statements()
    first, last, dated = (Quote.objects.get(pk=q.pk) for q in repeated)
    group = first.statement_group
    group.confirmed = True
    group.save()
    last.kept_apart = True
    last.save()
    assert Quote.objects.get(pk=last.pk).statement_group_id is None
    group_statements()
    assert Quote.objects.get(pk=last.pk).statement_group_id is None
    assert set(group.quotes.values_list("pk", flat=True)) == {first.pk, dated.pk}
    # A new repeat joins the confirmed group.
    source, (passage,) = build_source(
        "Talk 2020", [("lei", False, REPEAT)], speakers={"lei": first.speaker}, year=2020
    )
    newer = make_quote(passage, REPEAT, speaker=first.speaker)
    group_statements()
    assert Quote.objects.get(pk=newer.pk).statement_group_id == group.pk


def test_an_unconfirmed_group_without_a_match_dissolves(repeated):
    group_statements()
    for quote in repeated[1:]:
        Quote.objects.filter(pk=quote.pk).update(kept_apart=True)
    assert group_statements() == {"groups": 0, "grouped": 0, "created": 0}
    assert not StatementGroup.objects.exists()


def test_the_command_groups_and_refuses_a_bad_threshold(repeated, capsys):
    call_command("group_statements", verbosity=0)
    assert "3 quotes in 1 statement groups (1 new)." in capsys.readouterr().out
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--threshold must be above 0"):
        call_command("group_statements", threshold=1.5)


def test_editors_split_a_group_in_the_admin(admin_client, repeated):
    group_statements()
    group = StatementGroup.objects.get()
    url = reverse("admin:kb_statementgroup_change", args=[group.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and "kept apart" in page.content.decode()
    quotes = list(group.quotes.order_by("pk"))
    data = {
        "confirmed": "on",
        "note": "Checked the three recordings.",
        "quotes-TOTAL_FORMS": str(len(quotes)),
        "quotes-INITIAL_FORMS": str(len(quotes)),
        "quotes-MIN_NUM_FORMS": "0",
        "quotes-MAX_NUM_FORMS": "1000",
    }
    for i, quote in enumerate(quotes):
        data[f"quotes-{i}-id"] = str(quote.pk)
        data[f"quotes-{i}-statement_group"] = str(group.pk)
        if i == 0:
            data[f"quotes-{i}-kept_apart"] = "on"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    group.refresh_from_db()
    assert group.confirmed
    assert set(group.quotes.values_list("pk", flat=True)) == {q.pk for q in quotes[1:]}
    assert Quote.objects.get(pk=quotes[0].pk).kept_apart
    assert admin_client.get(reverse("admin:kb_statementgroup_changelist")).status_code == 200
