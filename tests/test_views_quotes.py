"""Quote list (QuoteFilter, chips, pagination) and the quote page (context, citation)."""

import re
from html import unescape

import pytest
from factories import build_source, more_quotes, small_corpus_fixture, span  # noqa: F401

from kb.models import Quote, SearchAlias

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")


def pks(response) -> set[int]:
    return {q.pk for q in response.context["quotes"]}


# --- list ---------------------------------------------------------------------------------


def test_it_lists_published_quotes_with_a_count(client, small_corpus):
    response = client.get("/quotes/")
    assert response.status_code == 200
    c = small_corpus
    assert pks(response) == {c.q_focus.pk, c.q_price.pk, c.q_essay.pk}
    html = response.content.decode()
    assert "3 quotes" in html
    assert c.q_draft.text not in html
    assert html.count('class="card quote-card') == 3


def test_it_lists_drafts_for_staff_with_a_badge(staff_client, small_corpus):
    response = staff_client.get("/quotes/")
    assert small_corpus.q_draft.pk in pks(response)
    assert 'class="badge badge-draft">Draft</p>' in response.content.decode()


@pytest.mark.parametrize(
    "query, expected",
    [
        ("theme=focus", {"q_focus", "q_essay"}),
        ("theme=focus&theme=pricing", {"q_essay"}),
        ("theme=focus&theme=pricing&theme_match=all", {"q_essay"}),
        ("theme=focus&theme=pricing&theme_match=any", {"q_focus", "q_price", "q_essay"}),
        ("speaker=lei-jun", {"q_focus", "q_price", "q_essay"}),
        ("speaker=fortune-interviewer", set()),
        ("source=the-millet-model", {"q_essay"}),
        ("kind=interview", {"q_focus", "q_price"}),
        ("year=2011", {"q_essay"}),
        ("year_min=2012", {"q_focus", "q_price"}),
        ("year_max=2012", {"q_essay"}),
        ("year_min=2010&year_max=2014", {"q_focus", "q_price", "q_essay"}),
        ("featured=true", {"q_focus"}),
        ("featured=false", {"q_price", "q_essay"}),
        ("q=sincerity", {"q_price"}),
        ("q=ultimate+mouth", {"q_essay"}),
        ("q=products", {"q_focus"}),
    ],
)
def test_it_filters_quotes(client, small_corpus, query, expected):
    response = client.get(f"/quotes/?{query}")
    assert response.status_code == 200
    assert response.context["valid"]
    assert pks(response) == {getattr(small_corpus, name).pk for name in expected}


def test_it_searches_with_the_editors_aliases(client, small_corpus):
    SearchAlias.objects.create(term="Xiaomi", means="Millet")
    # No quote says Millet or Xiaomi: none matches through its source's title ("The
    # Millet model") any more (issue #24).
    assert pks(client.get("/quotes/?q=xiaomi")) == set()
    SearchAlias.objects.create(term="apex", means="ultimate")
    assert pks(client.get("/quotes/?q=apex")) == {small_corpus.q_essay.pk}


@pytest.mark.parametrize(
    "query, field",
    [
        ("year=abc", "year"),
        ("year_min=twenty", "year_min"),
        ("theme=nonexistent", "theme"),
        ("theme=focus&theme=nonexistent", "theme"),
        ("speaker=nobody", "speaker"),
        ("source=nothing", "source"),
        ("kind=poem", "kind"),
        ("theme_match=most", "theme_match"),
        ("ordering=random", "ordering"),
    ],
)
def test_it_shows_form_errors_for_bad_filters_instead_of_a_500(client, small_corpus, query, field):
    response = client.get(f"/quotes/?{query}")
    assert response.status_code == 200
    assert field in response.context["form"].errors
    html = response.content.decode()
    assert "Some filters are not valid" in html
    assert 'class="errors"' in html
    assert list(response.context["quotes"]) == []


