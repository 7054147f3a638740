"""The researchers' API: citations, exports, tokens, throttling, HTTP caching, the schema."""

import csv
import io
import json
import re

import pytest
import yaml
from api_factories import PATHS, fresh_throttle_fixture, small_corpus_fixture  # noqa: F401
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.http import StreamingHttpResponse
from django.test import Client
from rest_framework.authtoken.models import Token

from kb import citations
from kb.api.throttling import parse_rate
from kb.exports import COLUMNS
from kb.filters import QuoteFilter, SourceFilter
from kb.models import Quote, Source, Status

STYLES = ["csl-json", "bibtex", "apa", "chicago"]


def get_json(client, url, status=200, headers=None, **params):
    response = client.get(url, params, **(headers or {}))
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def streamed(response) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()


@pytest.fixture
def staff_token(django_user_model):
    user = django_user_model.objects.create_user("researcher", is_staff=True)
    return {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=user).key}"}


# --- citations -------------------------------------------------------------------------


def test_it_cites_a_source_in_every_style(client, small_corpus):
    source = Source.objects.get(slug="lei-jun-on-focus")
    expected = {
        "apa": citations.apa(source),
        "chicago": citations.chicago(source),
        "bibtex": citations.bibtex(source),
        "csl-json": citations.csl_item(source),
    }
    for style in STYLES:
        body = get_json(client, "/api/sources/lei-jun-on-focus/cite/", style=style)
        cite = {"cite_item": {"id": "lei-jun-on-focus"}} if style == "csl-json" else {}
        assert body == {"style": style, "citation": expected[style], **cite}
    item = get_json(client, "/api/sources/lei-jun-on-focus/cite/", style="csl-json")["citation"]
    assert item["title"] == "Lei Jun on focus" and item["type"] == "interview"
    assert item["issued"] == {"date-parts": [[2014, 6, 1]]}
    assert "locator" not in item  # a whole source has no paragraph
    assert body["citation"].startswith("A. Journalist, ")  # chicago, the last one asked


def test_it_cites_csl_json_by_default(client, small_corpus):
    body = get_json(client, "/api/sources/speed-essay/cite/")
    assert body["style"] == "csl-json" and body["citation"]["id"] == "speed-essay"


def test_it_cites_a_quote_with_its_paragraph(client, small_corpus):
    quote = small_corpus.focus_quote  # in the second passage
    url = f"/api/quotes/{quote.pk}/cite/"
    apa = get_json(client, url, style="apa")
    assert apa["citation"] == citations.apa(quote) and "Para. 2." in apa["citation"]
    bibtex = get_json(client, url, style="bibtex")["citation"]
    assert bibtex.startswith(f"@misc{{lei-jun-on-focus-p2-q{quote.pk},") and "¶ 2" in bibtex
    item = get_json(client, url, style="csl-json")["citation"]
    assert "locator" not in item and "label" not in item  # a cite's, not the item's
    cite = get_json(client, url, style="csl-json")["cite_item"]
    assert cite == {"id": item["id"], "locator": "2", "label": "paragraph"}
    assert "cite_item" not in get_json(client, url, style="apa")
    assert item["author"] == [{"family": "Lei", "given": "Jun"}]  # the interviewee
    assert item["interviewer"] == [{"family": "Journalist", "given": "A."}]  # who asks
    assert "Lei Jun, quoted in A. Journalist" in get_json(client, url, style="chicago")["citation"]
    fragment = apa["fragment_url"]
    assert fragment == citations.text_fragment_url("https://example.com/focus", quote.text)
    assert fragment.startswith("https://example.com/focus#:~:text=Focus%20is%20the")


def test_a_quote_from_a_source_without_url_has_no_fragment_link(client, small_corpus):
    body = get_json(client, f"/api/quotes/{small_corpus.speed_quote.pk}/cite/", style="apa")
    assert body["fragment_url"] == ""
    assert body["citation"].startswith("Lei, J. (2011). Speed essay. Para. 1.")


