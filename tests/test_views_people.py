"""People: their published quotes and the sources they speak in."""

import pytest
from factories import more_quotes, small_corpus_fixture  # noqa: F401

from kb.models import Person, Quote

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")


def test_it_lists_people_with_counts(client, small_corpus):
    response = client.get("/people/")
    assert response.status_code == 200
    rows = {p.slug: (p.quote_count, p.source_count) for p in response.context["people"]}
    assert rows == {"lei-jun": (3, 2), "fortune-interviewer": (0, 1)}


def test_it_shows_a_persons_published_quotes_and_sources(client, small_corpus):
    response = client.get("/people/lei-jun/")
    assert response.status_code == 200
    c = small_corpus
    assert {q.pk for q in response.context["quotes"]} == {c.q_focus.pk, c.q_price.pk, c.q_essay.pk}
    assert {s.slug for s in response.context["sources"]} == {"lei-jun-on-focus", "the-millet-model"}
    html = response.content.decode()
    assert c.q_draft.text not in html
    assert "Also named: Lei</p>" in html  # not "lei jun": his name in lower case


def test_it_shows_the_sources_an_interviewer_speaks_in(client, small_corpus):
    response = client.get("/people/fortune-interviewer/")
    assert response.status_code == 200
    assert [s.slug for s in response.context["sources"]] == ["lei-jun-on-focus"]
    assert "No published quote yet." in response.content.decode()


def test_it_is_404_for_an_unknown_person(client, small_corpus):
    assert client.get("/people/nobody/").status_code == 404


def test_it_answers_people_in_bounded_queries(client, small_corpus, django_assert_max_num_queries):
    more_quotes(small_corpus.p_focus, 30, themes=[small_corpus.focus])
    # +1: the content token, read by the page cache (kb.middleware)
    with django_assert_max_num_queries(2):
        assert client.get("/people/").status_code == 200
    # Token, person, count, the page's ids, its quotes, their themes, the capped passage
    # count, sources.
    with django_assert_max_num_queries(8):
        assert client.get("/people/lei-jun/").status_code == 200


class TestSeedCorpus:
    """Seed checks: the real corpus loaded by ``load_seed_corpus``."""

    def test_it_shows_every_seed_person(self, client, corpus, django_assert_max_num_queries):
        assert client.get("/people/").status_code == 200
        for person in Person.objects.all():
            # +1: the content token, read by the page cache (kb.middleware)
            with django_assert_max_num_queries(8):
                response = client.get(person.get_absolute_url())
            assert response.status_code == 200
            published = Quote.objects.published().filter(speaker=person).count()
            assert response.context["page"].paginator.count == published


def test_a_person_is_also_named_by_each_other_spelling_once(client, small_corpus):
    person = small_corpus.p_focus.speaker
    person.aliases = [person.name, person.name.lower(), "Lei", " lei ", "Mr. Lei", ""]
    person.save()
    html = client.get(person.get_absolute_url()).content.decode()
    assert "Also named: Lei, Mr. Lei</p>" in html
    person.aliases = [person.name.upper()]
    person.save()
    assert "Also named" not in client.get(person.get_absolute_url()).content.decode()
