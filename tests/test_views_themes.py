"""Themes with their counts, and one theme's published quotes and principles."""

import pytest
from factories import more_quotes, small_corpus_fixture  # noqa: F401

from kb.models import Quote, Theme

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")


def test_it_lists_themes_with_counts_of_published_quotes(client, small_corpus):
    response = client.get("/themes/")
    assert response.status_code == 200
    counts = {t.slug: (t.quote_count, t.principle_count) for t in response.context["themes"]}
    assert counts == {"focus": (2, 1), "pricing": (2, 0)}
    html = response.content.decode()
    assert 'href="/themes/focus/"' in html and "2 quotes" in html


def test_it_shows_a_themes_published_quotes_and_principles(client, small_corpus):
    response = client.get("/themes/focus/")
    assert response.status_code == 200
    c = small_corpus
    assert {q.pk for q in response.context["quotes"]} == {c.q_focus.pk, c.q_essay.pk}
    html = response.content.decode()
    assert c.principle.get_absolute_url() in html
    assert c.draft_principle.get_absolute_url() not in html
    assert c.q_draft.text not in html
    assert "Doing few things." in html


def test_it_shows_no_drafts_on_a_theme_to_staff_either(staff_client, small_corpus):
    response = staff_client.get("/themes/focus/")
    assert small_corpus.q_draft.pk not in {q.pk for q in response.context["quotes"]}


def test_it_is_404_for_an_unknown_theme(client, small_corpus):
    assert client.get("/themes/nope/").status_code == 404


def test_it_paginates_a_theme_keeping_the_query(client, small_corpus):
    more_quotes(small_corpus.p_focus, 25, themes=[small_corpus.focus])
    response = client.get("/themes/focus/?page=2")
    assert response.status_code == 200
    assert len(response.context["quotes"]) == 7
    assert 'href="?page=1"' in response.content.decode()


def test_it_answers_themes_in_bounded_queries(client, small_corpus, django_assert_max_num_queries):
    more_quotes(small_corpus.p_focus, 30, themes=[small_corpus.focus, small_corpus.pricing])
    # +1: the content version (kb.cache)
    with django_assert_max_num_queries(2):
        assert client.get("/themes/").status_code == 200
    # +1: the content token, read by the page cache (kb.middleware); +1: the page's ids
    # before its rows (kb.views.common.BoundedPaginator)
    with django_assert_max_num_queries(7):
        assert client.get("/themes/focus/").status_code == 200


class TestSeedCorpus:
    """Seed checks: the real corpus loaded by ``load_seed_corpus``."""

    def test_it_shows_every_seed_theme(self, client, corpus, django_assert_max_num_queries):
        response = client.get("/themes/")
        assert response.status_code == 200
        for theme in Theme.objects.all():
            # +1: the content token, read by the page cache (kb.middleware)
            with django_assert_max_num_queries(7):
                response = client.get(theme.get_absolute_url())
            assert response.status_code == 200
            published = Quote.objects.published().filter(themes=theme).count()
            assert response.context["page"].paginator.count == published
