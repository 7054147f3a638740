"""CSV and JSON Lines exports of a filtered quote list."""

import csv
import io
import json
import re
from html import unescape

import pytest
from django.http import StreamingHttpResponse
from factories import build_source, make_claim, make_quote, more_quotes, small_corpus_fixture  # noqa: F401

from kb.exports import COLUMNS
from kb.models import Principle, Quote

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")


def body(response) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()


def csv_rows(response) -> list[dict]:
    # The export starts with a BOM (for Excel): utf-8-sig reads it as spreadsheets do.
    text = body(response)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


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
    assert focus["passage_url"] == "http://testserver/sources/lei-jun-on-focus/p/3/"
    assert int(focus["start"]) == c.q_focus.start and int(focus["end"]) == c.q_focus.end
    assert focus["said_on"].startswith("2014") and focus["attribution_status"] == "confirmed"
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
        assert row["passage_url"].endswith(f"/sources/fortune-interview-2014/p/{passage.number}/")
        assert client.get(row["passage_url"]).status_code == 200
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


# Issue #21: BOM, permalinks, offsets, principles, W3C Web Annotations ----------------------


def test_it_leaves_the_bom_out_on_request(client, small_corpus):
    text = body(client.get("/quotes/export.csv?bom=0"))
    assert text.startswith("id,url,text,")
    assert "\ufeff" not in text
    # Excel reads the BOM'd bytes as UTF-8: the typographic apostrophe survives.
    Quote.objects.filter(pk=small_corpus.q_price.pk).update(attribution="he said ’¶")
    raw = b"".join(client.get("/quotes/export.csv").streaming_content)
    assert raw.startswith(b"\xef\xbb\xbfid,")
    assert "he said ’¶" in raw.decode("utf-8-sig")


def test_its_offsets_index_the_source_text(client, small_corpus):
    for row in jsonl_rows(client.get("/quotes/export.jsonl")):
        quote = Quote.objects.select_related("source").get(pk=row["id"])
        assert quote.source.text[row["start"] : row["end"]] == row["text"]


def test_it_exports_disputed_quotes_to_no_one_as_his_words(client, small_corpus):
    Quote.objects.filter(pk=small_corpus.q_price.pk).update(
        attribution_status="misattributed", attribution_evidence="A 2019 meme."
    )
    ids = {r["id"] for r in jsonl_rows(client.get("/quotes/export.jsonl"))}
    assert small_corpus.q_price.pk not in ids and small_corpus.q_focus.pk in ids


def test_it_exports_principles_with_their_claims_and_evidence(client, small_corpus):
    response = client.get("/principles/export.csv")
    assert response["Content-Disposition"] == 'attachment; filename="principles.csv"'
    rows = csv_rows(response)
    # The draft principle is not for readers; the published one has two claims, in order.
    assert [r["claim"] for r in rows] == [
        "Keep the product line small.",
        "Focus is the first of the seven words.",
    ]
    first = rows[0]
    assert first["principle"] == "Do few things well" and first["themes"] == "focus"
    assert first["evidence"] == "We focus on a few products"
    assert first["passage_url"] == "http://testserver/sources/lei-jun-on-focus/p/3/"
    assert (
        small_corpus.interview.text[int(first["start"]) : int(first["end"])] == (first["evidence"])
    )
    jsonl = jsonl_rows(client.get("/principles/export.jsonl"))
    assert [r["claim_id"] for r in jsonl] == [int(r["claim_id"]) for r in rows]
    assert jsonl[1]["source_year"] == 2011


def test_it_exports_draft_principles_to_staff(staff_client, small_corpus):
    rows = jsonl_rows(staff_client.get("/principles/export.jsonl"))
    assert {r["principle_status"] for r in rows} == {"published", "draft"}


