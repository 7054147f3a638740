"""CSV and JSON Lines exports of a filtered quote list."""

import csv
import io
import json
import re
from html import unescape

import pytest
from django.http import StreamingHttpResponse
from factories import more_quotes, small_corpus_fixture  # noqa: F401

from kb.exports import COLUMNS
from kb.models import Quote

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")


def body(response) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body(response))))


def jsonl_rows(response) -> list[dict]:
    return [json.loads(line) for line in body(response).splitlines()]


def test_it_exports_published_quotes_as_csv(client, small_corpus):
    response = client.get("/quotes/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="quotes.csv"'
    rows = csv_rows(response)
    c = small_corpus
    assert {int(r["id"]) for r in rows} == {c.q_focus.pk, c.q_price.pk, c.q_essay.pk}
    focus = next(r for r in rows if int(r["id"]) == c.q_focus.pk)
    assert list(focus) == COLUMNS
    assert focus["text"] == c.q_focus.text
    assert focus["url"] == f"http://testserver/quotes/{c.q_focus.pk}/"
    assert focus["speaker"] == "Lei Jun"
    assert focus["themes"] == "focus"
    assert focus["source"] == "Lei Jun on focus"
    assert focus["source_year"] == "2014"
    assert focus["original_url"] == "https://example.com/fortune/lei-jun"
    assert focus["paragraph"] == "3"
    assert focus["passage_url"] == "http://testserver/sources/lei-jun-on-focus/#p-3"
    assert focus["featured"] == "true" and focus["status"] == "published"


def test_it_exports_the_same_quotes_as_jsonl(client, small_corpus):
    response = client.get("/quotes/export.jsonl?theme=focus")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jsonl; charset=utf-8"
    rows = jsonl_rows(response)
    assert {r["id"] for r in rows} == {small_corpus.q_focus.pk, small_corpus.q_essay.pk}
    essay = next(r for r in rows if r["id"] == small_corpus.q_essay.pk)
    assert essay["themes"] == ["focus", "pricing"]
    assert essay["source_year"] == 2011 and essay["featured"] is False
    assert essay["original_url"] == ""


def test_it_names_the_paragraph_number_paragraph_not_passage(client, corpus):
    # The API's "passage" is the passage's id; the export's ¶ number must not share its name.
    query = "source=fortune-interview-2014"
    rows = jsonl_rows(client.get(f"/quotes/export.jsonl?{query}"))
    header = next(csv.reader(io.StringIO(body(client.get(f"/quotes/export.csv?{query}")))))
    assert "paragraph" in header and "passage" not in header
    assert rows and all("passage" not in row for row in rows)
    quotes = Quote.objects.select_related("passage").in_bulk([row["id"] for row in rows])
    assert any(quote.passage.number != quote.passage_id for quote in quotes.values())
    for row in rows:
        passage = quotes[row["id"]].passage
        assert row["paragraph"] == passage.number
        assert row["passage_url"].endswith(f"/sources/fortune-interview-2014/#p-{passage.number}")
        assert client.get(f"/api/quotes/{row['id']}/").json()["passage"] == passage.pk


@pytest.mark.parametrize(
    "query",
    ["theme=focus", "theme=focus&theme=pricing&theme_match=any", "year_min=2012", "q=sincerity"],
)
def test_it_exports_exactly_the_filtered_list(client, small_corpus, query):
    listed = {q.pk for q in client.get(f"/quotes/?{query}").context["quotes"]}
    exported = {r["id"] for r in jsonl_rows(client.get(f"/quotes/export.jsonl?{query}"))}
    assert exported == listed


def test_it_keeps_the_list_order(client, small_corpus):
    listed = [q.pk for q in client.get("/quotes/?ordering=oldest").context["quotes"]]
    exported = [int(r["id"]) for r in csv_rows(client.get("/quotes/export.csv?ordering=oldest"))]
    assert exported == listed


def test_it_never_exports_drafts_to_readers(client, small_corpus):
    rows = jsonl_rows(client.get("/quotes/export.jsonl"))
    assert {r["status"] for r in rows} == {"published"}
    assert small_corpus.q_draft.pk not in {r["id"] for r in rows}


def test_it_exports_drafts_to_staff_with_their_status(staff_client, small_corpus):
    draft = small_corpus.q_draft.pk
    rows = jsonl_rows(staff_client.get("/quotes/export.jsonl"))
    assert next(r for r in rows if r["id"] == draft)["status"] == "draft"


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize(
    "query, named",
    [
        ("year=abc", "year=abc"),
        ("theme=nope", "theme=nope"),
        ("ordering=random", "ordering=random"),
        ("speaker=nobody&kind=poem", "kind=poem"),
    ],
)
def test_it_answers_400_in_plain_text_for_invalid_filters(client, small_corpus, fmt, query, named):
    response = client.get(f"/quotes/export.{fmt}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert text.startswith("These filters are not valid, so nothing was exported:")
    assert f"- {named}: " in text


def test_it_ignores_the_page_parameter(client, small_corpus):
    more_quotes(small_corpus.p_focus, 25)
    rows = csv_rows(client.get("/quotes/export.csv?page=2"))
    assert len(rows) == Quote.objects.published().count() == 28


def test_it_guards_csv_cells_against_formulas(client, small_corpus):
    Quote.objects.filter(pk=small_corpus.q_price.pk).update(attribution="=HYPERLINK(1)")
    rows = csv_rows(client.get("/quotes/export.csv"))
    price = next(r for r in rows if int(r["id"]) == small_corpus.q_price.pk)
    assert price["attribution"] == "'=HYPERLINK(1)"
    jsonl = jsonl_rows(client.get("/quotes/export.jsonl"))
    assert next(r for r in jsonl if r["id"] == small_corpus.q_price.pk)["attribution"] == (
        "=HYPERLINK(1)"
    )


def test_it_refuses_post(client, small_corpus):
    assert client.post("/quotes/export.csv").status_code == 405


def test_it_streams_a_large_export_in_constant_queries(
    client, small_corpus, django_assert_max_num_queries
):
    more_quotes(small_corpus.p_focus, 60, themes=[small_corpus.focus])
    with django_assert_max_num_queries(12):
        rows = jsonl_rows(client.get("/quotes/export.jsonl?theme=focus"))
    assert len(rows) == 62


def test_the_quote_list_links_to_the_exports_with_its_filters(client, small_corpus):
    html = unescape(client.get("/quotes/?theme=focus&year_min=2000&page=1").content.decode())
    links = re.findall(r'href="(/quotes/export\.[a-z]+[^"]*)"', html)
    assert links == [
        "/quotes/export.csv?theme=focus&year_min=2000",
        "/quotes/export.jsonl?theme=focus&year_min=2000",
    ]


def test_the_quote_list_has_no_export_links_for_invalid_filters(client, small_corpus):
    assert "export.csv" not in client.get("/quotes/?year=abc").content.decode()
