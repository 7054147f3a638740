"""The seeded corpus: what an editor curated, anchored to exact words, loaded idempotently."""

from io import StringIO

import pytest
from django.core.management import call_command

from kb.integrity import corpus_problems
from kb.models import Claim, Passage, Person, Principle, Quote, SearchAlias, Source, Theme


def snapshot():
    rows = []
    for model in (Source, Passage, Person, Theme, Quote, Principle, Claim, SearchAlias):
        rows.append(list(model.objects.order_by("pk").values()))
    rows.append(sorted(Quote.themes.through.objects.values_list("quote_id", "theme_id")))
    return rows


def test_it_loads_what_the_issue_asks_for(corpus):
    assert Source.objects.count() == 2
    assert Quote.objects.published().count() >= 20
    assert Theme.objects.count() >= 8
    assert Principle.objects.published().count() >= 6
    for principle in Principle.objects.all():
        assert principle.claims.filter(passage__isnull=False).count() >= 2
    lei = Person.objects.get(slug="lei-jun")
    assert {"Lei", "lei jun"} <= set(lei.aliases)
    assert SearchAlias.objects.filter(term="Millet", means="Xiaomi").exists()


def test_every_span_is_exact_and_passages_tile_the_sources(corpus):
    assert list(corpus_problems()) == []
    for quote in Quote.objects.select_related("source", "passage"):
        assert quote.source.text[quote.start : quote.end] == quote.text
        assert quote.passage.contains(quote.start, quote.end)


def test_the_interviewers_words_are_never_lei_juns(corpus):
    interview = Source.objects.get(slug="fortune-interview-2014")
    questions = interview.passages.filter(speaker__slug="fortune-interviewer")
    assert questions.count() == 6
    assert all(p.text.rstrip().endswith("?") for p in questions)
    assert not Quote.objects.filter(passage__in=questions).exists()
    answers = interview.passages.filter(speaker__slug="lei-jun")
    assert answers.count() == 6
    assert answers.order_by("number").first().text.startswith("lei jun:")


def test_the_essay_footer_is_boilerplate(corpus):
    essay = Source.objects.get(slug="internet-model-essay")
    chrome = essay.passages.filter(is_boilerplate=True)
    assert chrome.filter(text="Contact Us").exists()
    assert chrome.filter(text__startswith="The content source of this page").exists()
    assert not essay.passages.filter(is_boilerplate=False, text__contains="Alibaba").exists()
    assert not Quote.objects.published().filter(passage__is_boilerplate=True).exists()


def test_loading_twice_changes_nothing(corpus):
    before = snapshot()
    out = StringIO()
    call_command("load_seed_corpus", stdout=out)
    assert "nothing changed" in out.getvalue()
    assert snapshot() == before


def test_verify_corpus_reports_a_drifted_quote(corpus):
    quote = Quote.objects.published().first()
    Quote.objects.filter(pk=quote.pk).update(text=quote.text + " (edited)")
    with pytest.raises(Exception, match="1 problem"):
        call_command("verify_corpus", stdout=StringIO(), stderr=StringIO())


def _stored_state() -> dict:
    """Every row of every table but their times of writing (the search outbox aside: the
    triggers write it in the order the rows go in)."""
    from django.apps import apps
    from django.db import models

    state = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.db_table in ("kb_contentversion", "kb_searchoutbox"):
            continue
        names = [
            f.attname
            for f in model._meta.concrete_fields
            if not isinstance(f, models.DateTimeField) and not f.generated
        ]
        rows = list(model._base_manager.order_by("pk").values(*names))
        state[model._meta.label] = rows
    return state


@pytest.mark.django_db
def test_the_corpus_fixture_writes_the_rows_and_index_the_loader_writes():
    from django.db import transaction
    from seed_rows import load_seed_rows, restart_ids

    def rolled_back(write):
        with transaction.atomic():
            write()
            state = _stored_state()
            transaction.set_rollback(True)
        return state

    rolled_back(load_seed_rows)  # the fixture's rows are kept (if no test kept them yet)
    written_by_fixture = rolled_back(load_seed_rows)
    written_by_loader = rolled_back(
        lambda: (restart_ids(), call_command("load_seed_corpus", verbosity=0))
    )
    assert sum(map(len, written_by_loader.values())) > 300  # the corpus, history and index
    assert written_by_fixture == written_by_loader
