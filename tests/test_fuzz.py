"""Fuzzing every public URL and API endpoint (issue #10): never a 5xx, never a logged error.

Random query strings (the real filter names and random ones; unicode, NUL, huge and
negative numbers, SQL and FTS5 syntax, invalid percent-encoding), random paths (under
every URL pattern, with the corpus's real slugs and ids or garbage) and random headers
(Accept, Accept-Language, If-None-Match, If-Modified-Since, Range, Cookie,
X-Forwarded-For, Authorization; Host from ALLOWED_HOSTS) go to the in-process test
client. Every answer must be below 500, and nothing may be logged at ERROR by Django's
request handler or the database backend. The URL list is read from the URLconf, so a new
page or endpoint is fuzzed without touching this file.

At least 10,000 requests per run (per database backend), sent in batches: each Hypothesis
example draws a few queries, headers and path fragments and sends every combination.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from contextlib import contextmanager
from urllib.parse import quote, urlencode

import pytest
from api_factories import PATHS, fresh_throttle_fixture  # noqa: F401
from django.core.cache import cache
from django.test import Client
from django.urls import URLResolver, get_resolver
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from kb.filters import QuoteFilter, SourceFilter
from kb.models import Passage, Person, Principle, Quote, Source, Theme

pytestmark = pytest.mark.django_db

REQUESTS_WANTED = 10_000
# About 90 requests an example (every route with garbage, a few with real values).
EXAMPLES = 116
REAL_PER_EXAMPLE = 6

# The query parameters the pages and the API read (every filter of the FilterSets, so a new
# filter is fuzzed too), and a few more the views, pagination and the sitemap read.
PARAMETER_NAMES = sorted(
    {*QuoteFilter.base_filters, *SourceFilter.base_filters}
    | {"page", "p", "type", "format", "cursor", "style", "limit", "offset", "page_size"}
)
NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "%00",
    "'",
    '"',
    '"unbalanced',
    "' OR 1=1 --",
    "1; DROP TABLE kb_quote; --",
    "1 UNION SELECT NULL--",
    "%_\\",
    "*",
    "NEAR(",
    "NEAR(a b, 2)",
    "^x",
    "title:x",
    "((a",
    "a))",
    "AND OR NOT",
    "-",
    "-1",
    "0",
    "1e309",
    "NaN",
    "-inf",
    "٣",  # an Arabic-Indic digit: int() reads it
    "１２",
    "9" * 40,
    "-" + "9" * 40,
    "x" * 10_000,
    "\u202e\ufeff\u200b",
    "\ud7ff",
    "🙂 雷军 小米",
    "<script>alert(1)</script>",
    "{{ x }}{% debug %}",
    "true",
    "false",
    "all",
    "any",
    "newest",
    "quote",
    "passage",
    "principle",
    "source",
    "bibtex",
    "csl-json",
    "apa",
    "json",
    "api",
    "csv",
    "yaml",
    "openapi",
]
ACCEPT = [
    "*/*",
    "text/html",
    "application/json",
    "application/json; indent=4",
    "application/json; indent=abc",
    "application/json; version=999",
    "text/html;q=0.1, application/json;q=0.9",
    "application/xml",
    "text/csv",
    "application/vnd.oai.openapi",
    "application/vnd.oai.openapi+json",
    "application/yaml",
    "garbage",
    "/",
    ";;;,,,",
    "text/*;q=abc",
]
ACCEPT_LANGUAGE = ["en", "zh-CN,zh;q=0.9", "*", "xx-YY-ZZ-123456789", ";q=", "en;q=2"]
ETAGS = ['"abc"', "*", 'W/"x"', '"', "", "garbage, *", 'W/"' + "a" * 300 + '"']
DATES = [
    "Sun, 06 Nov 1994 08:49:37 GMT",
    "Wed, 31 Dec 9999 23:59:59 GMT",
    "Thu, 01 Jan 1970 00:00:00 GMT",
    "yesterday",
    "-1",
    "Mon, 32 Foo 2020 99:99:99 GMT",
]
RANGES = ["bytes=0-10", "bytes=-5", "bytes=10-0", "bytes=a-b", "lines=1-2", "bytes=0-0,5-"]
COOKIES = [
    "sessionid=garbage",
    "sessionid=" + "x" * 40,
    "csrftoken=abc; sessionid=\x00",
    "=; ==; a=b=c",
    'sessionid="unterminated',
    "\u00e9=\u00e9",
]
FORWARDED = ["10.0.0.1", "1.2.3.4, 5.6.7.8", "garbage", "", "::1", "999.999.999.999", "a" * 300]
AUTHORIZATION = ["Token garbage", "Token ", "Bearer x", "Basic !!!", "Token " + "f" * 40]
HOSTS = ["testserver", "localhost", "127.0.0.1"]
METHODS = ["GET"] * 12 + ["HEAD"] * 2 + ["OPTIONS", "POST"]


# --- every public URL pattern, from the URLconf ------------------------------------------------


def url_patterns(patterns=None, prefix: str = ""):
    """``(name, route)`` of every URL pattern outside the admin, routes as written."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield pattern.name or "", prefix + str(pattern.pattern)


