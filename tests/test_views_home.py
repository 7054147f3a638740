"""Home page: what the site is, principles, themes with counts, quotes, sources, search."""

import pytest
from factories import more_quotes, small_corpus_fixture  # noqa: F401

from kb.models import Quote, Source

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")


def test_it_answers_200_and_says_what_the_site_is(client, small_corpus):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<meta name="viewport"' in html
    assert "Lei Jun" in html and "Xiaomi" in html and "Millet" in html
    assert 'action="/search/"' in html and 'name="q"' in html


def test_it_lists_principles_themes_with_counts_featured_quotes_and_sources(client, small_corpus):
    response = client.get("/")
    html = response.content.decode()
    assert small_corpus.principle.get_absolute_url() in html
    assert small_corpus.draft_principle.get_absolute_url() not in html
    themes = {theme.slug: theme.quote_count for theme in response.context["themes"]}
    # Focus: q_focus and q_essay (the draft is not counted); Pricing: q_price and q_essay.
    assert themes == {"focus": 2, "pricing": 2}
    assert [q.pk for q in response.context["featured"]] == [small_corpus.q_focus.pk]
    assert "We focus on a few products &amp; make each one great." in html
    assert small_corpus.q_draft.text not in html
    assert small_corpus.interview.get_absolute_url() in html
    assert small_corpus.essay.get_absolute_url() in html


def test_it_shows_the_draft_quote_to_nobody_on_the_home_page(staff_client, small_corpus):
    html = staff_client.get("/").content.decode()
    assert small_corpus.q_draft.get_absolute_url() not in html


def test_it_uses_a_bounded_number_of_queries(client, small_corpus, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        client.get("/")
    more_quotes(small_corpus.p_focus, 25, themes=[small_corpus.focus])
    with django_assert_max_num_queries(10):
        assert client.get("/").status_code == 200


class TestSeedCorpus:
    """Seed checks: the real corpus loaded by ``load_seed_corpus``."""

    def test_it_renders_the_home_page_on_the_seed_corpus(
        self, client, corpus, django_assert_max_num_queries
    ):
        with django_assert_max_num_queries(10):
            response = client.get("/")
        assert response.status_code == 200
        html = response.content.decode()
        for source in Source.objects.all()[:8]:
            assert source.get_absolute_url() in html
        assert Quote.objects.published().exists()