def test_it_reads_an_empty_theme_as_no_theme(staff_client, small_corpus):
    # Staff: their pages render live (a reader's would be the cached page of /quotes/).
    everything = pks(staff_client.get("/quotes/"))
    response = staff_client.get("/quotes/?theme=&theme=")
    assert pks(response) == everything
    assert "not valid" not in response.content.decode()
    focus = pks(staff_client.get("/quotes/?theme=focus"))
    assert pks(staff_client.get("/quotes/?theme=&theme=focus")) == focus
    body = staff_client.get("/api/quotes/?theme=").json()
    assert body["count"] == len(everything)


def test_it_shows_page_one_for_a_non_numeric_page(client, small_corpus):
    response = client.get("/quotes/?page=abc")
    assert response.status_code == 200
    assert response.context["page"].number == 1
    assert len(pks(response)) == 3


@pytest.mark.parametrize("page", ["999", "0", "-1"])
def test_it_is_404_for_a_page_out_of_range(client, small_corpus, page):
    assert client.get(f"/quotes/?page={page}").status_code == 404


def test_it_is_fine_with_a_bad_page_and_bad_filters_together(client, small_corpus):
    response = client.get("/quotes/?year=abc&theme=nonexistent&page=abc")
    assert response.status_code == 200
    assert "Some filters are not valid" in response.content.decode()


def test_it_paginates_by_20_and_keeps_the_filters(client, small_corpus):
    more_quotes(small_corpus.p_focus, 25, themes=[small_corpus.focus])
    response = client.get("/quotes/?theme=focus&year_min=2000&q=sentence")
    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count == 25 and len(page.object_list) == 20
    html = unescape(response.content.decode())
    next_link = re.search(r'<a rel="next" href="([^"]+)"', html).group(1)
    # A reader's page is made from its canonical query (kb.cache): parameters sorted.
    assert next_link == "?q=sentence&theme=focus&year_min=2000&page=2"
    second = client.get(f"/quotes/{next_link}")
    assert second.status_code == 200
    assert len(second.context["page"].object_list) == 5
    prev_link = re.search(r'<a rel="prev" href="([^"]+)"', unescape(second.content.decode()))
    assert prev_link.group(1) == "?page=1&q=sentence&theme=focus&year_min=2000"


def test_it_shows_active_filters_as_removable_chips(client, small_corpus):
    response = client.get("/quotes/?theme=focus&theme=pricing&speaker=lei-jun&year_min=2010&page=1")
    html = unescape(response.content.decode())
    chips = dict(re.findall(r'<li><a href="([^"]+)" title="Remove this filter">([^<]+?) <', html))
    # The reader's query in its canonical order (kb.cache.canonical_query): sorted.
    assert chips == {
        "/quotes/?speaker=lei-jun&theme=pricing&year_min=2010": "Themes: Focus",
        "/quotes/?speaker=lei-jun&theme=focus&year_min=2010": "Themes: Pricing",
        "/quotes/?theme=focus&theme=pricing&year_min=2010": "Speaker: Lei Jun",
        "/quotes/?speaker=lei-jun&theme=focus&theme=pricing": "From: 2010",
    }


def test_it_shows_invalid_values_as_chips_that_remove_them(client, small_corpus):
    html = unescape(client.get("/quotes/?theme=focus&theme=zzz&year=abc").content.decode())
    assert '<a href="/quotes/?theme=focus&year=abc" title="Remove this filter">Themes: zzz' in html
    assert '<a href="/quotes/?theme=focus&theme=zzz" title="Remove this filter">' in html
    assert "(not valid)" in html


@pytest.mark.parametrize("value", ["maybe", "yes", "on", "\x00"])
def test_it_refuses_a_featured_value_it_cannot_read(client, small_corpus, value):
    response = client.get("/quotes/", {"featured": value})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Some filters are not valid" in html and "(not valid)" in html
    assert not response.context["quotes"]
    assert client.get("/api/quotes/", {"featured": value}).status_code == 400
    for readable, featured in [("true", True), ("True", True), ("1", True), ("false", False)]:
        body = client.get("/api/quotes/", {"featured": readable}).json()
        expected = set(Quote.objects.published().filter(featured=featured).values_list("pk"))
        assert body["count"] and {(q["id"],) for q in body["results"]} == expected