PARAMETER = re.compile(r"<(?:\w+:)?(?P<name>\w+)>|\(\?P<(?P<group>\w+)>[^)]*\)")


def route_to_path(route: str, values: dict[str, str]) -> str:
    """A concrete path for a route (``<slug:slug>`` or a regex group filled from ``values``)."""
    filled = PARAMETER.sub(lambda m: values[m.group("name") or m.group("group")], route)
    # What is left of a regex route: anchors, an escaped dot, an optional slash, ".*".
    filled = filled.replace("^", "").replace("$", "").replace("\\.", ".").replace("/?", "")
    return "/" + filled.replace(".*", "no-such-endpoint")


def model_of(name: str):
    """The model whose slugs or ids fill a pattern's parameters, from the pattern's name."""
    for word, model in (
        ("passage", Passage),
        ("source", Source),
        ("quote", Quote),
        ("principle", Principle),
        ("theme", Theme),
        ("person", Person),
    ):
        if word in name:
            return model
    return None


class Corpus:
    """The real slugs and ids of the seeded corpus, by model (for filling routes)."""

    def __init__(self):
        self.slugs = {
            model: list(model.objects.order_by("pk").values_list("slug", flat=True))
            for model in (Source, Theme, Person, Principle)
        }
        self.ids = {
            Quote: list(Quote.objects.order_by("pk").values_list("pk", flat=True)),
            Passage: list(Passage.objects.order_by("pk").values_list("pk", flat=True)),
        }
        # Passage numbers: the first ones exist in every source, the last of the longest too.
        last = max(
            Source.objects.with_counts(include_boilerplate=True).values_list(
                "passage_count", flat=True
            )
        )
        self.numbers = [1, 2, 3, last, last + 1]
        self.patterns = list(url_patterns())

    def real_values(self, name: str, pick) -> dict[str, str]:
        model = model_of(name)
        return {
            "slug": pick(self.slugs.get(model) or self.slugs[Source]),
            "pk": str(pick(self.ids.get(model) or self.ids[Quote])),
            "number": str(pick(self.numbers)),
            "format": pick(["json", "api", "csv", "yaml", "xml"]),
        }


# --- what a request is made of -----------------------------------------------------------------

values = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=30),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
)
parameter_names = st.one_of(st.sampled_from(PARAMETER_NAMES), st.text(max_size=8))
# Raw query strings too: invalid percent-encoding, bytes that are not UTF-8, odd separators.
raw_queries = st.sampled_from(
    ["%zz", "q=%ff%fe", "q=%00", "&&&=&", "page=1&page=2&page=%", "q", "=x", ";q=1", "q=%E9"]
)
query_strings = st.one_of(
    st.lists(st.tuples(parameter_names, values), max_size=4).map(
        lambda pairs: urlencode(pairs, quote_via=quote)
    ),
    raw_queries,
)
headers = st.fixed_dictionaries(
    {"HTTP_HOST": st.sampled_from(HOSTS)},
    optional={
        "HTTP_ACCEPT": st.sampled_from(ACCEPT),
        "HTTP_ACCEPT_LANGUAGE": st.sampled_from(ACCEPT_LANGUAGE),
        "HTTP_IF_NONE_MATCH": st.sampled_from(ETAGS),
        "HTTP_IF_MODIFIED_SINCE": st.sampled_from(DATES),
        "HTTP_RANGE": st.sampled_from(RANGES),
        "HTTP_COOKIE": st.sampled_from(COOKIES),
        "HTTP_X_FORWARDED_FOR": st.sampled_from(FORWARDED),
        "HTTP_X_FORWARDED_PROTO": st.sampled_from(["https", "http", "gopher"]),
        "HTTP_AUTHORIZATION": st.sampled_from(AUTHORIZATION),
    },
)
# What replaces a path parameter or is appended to a path: garbage of every kind.
path_garbage = st.one_of(
    st.sampled_from(NASTY[:34]).map(lambda text: quote(text[:200], safe="")),
    st.text(min_size=1, max_size=20).map(lambda text: quote(text, safe="")),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["%ff", "%c0%af", "..", ".", "%2e%2e", "export.csv", "cite", "p"]),
)
batches = st.fixed_dictionaries(
    {
        "queries": st.lists(query_strings, min_size=5, max_size=5),
        "headers": st.lists(headers, min_size=5, max_size=5),
        "garbage": st.lists(path_garbage, min_size=2, max_size=2),
        "methods": st.lists(st.sampled_from(METHODS), min_size=5, max_size=5),
        "random": st.randoms(use_true_random=False),
    }
)


