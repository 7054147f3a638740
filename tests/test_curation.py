"""kb.curation: split and merge passages, merge themes and people, status transitions."""

import pytest
from api_factories import small_corpus_fixture  # noqa: F401
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import call_command

from kb import curation
from kb.integrity import corpus_problems
from kb.models import Claim, Passage, Person, Quote, Source, Status, Theme


def test_it_splits_a_passage_and_reanchors_the_quotes_after_the_point(small_corpus):
    source, passage = small_corpus.source, small_corpus.passages[1]
    at = source.text.index("We make one phone")
    before = {q.pk: (q.start, q.end) for q in Quote.objects.all()}
    result = curation.split_passage(passage, at)
    assert list(corpus_problems()) == []
    assert [p.number for p in source.passages.order_by("number")] == [1, 2, 3, 4]
    assert result.second.number == 3 and result.second.start == at
    assert result.first.text == "Lei Jun: Focus is the first word of our method."
    small_corpus.draft_quote.refresh_from_db()
    small_corpus.focus_quote.refresh_from_db()
    assert small_corpus.draft_quote.passage_id == result.second.pk
    assert small_corpus.focus_quote.passage_id == passage.pk
    assert {q.pk: (q.start, q.end) for q in Quote.objects.all()} == before
    assert Passage.objects.get(source=source, number=4).text.startswith("Lei Jun: Users")


def test_it_refuses_a_split_point_inside_a_quote(small_corpus):
    source, passage = small_corpus.source, small_corpus.passages[1]
    at = source.text.index("first word")
    with pytest.raises(ValidationError, match="inside quote “Focus is the first word"):
        curation.split_passage(passage, at)
    assert source.passages.count() == 3
    assert list(corpus_problems()) == []


def test_it_refuses_a_split_point_inside_a_claim(small_corpus):
    passage = small_corpus.other_source.passages.get()
    at = small_corpus.other_source.text.index("update every")
    with pytest.raises(ValidationError, match="inside claim"):
        curation.split_passage(passage, at)


def test_it_merges_two_neighbouring_passages(small_corpus):
    source = small_corpus.source
    first, second, third = small_corpus.passages
    merged = curation.merge_passages(second, first)  # any order
    assert merged.pk == first.pk
    assert merged.text == source.text[first.start : second.end]
    assert list(corpus_problems()) == []
    assert [p.number for p in source.passages.order_by("number")] == [1, 2]
    assert Passage.objects.get(pk=third.pk).number == 2
    assert not Passage.objects.filter(pk=second.pk).exists()
    assert set(Quote.objects.filter(source=source, passage=first).values_list("pk", flat=True)) >= {
        small_corpus.focus_quote.pk,
        small_corpus.draft_quote.pk,
    }
    claim = Claim.objects.get(text="Focus comes first.")
    assert claim.passage_id == first.pk


def test_it_refuses_to_merge_passages_that_are_not_neighbours(small_corpus):
    first, _, third = small_corpus.passages
    with pytest.raises(ValidationError, match="not neighbours"):
        curation.merge_passages(first, third)
    with pytest.raises(ValidationError, match="same source"):
        curation.merge_passages(third, small_corpus.other_source.passages.get())