def test_the_principles_export_keeps_to_a_few_queries(
    client, small_corpus, django_assert_max_num_queries
):
    for n in range(20):
        principle = Principle.objects.create(title=f"P {n}", status="published")
        make_claim(principle, 1, "A claim.", small_corpus.p_focus, "make each one great")
    with django_assert_max_num_queries(6):
        rows = jsonl_rows(client.get("/principles/export.jsonl"))
    assert len(rows) == 22


def check_annotation(item: dict) -> None:
    """The W3C Web Annotation Data Model's MUSTs for what we write (§3.1, 4.2.4, 4.2.6)."""
    assert item["type"] == "Annotation"
    assert item["id"].startswith("http")
    assert item["motivation"] in {"highlighting", "commenting", "tagging", "identifying"}
    target = item["target"]
    assert target["source"].startswith("http")
    selectors = {s["type"]: s for s in target["selector"]}
    assert set(selectors) == {"TextQuoteSelector", "TextPositionSelector"}
    quote = selectors["TextQuoteSelector"]
    assert isinstance(quote["exact"], str) and quote["exact"]
    assert isinstance(quote["prefix"], str) and isinstance(quote["suffix"], str)
    position = selectors["TextPositionSelector"]
    assert isinstance(position["start"], int) and isinstance(position["end"], int)
    assert 0 <= position["start"] <= position["end"]
    for body_item in item.get("body", []):
        assert body_item["type"] == "TextualBody" and isinstance(body_item["value"], str)


def test_it_exports_quotes_as_w3c_web_annotations(client, small_corpus):
    response = client.get("/quotes/export.annotations.jsonld?theme=focus")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    collection = json.loads(body(response))
    assert collection["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert collection["type"] == "AnnotationCollection"
    page = collection["first"]
    assert page["type"] == "AnnotationPage"
    items = page["items"]
    assert {item["id"] for item in items} == {
        f"http://testserver/quotes/{small_corpus.q_focus.pk}/",
        f"http://testserver/quotes/{small_corpus.q_essay.pk}/",
    }
    for item in items:
        check_annotation(item)
        pk = int(item["id"].rstrip("/").rsplit("/", 1)[1])
        quote = Quote.objects.select_related("source").get(pk=pk)
        text = quote.source.text
        selectors = {s["type"]: s for s in item["target"]["selector"]}
        position, words = selectors["TextPositionSelector"], selectors["TextQuoteSelector"]
        assert text[position["start"] : position["end"]] == words["exact"] == quote.text
        assert text[: position["start"]].endswith(words["prefix"])
        assert text[position["end"] :].startswith(words["suffix"])
        assert len(words["prefix"]) == min(32, quote.start)
        assert item["target"]["source"] == f"http://testserver{quote.source.get_absolute_url()}"
    focus = next(i for i in items if i["id"].endswith(f"/{small_corpus.q_focus.pk}/"))
    assert {"type": "TextualBody", "purpose": "identifying", "value": "Lei Jun"} in focus["body"]
    assert focus["target"]["scope"] == "https://example.com/fortune/lei-jun"


def test_the_annotation_offsets_count_code_points(client, small_corpus):
    lei = small_corpus.lei
    source, (passage,) = build_source(
        "雷军谈专注",
        [("lei", False, "🚀 前言。我们只做少数几款产品，把每一款都做好。")],
        speakers={"lei": lei},
        year=2015,
    )
    make_quote(passage, "我们只做少数几款产品", speaker=lei)
    items = json.loads(body(client.get(f"/quotes/export.annotations.jsonld?source={source.slug}")))
    (item,) = items["first"]["items"]
    check_annotation(item)
    selectors = {s["type"]: s for s in item["target"]["selector"]}
    assert selectors["TextPositionSelector"] == {
        "type": "TextPositionSelector",
        "start": 5,
        "end": 15,
    }
    assert selectors["TextQuoteSelector"]["prefix"] == "🚀 前言。"


def test_the_annotation_export_answers_400_for_invalid_filters(client, small_corpus):
    response = client.get("/quotes/export.annotations.jsonld?year=abc")
    assert response.status_code == 400 and "year=abc" in response.content.decode()