# --- catching errors ---------------------------------------------------------------------------


class ErrorLog(logging.Handler):
    """Records what is logged at ERROR: a 5xx of the handler, a database error."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@contextmanager
def logged_errors(names=("django.request", "django.db.backends", "django.template", "kb")):
    handler = ErrorLog()
    loggers = [logging.getLogger(name) for name in names]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def send(client, method: str, path: str, query: str, meta: dict):
    url = f"{path}?{query}" if query else path
    call = getattr(client, method.lower())
    return call(url, **meta)


def describe(record: logging.LogRecord) -> str:
    return f"{record.name}: {record.getMessage()[:300]}"


# --- the fuzz test -----------------------------------------------------------------------------


def test_the_url_list_covers_every_api_endpoint_and_page(corpus):
    """The fuzzer's list comes from the URLconf: every documented API path is in it."""
    routes = {route_to_path(route, _placeholders()) for _, route in url_patterns()}
    for path in PATHS:
        assert path.replace("{slug}", "SLUG").replace("{id}", "PK") in routes, path
    for page in ("/", "/search/", "/sitemap.xml", "/feeds/quotes.atom", "/quotes/export.csv"):
        assert page in routes


def _placeholders() -> dict[str, str]:
    return {"slug": "SLUG", "pk": "PK", "number": "1", "format": "json"}


def test_it_never_answers_5xx_nor_logs_an_error_whatever_the_request(corpus, settings_):
    # The throttle stays on (its code reads X-Forwarded-For) at a rate the fuzzer cannot reach.
    settings_.KB_API_ANON_RATE = "1000000/min"
    data = Corpus()
    client = Client(raise_request_exception=False)
    sent: Counter = Counter()
    failures: list[str] = []
    visited: set[str] = set()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        # No shrinking: a failure lists the requests that failed, which says enough.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(batch=batches)
    def fuzz(batch):
        cache.clear()
        pick = batch["random"].choice
        garbage = batch["garbage"]
        # Real paths cost a page or a query each: a rotating share of the routes per example
        # (every route several times over the run). Garbage paths are cheap: every route.
        first = sent["examples"] * REAL_PER_EXAMPLE
        real_routes = {(first + i) % len(data.patterns) for i in range(REAL_PER_EXAMPLE)}
        sent["examples"] += 1
        requests = []
        for index, (name, route) in enumerate(data.patterns):
            real = data.real_values(name, pick)
            if index in real_routes:
                requests.append(route_to_path(route, real))
                visited.add(route)
            if PARAMETER.search(route):  # a parameter made of garbage
                requests.append(route_to_path(route, {k: garbage[0] for k in real}))
            # Garbage appended, under every prefix (pages and API alike).
            requests.append(route_to_path(route, real).rstrip("/") + "/" + garbage[1] + "/")
        with logged_errors() as errors:
            for number, path in enumerate(requests):
                slot = number % 5
                method = batch["methods"][slot] if number % 3 == 0 else "GET"
                query = batch["queries"][slot]
                response = send(client, method, path, query, batch["headers"][slot])
                sent[response.status_code // 100] += 1
                if response.status_code >= 500:
                    failures.append(f"{response.status_code} {method} {path}?{query[:200]}")
        failures.extend(describe(record) for record in errors)
        assert not failures, failures[:10]

    fuzz()
    total = sum(count for key, count in sent.items() if key != "examples")
    print(f"fuzz: {total} requests, by status class: {dict(sent)}")
    assert total >= REQUESTS_WANTED, sent
    assert sent[5] == 0
    assert visited == {route for _, route in data.patterns}  # every route, with real values
    # The fuzzer reached real content, not only 404s (most garbage paths are 404s).
    assert sent[2] > total // 40, sent


@pytest.fixture(name="settings_")
def settings_fixture(settings):
    """pytest-django's ``settings`` (renamed: Hypothesis's ``settings`` is used here)."""
    return settings