def test_it_splits_and_merges_the_seeded_corpus_back_to_the_same_tiling(corpus):
    source = Source.objects.order_by("pk").first()
    passage = max(source.passages.all(), key=lambda p: len(p.text))
    spans = [(q.start, q.end) for q in Quote.objects.filter(passage=passage)]
    spans += [(c.start, c.end) for c in Claim.objects.filter(passage=passage)]
    points = [
        passage.start + i
        for i, ch in enumerate(passage.text)
        if ch == " " and 0 < i and not any(s < passage.start + i < e for s, e in spans)
    ]
    assert points, "the longest passage has a free split point"
    original = list(source.passages.order_by("number").values_list("start", "end", "text"))
    result = curation.split_passage(passage, points[len(points) // 2])
    assert list(corpus_problems()) == []
    curation.merge_passages(result.first, result.second)
    assert list(corpus_problems()) == []
    after = list(source.passages.order_by("number").values_list("start", "end", "text"))
    assert after == original


def test_it_merges_two_themes(small_corpus):
    pricing_pk = small_corpus.pricing.pk
    merged = curation.merge_themes(small_corpus.focus, small_corpus.pricing)
    assert merged.quotes == 1
    assert not Theme.objects.filter(pk=pricing_pk).exists()
    assert small_corpus.focus in small_corpus.price_quote.themes.all()
    assert small_corpus.price_quote.history.first().history_change_reason.startswith("theme")
    # The deleted theme can be recovered from its history.
    deleted = Theme.history.filter(id=pricing_pk, history_type="-").get()
    deleted.instance.save()
    assert Theme.objects.filter(name="Pricing").exists()


def test_it_merges_two_people_with_their_quotes_passages_and_aliases(small_corpus):
    other = Person.objects.create(name="Lei Jun (CEO)", aliases=["Mr. Lei"])
    quote = small_corpus.draft_quote
    quote.speaker = other
    quote.save()
    passage = small_corpus.passages[0]
    passage.speaker = other
    passage.save()
    result = curation.merge_people(small_corpus.lei, other)
    assert (result.quotes, result.passages) == (1, 1)
    lei = Person.objects.get(pk=small_corpus.lei.pk)
    assert {"Lei Jun (CEO)", "Mr. Lei"} <= set(lei.aliases)
    assert Quote.objects.get(pk=quote.pk).speaker == lei
    assert Passage.objects.get(pk=passage.pk).speaker == lei
    assert not Person.objects.filter(pk=other.pk).exists()


def test_it_checks_the_publish_permission_in_transitions(small_corpus, django_user_model):
    call_command("setup_roles", verbosity=0)
    editor = django_user_model.objects.create_user("ed", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editor"))
    quote = small_corpus.draft_quote
    assert curation.set_status(quote, Status.REVIEW, user=editor)
    with pytest.raises(ValidationError, match="may not publish"):
        curation.set_status(quote, Status.PUBLISHED, user=editor)
    quote.refresh_from_db()
    assert quote.status == Status.REVIEW
    reviewer = django_user_model.objects.create_user("rev", is_staff=True)
    reviewer.groups.add(Group.objects.get(name="Reviewer"))
    assert curation.set_status(quote, Status.PUBLISHED, user=reviewer)


def test_it_sets_up_roles_idempotently(db):
    call_command("setup_roles", verbosity=0)
    call_command("setup_roles", verbosity=0)
    editor = Group.objects.get(name="Editor")
    reviewer = Group.objects.get(name="Reviewer")
    codenames = set(editor.permissions.values_list("codename", flat=True))
    assert {"change_quote", "add_source", "change_passage", "delete_theme"} <= codenames
    assert "delete_source" not in codenames and "publish_quote" not in codenames
    assert not any("user" in c or "group" in c for c in codenames)
    assert {"publish_quote", "publish_principle"} <= set(
        reviewer.permissions.values_list("codename", flat=True)
    )


def test_it_refuses_hiding_a_passage_that_holds_published_quotes_or_claims(small_corpus):
    passage = small_corpus.passages[1]
    with pytest.raises(ValidationError) as refused:
        curation.check_boilerplate(passage)
    message = " ".join(refused.value.messages)
    assert "published quote “Focus is the first word of our method.”" in message
    assert "published principle “Do few things”" in message
    assert "We make one phone" not in message  # the draft quote is no obstacle
    curation.set_status(small_corpus.focus_quote, Status.DRAFT)
    with pytest.raises(ValidationError, match="published principle"):
        curation.check_boilerplate(passage)
    curation.set_status(small_corpus.principle, Status.DRAFT)
    curation.check_boilerplate(passage)  # only drafts left: it may be hidden


@pytest.mark.parametrize(
    "words, at",
    [("Q: Why", "Wh|y"), ("Q: Why", "Q|:"), ("Focus is", "Foc|us")],
)
def test_it_refuses_a_split_point_inside_a_word(small_corpus, words, at):
    source = small_corpus.source
    passage = Passage.objects.get(source=source, text__contains=words)
    position = passage.text.index(at.replace("|", "")) + at.index("|")
    with pytest.raises(ValidationError, match=f"Position {position} is inside a word"):
        curation.split_passage(passage, passage.start + position)
    assert source.passages.count() == 3


def test_it_splits_between_sentences_without_a_space(db):
    text = "雷军说：专注很重要。我们只做一款手机。"
    source = Source.objects.create(title="Focus", text=text)
    passage = Passage.objects.create(source=source, number=1, start=0, end=len(text), text=text)
    with pytest.raises(ValidationError, match="inside a word"):
        curation.split_passage(passage, text.index("重要"))
    result = curation.split_passage(passage, text.index("我们"))
    assert (result.first.text, result.second.text) == ("雷军说：专注很重要。", "我们只做一款手机。")
    assert list(corpus_problems()) == []


def test_it_names_an_out_of_range_split_point_as_a_position_in_the_passage(small_corpus):
    passage = small_corpus.passages[1]
    length = len(passage.text)
    for position in (0, length, length + 5):
        with pytest.raises(ValidationError) as refused:
            curation.split_passage(passage, passage.start + position)
        message = " ".join(refused.value.messages)
        assert f"Position {position} is not inside passage ¶2" in message
        assert f"from 1 to {length - 1}" in message
        assert str(passage.start + position) not in message.replace(str(position), "")