@pytest.mark.parametrize("style", ["nope", "", "APA", "csl_json", "x" * 500])
def test_it_answers_400_naming_style_for_an_unknown_style(client, small_corpus, style):
    quote = small_corpus.focus_quote
    for url in ["/api/sources/speed-essay/cite/", f"/api/quotes/{quote.pk}/cite/"]:
        body = get_json(client, url, status=400, style=style)
        assert list(body) == ["style"] and "csl-json" in body["style"][0]


def test_format_stays_the_renderers_parameter(client, small_corpus):
    # ?format= picks a renderer (json), never a citation style; an unknown one is a 404.
    body = get_json(client, "/api/sources/speed-essay/cite/", format="json", style="apa")
    assert body["style"] == "apa"
    get_json(client, "/api/sources/speed-essay/cite/", status=404, format="bibtex")


def test_it_hides_draft_quotes_citations_from_readers_only(staff_client, small_corpus):
    url = f"/api/quotes/{small_corpus.draft_quote.pk}/cite/"
    assert "detail" in get_json(Client(), url, status=404)
    assert get_json(staff_client, url, style="apa")["style"] == "apa"
    get_json(Client(), "/api/sources/no-such-source/cite/", status=404)
    get_json(Client(), "/api/quotes/999999/cite/", status=404)


def test_list_filters_do_not_narrow_a_citation(client, small_corpus):
    url = f"/api/quotes/{small_corpus.speed_quote.pk}/cite/"
    assert get_json(client, url, theme="focus", year="abc")["style"] == "csl-json"


def test_it_cites_in_a_bounded_number_of_queries(
    client, small_corpus, django_assert_max_num_queries
):
    with django_assert_max_num_queries(2):
        get_json(client, f"/api/quotes/{small_corpus.focus_quote.pk}/cite/", style="bibtex")
    with django_assert_max_num_queries(2):
        get_json(client, "/api/sources/lei-jun-on-focus/cite/", style="apa")


# --- exports ---------------------------------------------------------------------------