def test_it_drops_the_last_filter_with_a_link_to_the_bare_list(client, small_corpus):
    html = client.get("/quotes/?speaker=lei-jun").content.decode()
    assert '<a href="/quotes/" title="Remove this filter">Speaker: Lei Jun' in html


def test_it_renders_the_filter_form_as_a_get_form(client, small_corpus):
    html = client.get("/quotes/").content.decode()
    assert re.search(r'<form class="filters" method="get" action="/quotes/"', html)
    assert 'type="checkbox" name="theme" value="focus"' in html
    for name in ("speaker", "source", "kind", "year_min", "year_max", "featured", "q"):
        assert f'name="{name}"' in html


def test_it_lists_quotes_in_bounded_queries(client, small_corpus, django_assert_max_num_queries):
    more_quotes(small_corpus.p_focus, 30, themes=[small_corpus.focus, small_corpus.pricing])
    # +3: the content version and the select sizes (at most 201 ids read each)
    with django_assert_max_num_queries(10):
        assert client.get("/quotes/").status_code == 200
    # Choices for 3 selects, 2 lookups to validate, 2 alias lookups per word, count, rows,
    # themes, chips: a constant, whatever the number of quotes.
    # +3: the content version and the select sizes (at most 201 ids read each)
    with django_assert_max_num_queries(16):
        query = "/quotes/?theme=focus&theme=pricing&theme_match=any&q=sentence+here&speaker=lei-jun"
        assert client.get(query).status_code == 200


# --- detail -------------------------------------------------------------------------------