def test_it_exports_the_filtered_quotes_as_csv(client, small_corpus):
    response = client.get("/api/quotes/export.csv", {"theme": "users-as-friends"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="quotes.csv"'
    # The CSV starts with a BOM for Excel (kb.exports): read it as spreadsheets do.
    rows = list(csv.DictReader(io.StringIO(streamed(response).removeprefix("\ufeff"))))
    assert {int(r["id"]) for r in rows} == {
        small_corpus.friends_quote.pk,
        small_corpus.price_quote.pk,
    }
    assert list(rows[0]) == COLUMNS
    # Exactly the page export's bytes (the same code, kb.exports).
    page = client.get("/quotes/export.csv", {"theme": "users-as-friends"})
    assert streamed(client.get("/api/quotes/export.csv?theme=users-as-friends")) == streamed(page)


def test_it_exports_the_filtered_quotes_as_json_lines(client, small_corpus):
    response = client.get("/api/quotes/export.jsonl", {"kind": "essay"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jsonl; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="quotes.jsonl"'
    (row,) = [json.loads(line) for line in streamed(response).splitlines()]
    assert list(row) == COLUMNS
    assert row["id"] == small_corpus.speed_quote.pk and row["themes"] == []


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_it_exports_whatever_the_accept_header(client, small_corpus, fmt):
    for accept in ["text/csv", "application/jsonl", "text/html", "image/png"]:
        response = client.get(f"/api/quotes/export.{fmt}", HTTP_ACCEPT=accept)
        assert response.status_code == 200
        assert len(streamed(response).splitlines()) == (5 if fmt == "csv" else 4)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize(
    "params, name",
    [
        ({"year": "abc"}, "year"),
        ({"theme": "no-such-theme"}, "theme"),
        ({"ordering": "random"}, "ordering"),
        ({"speaker": "nobody"}, "speaker"),
        ({"q": "a\x00b"}, "q"),
    ],
)
def test_it_answers_400_json_for_invalid_export_filters(client, small_corpus, fmt, params, name):
    response = client.get(f"/api/quotes/export.{fmt}", params, HTTP_ACCEPT="text/csv")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert list(body) == [name] and body[name]


def test_it_ignores_unknown_and_page_parameters_in_exports(client, small_corpus):
    response = client.get("/api/quotes/export.jsonl", {"colour": "blue", "page": "99"})
    assert response.status_code == 200
    assert len(streamed(response).splitlines()) == 4


def test_it_exports_drafts_to_staff_by_session_or_token(staff_client, small_corpus, staff_token):
    client = Client()
    draft = small_corpus.draft_quote.pk

    def ids(c, **headers):
        response = c.get("/api/quotes/export.jsonl", **headers)
        return {json.loads(line)["id"] for line in streamed(response).splitlines()}

    assert draft not in ids(client)
    assert draft in ids(staff_client)
    assert draft in ids(client, **staff_token)


def test_it_refuses_to_change_exports(client, small_corpus):
    assert client.post("/api/quotes/export.csv").status_code == 405


# --- who sees drafts -------------------------------------------------------------------


def test_a_staff_token_sees_drafts(client, small_corpus, staff_token):
    draft = small_corpus.draft_quote
    assert get_json(client, f"/api/quotes/{draft.pk}/", headers=staff_token)["status"] == "draft"
    ids = {row["id"] for row in get_json(client, "/api/quotes/", headers=staff_token)["results"]}
    assert draft.pk in ids
    passage = get_json(client, f"/api/passages/{draft.passage_id}/", headers=staff_token)
    assert draft.pk in passage["quotes"]
    get_json(client, "/api/principles/unfinished-idea/", headers=staff_token)


def test_anonymous_clients_and_non_staff_tokens_never_see_drafts(
    client, small_corpus, django_user_model
):
    draft = small_corpus.draft_quote
    assert draft.pk not in get_json(client, f"/api/passages/{draft.passage_id}/")["quotes"]
    user = django_user_model.objects.create_user("reader")
    headers = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=user).key}"}
    get_json(client, f"/api/quotes/{draft.pk}/", status=404, headers=headers)
    ids = {row["id"] for row in get_json(client, "/api/quotes/", headers=headers)["results"]}
    assert draft.pk not in ids and len(ids) == 4


def test_an_unknown_token_is_a_401(client, small_corpus):
    response = client.get("/api/quotes/", HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert set(response.json()) == {"detail"}


# --- throttling ------------------------------------------------------------------------


def test_it_throttles_anonymous_clients_at_the_configured_rate(client, settings, small_corpus):
    settings.KB_API_ANON_RATE = "3/min"
    for _ in range(3):
        assert client.get("/api/themes/").status_code == 200
    response = client.get("/api/quotes/")
    assert response.status_code == 429
    assert set(response.json()) == {"detail"}
    assert int(response["Retry-After"]) > 0
    assert "no-store" in response["Cache-Control"]
    # Another client (another address) has its own allowance.
    assert client.get("/api/themes/", REMOTE_ADDR="192.0.2.7").status_code == 200


def test_a_forged_forwarded_for_header_gets_no_new_allowance(client, settings, small_corpus):
    settings.KB_API_ANON_RATE = "2/min"
    for _ in range(2):
        assert client.get("/api/themes/").status_code == 200
    forged = client.get("/api/themes/", HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert forged.status_code == 429


def test_behind_a_proxy_each_forwarded_client_has_its_own_allowance(client, settings, small_corpus):
    settings.KB_API_ANON_RATE = "2/min"
    settings.KB_NUM_PROXIES = 1
    for _ in range(2):
        assert client.get("/api/themes/", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 200
    assert client.get("/api/themes/", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    # Another reader behind the same proxy; a forged first entry does not help the first.
    assert client.get("/api/themes/", HTTP_X_FORWARDED_FOR="198.51.100.9").status_code == 200
    forged = client.get("/api/themes/", HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.5")
    assert forged.status_code == 429


def test_it_never_throttles_staff(staff_client, staff_token, settings, small_corpus):
    settings.KB_API_ANON_RATE = "1/min"
    for _ in range(3):
        assert staff_client.get("/api/themes/").status_code == 200
        assert Client().get("/api/themes/", **staff_token).status_code == 200


def test_it_reads_the_rate_at_request_time(client, settings, small_corpus):
    settings.KB_API_ANON_RATE = ""  # no limit
    for _ in range(5):
        assert client.get("/api/themes/").status_code == 200
    settings.KB_API_ANON_RATE = "5/hour"  # the five above were not counted
    for _ in range(5):
        assert client.get("/api/themes/").status_code == 200
    assert client.get("/api/themes/").status_code == 429


def test_the_default_rate_is_120_a_minute(settings):
    assert settings.KB_API_ANON_RATE == "120/min"
    assert parse_rate(settings.KB_API_ANON_RATE) == (120, 60)


@pytest.mark.parametrize(
    "rate, parsed",
    [
        ("120/min", (120, 60)),
        ("5/s", (5, 1)),
        ("1000/hour", (1000, 3600)),
        ("10000/day", (10000, 86400)),
        ("", (None, None)),
        (None, (None, None)),
        ("off", (None, None)),
    ],
)
def test_it_parses_rates(rate, parsed):
    assert parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["lots", "10", "10/fortnight", "-1/min", "ten/min"])
def test_it_refuses_a_malformed_rate(rate):
    with pytest.raises(ImproperlyConfigured, match="KB_API_ANON_RATE"):
        parse_rate(rate)


# --- HTTP caching ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/",
        "/api/quotes/",
        "/api/quotes/?theme=focus",
        "/api/sources/lei-jun-on-focus/",
        "/api/sources/lei-jun-on-focus/cite/?style=bibtex",
        "/api/themes/focus/",
        "/api/search/?q=friends",
        "/api/schema/",
    ],
)
def test_anonymous_answers_are_public_for_a_minute_with_an_etag(client, small_corpus, url):
    response = client.get(url)
    assert response.status_code == 200
    assert set(response["Cache-Control"].split(", ")) == {"public", "max-age=60"}
    etag = response["ETag"]
    assert re.fullmatch(r'"[0-9a-f]+"', etag)
    assert client.get(url)["ETag"] == etag  # computed from the content: stable
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag and "max-age=60" in again["Cache-Control"]
    assert client.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_the_etag_changes_with_the_content(client, small_corpus):
    etag = client.get("/api/quotes/")["ETag"]
    # Through the model, as the admin and the curation functions write (kb.cache: a bare
    # QuerySet.update() would not renew the content version).
    quote = Quote.objects.get(pk=small_corpus.draft_quote.pk)
    quote.status = Status.PUBLISHED
    quote.save()
    response = client.get("/api/quotes/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] != etag


def test_staff_answers_are_never_stored(staff_client, small_corpus, staff_token):
    client = Client()
    for response in [
        staff_client.get("/api/quotes/"),
        client.get("/api/quotes/", **staff_token),
        client.get("/api/quotes/export.csv", **staff_token),
    ]:
        assert response.status_code == 200
        assert set(response["Cache-Control"].split(", ")) == {"private", "no-store"}
        assert not response.has_header("ETag")
        assert "Authorization" in response["Vary"] and "Cookie" in response["Vary"]


def test_errors_and_exports_carry_cache_headers_too(client, small_corpus):
    missing = client.get("/api/quotes/999999/")
    assert missing.status_code == 404 and "max-age=60" in missing["Cache-Control"]
    export = client.get("/api/quotes/export.csv")
    assert export.status_code == 200 and "public" in export["Cache-Control"]
    assert not export.has_header("ETag")  # streamed: no body to hash


# --- the schema and its docs -----------------------------------------------------------


@pytest.fixture
def openapi(client, db):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_it_serves_an_openapi_3_schema_in_yaml_and_json(client, openapi):
    assert openapi["openapi"].startswith("3.")
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert yaml.safe_load(response.content) == openapi


def test_the_schema_lists_every_endpoint(openapi):
    assert set(openapi["paths"]) == set(PATHS)
    assert all(set(operations) == {"get"} for operations in openapi["paths"].values())


def query_parameters(openapi, path) -> set[str]:
    parameters = openapi["paths"][path]["get"].get("parameters", [])
    return {p["name"] for p in parameters if p["in"] == "query"}


def test_the_schema_documents_the_filtersets_parameters(openapi):
    quote_filters = set(QuoteFilter.base_filters)
    assert quote_filters == {
        "theme",
        "theme_match",
        "speaker",
        "source",
        "kind",
        "year",
        "year_min",
        "year_max",
        "featured",
        "q",
        "ordering",
    }
    assert query_parameters(openapi, "/api/quotes/") == quote_filters | {"page", "page_size"}
    assert query_parameters(openapi, "/api/quotes/export.csv") == quote_filters
    assert query_parameters(openapi, "/api/quotes/export.jsonl") == quote_filters
    assert query_parameters(openapi, "/api/sources/") == set(SourceFilter.base_filters) | {
        "page",
        "page_size",
    }
    assert query_parameters(openapi, "/api/search/") == {
        "q",
        "type",
        "theme",
        "speaker",
        "source",
        "kind",
        "year",
        "page",
        "page_size",
    }
    assert query_parameters(openapi, "/api/quotes/{id}/cite/") == {"style"}
    (theme,) = [
        p for p in openapi["paths"]["/api/quotes/"]["get"]["parameters"] if p["name"] == "theme"
    ]
    assert theme["schema"]["type"] == "array" and theme["explode"] is True
    (style,) = openapi["paths"]["/api/sources/{slug}/cite/"]["get"]["parameters"][1:]
    # Any CSL style by name is a style: the description names the formats and examples.
    assert "enum" not in style["schema"]
    assert all(name in style["description"] for name in [*STYLES, "ris", "csl-yaml", "mla"])


def test_the_schema_documents_json_errors_everywhere(openapi):
    for path, operations in openapi["paths"].items():
        responses = operations["get"]["responses"]
        assert {"200", "400", "404", "429"} <= set(responses), path
        for code in ["400", "401", "404", "429"]:
            assert list(responses[code]["content"]) == ["application/json"], (path, code)
    export = openapi["paths"]["/api/quotes/export.csv"]["get"]["responses"]["200"]
    assert list(export["content"]) == ["text/csv"]
    jsonl = openapi["paths"]["/api/quotes/export.jsonl"]["get"]["responses"]["200"]
    assert list(jsonl["content"]) == ["application/jsonl"]


def test_the_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    assert yaml.safe_load((tmp_path / "s.yml").read_text())["paths"]


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_use_local_assets_only(client, db, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    # Swagger UI's start-up script is a file of its own (the Content-Security-Policy allows no
    # inline script without a nonce): the schema's address is in it.
    setup = client.get(url, {"script": ""}) if url == "/api/docs/" else response
    assert setup["Content-Type"].startswith(("text/html", "application/javascript"))
    assert "/api/schema/" in setup.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    for asset in assets:
        assert asset.startswith("/static/drf_spectacular_sidecar/") or asset.startswith("/api/")
        if asset.startswith("/static/"):
            assert finders.find(asset.removeprefix("/static/")), asset
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()


def test_the_root_still_lists_the_resources(client, db):
    body = get_json(client, "/api/")
    assert {"sources", "quotes", "principles", "themes", "people"} <= set(body)


def test_a_cached_list_page_links_to_the_host_it_was_asked_on(client, db, settings):
    from kb.models import Theme

    Theme.objects.bulk_create(Theme(name=f"Theme {n}", slug=f"theme-{n}") for n in range(60))
    settings.ALLOWED_HOSTS = ["kb.example", "mirror.example"]
    first = client.get("/api/themes/", HTTP_HOST="kb.example").json()
    again = client.get("/api/themes/", HTTP_HOST="mirror.example").json()
    assert first["next"].startswith("http://kb.example/api/themes/?")
    assert again["next"].startswith("http://mirror.example/api/themes/?")