def test_it_shows_a_quote_with_its_context_and_citation(client, small_corpus):
    q = small_corpus.q_focus
    response = client.get(f"/quotes/{q.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    escaped = "We focus on a few products &amp; make each one great."
    assert f"<mark>{escaped}</mark>" in html
    assert 'id="p-3"' in html
    assert "Millet is about being the best" in html  # the rest of the passage
    assert 'href="/people/lei-jun/">Lei Jun</a>' in html
    assert "“lei jun:”" in html  # the attribution as written
    assert 'href="/themes/focus/">Focus</a>' in html
    assert "Said when Xiaomi sold only a handful of phone models." in html
    assert 'href="/sources/lei-jun-on-focus/#p-3"' in html
    assert f'href="http://testserver/quotes/{q.pk}/"' in html  # the permalink
    chicago = re.search(r'<p class="citation" id="cite-chicago">(.*?)</p>', html, re.S).group(1)
    for part in ("Lei Jun", "Lei Jun on focus", "Fortune", "2014", "¶ 3"):
        assert part in chicago


def test_it_is_404_for_a_draft_quote_for_readers(client, small_corpus):
    assert client.get(f"/quotes/{small_corpus.q_draft.pk}/").status_code == 404


def test_it_shows_a_draft_quote_to_staff_with_a_banner(staff_client, small_corpus):
    response = staff_client.get(f"/quotes/{small_corpus.q_draft.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="banner banner-draft"' in html
    assert '<mark class="draft">we just listen to users.</mark>' in html


def test_it_has_no_banner_on_a_published_quote(staff_client, small_corpus):
    html = staff_client.get(f"/quotes/{small_corpus.q_focus.pk}/").content.decode()
    assert "banner-draft" not in html


def test_it_is_404_for_an_unknown_quote(client, small_corpus):
    assert client.get("/quotes/999999/").status_code == 404


def test_it_shows_a_quote_in_bounded_queries(client, small_corpus, django_assert_max_num_queries):
    # The quote with its passage and themes, then the related quotes (ids sharing a theme,
    # ids by the same speaker, rows, themes). +1: the content version (kb.cache)
    with django_assert_max_num_queries(7):
        assert client.get(f"/quotes/{small_corpus.q_essay.pk}/").status_code == 200


class TestSeedCorpus:
    """Seed checks: the real corpus loaded by ``load_seed_corpus``."""

    def test_it_lists_the_seed_quotes(self, client, corpus, django_assert_max_num_queries):
        # +3: the content version and the select sizes (at most 201 ids read each)
        with django_assert_max_num_queries(10):
            response = client.get("/quotes/")
        assert response.status_code == 200
        assert response.context["page"].paginator.count == Quote.objects.published().count() > 0

    def test_it_marks_every_seed_quote_in_its_context(
        self, client, corpus, django_assert_max_num_queries
    ):
        from django.utils.html import escape

        for quote in Quote.objects.published().select_related("source", "passage"):
            # +1: the content version (kb.cache)
            with django_assert_max_num_queries(7):
                response = client.get(quote.get_absolute_url())
            assert response.status_code == 200
            html = response.content.decode()
            assert f"<mark>{escape(quote.text)}</mark>" in html
            assert f'href="{quote.source.get_absolute_url()}#p-{quote.passage.number}"' in html

    def test_it_filters_the_seed_quotes_by_theme(self, client, corpus):
        response = client.get("/quotes/?theme=focus")
        assert response.status_code == 200
        assert all("focus" in {t.slug for t in q.themes.all()} for q in response.context["quotes"])


class TestRelatedQuotes:
    def test_it_lists_published_quotes_sharing_a_theme_or_the_speaker(self, client, corpus):
        from kb.models import Quote

        quote = Quote.objects.published().filter(themes__slug="sincerity").first()
        response = client.get(quote.get_absolute_url())
        related = response.context["related"]
        assert 0 < len(related) <= 5
        themes = set(quote.themes.values_list("pk", flat=True))
        for other in related:
            assert other.pk != quote.pk and other.is_published
            shares_theme = themes & set(other.themes.values_list("pk", flat=True))
            assert shares_theme or other.speaker_id == quote.speaker_id
        assert "Related quotes" in response.content.decode()
        assert related[0].themes.filter(pk__in=themes).exists()

    def test_drafts_are_never_related(self, client, corpus):
        from kb.models import Quote, Status

        quote = Quote.objects.published().first()
        Quote.objects.exclude(pk=quote.pk).update(status=Status.DRAFT)
        response = client.get(quote.get_absolute_url())
        assert response.context["related"] == []


def test_it_groups_the_digits_of_large_counts(client, small_corpus):
    # 1,200 quotes in one go (bulk_create: 1,200 saves would take seconds); the database's
    # own triggers index them for the search page.
    words = [f"Grouped sentence {i} is here." for i in range(1200)]
    source, (passage,) = build_source(
        "Many grouped sentences",
        [("lei", False, " ".join(words))],
        speakers={"lei": small_corpus.p_focus.speaker},
        kind="article",
        year=2013,
    )
    Quote.objects.bulk_create(
        Quote(text=w, source=source, passage=passage, start=start, end=end, status="published")
        for w in words
        for start, end in [span(passage, w)]
    )
    html = client.get("/quotes/").content.decode()
    assert "1,203 quotes · page 1 of 50" in html and "these 1,203 quotes" in html
    html = client.get("/search/?q=grouped&type=quote").content.decode()
    assert '<span class="count">1,200</span>' in html
    assert "1,200 quotes for “grouped”" in html


def test_a_very_long_query_is_bounded_in_the_form_and_its_chip(client, small_corpus):
    long = "price " * 2000  # 12,000 characters
    html = client.get("/quotes/", {"q": long}).content.decode()
    assert re.search(r'<input type="text" name="q" value="[^"]*" maxlength="500"', html)
    chip = re.search(r'title="Remove this filter">(Words: [^<]*) <span', html).group(1)
    assert len(chip) <= 120 and chip.endswith("…")
