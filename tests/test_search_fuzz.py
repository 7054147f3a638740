"""Any search query is safe (issue #6): a property test over thousands of hostile queries.

Random text, tantivy, FTS5 and websearch operators (``"``, ``*``, ``NEAR(``, ``^``, ``:``, unbalanced
quotes and parentheses), SQL fragments, NUL and control characters, 10,000-character
strings, mixed with the small corpus's own words so that real hits get ranked and highlighted
(tests/factories.py: small, so that thousands of searches stay fast).
Each query goes through ``kb.search.search`` and to the /search/ page,
the quote list, /api/search/ and /api/quotes/: never a server error, never a database error
logged. Every query goes to the tantivy index (built from the small corpus:
tests/search_index.py) and to the database under test (DATABASE_URL: SQLite or PostgreSQL)
for the hits' rows and the filters. The requests are counted: at least 2,000 per run.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlencode

import pytest
from api_factories import fresh_throttle_fixture  # noqa: F401
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from factories import small_corpus_fixture  # noqa: F401
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from search_index import search_index_fixture  # noqa: F401
from test_fuzz import logged_errors

from kb import search

pytestmark = pytest.mark.django_db

REQUESTS_WANTED = 2_000
EXAMPLES = 52
QUERIES_PER_EXAMPLE = 10
TARGETS = ["/search/", "/quotes/", "/api/search/", "/api/quotes/"]

WORDS = ["Millet", "Xiaomi", "price", "pricing", "sincerity", "users", "lei", "jun", "雷军"]
OPERATORS = [
    '"',
    "*",
    "NEAR(",
    "NEAR(a b, 2)",
    "^",
    ":",
    "title:",
    "(",
    ")",
    "((",
    "))",
    "OR",
    "AND",
    "NOT",
    "-",
    "--",
    "+",
    "~",
    "{",
    "}",
    "<->",
    "&",
    "|",
    "!",
    "@@",
    ":*",
    "text:",
    "key:quote:1",
    "[a TO z]",
    "~2",
    "IN [",
]
SQL = [
    "' OR 1=1 --",
    "'; DROP TABLE kb_quote; --",
    "UNION SELECT NULL, NULL--",
    "/*",
    "*/",
    "%",
    "_",
    "\\",
    "\\'",
    "''",
    "$$",
    "E'\\x00'",
]
CONTROL = ["\x00", "\x01", "\x1f", "\x7f", "\u202e", "\ufeff", "\u200b", "\ud7ff", "\U0010ffff"]
tokens = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(OPERATORS),
    st.sampled_from(SQL),
    st.sampled_from(CONTROL),
    st.text(max_size=12),
)
separators = st.sampled_from([" ", "", "  ", "\t", "\n", '"', "-"])
composed = st.lists(st.tuples(tokens, separators), max_size=12).map(
    lambda parts: "".join(token + separator for token, separator in parts)
)
long_queries = st.tuples(
    st.sampled_from(["x", "Millet ", '"a', "(", "\x00", "雷"]), st.integers(1, 10_000)
).map(lambda pair: (pair[0] * pair[1])[:10_000])
queries = st.one_of(composed, composed, st.text(max_size=200), long_queries)
kinds = st.sampled_from(["", "quote", "passage", "principle", "source"])


def expected_status(path: str, params: dict) -> int:
    # A query string over the site's limit is refused whole (kb.middleware), before search.
    limit = getattr(django_settings, "KB_MAX_QUERY_STRING_BYTES", None)
    if limit is not None and len(urlencode(params)) > limit:
        return 414
    # The API refuses a NUL as a client error (PostgreSQL cannot compare it); the pages
    # search what is left of the query.
    return 400 if path.startswith("/api/") and "\x00" in params["q"] else 200


def test_it_survives_thousands_of_hostile_queries_on_every_search_door(
    small_corpus, search_index, settings
):
    settings.KB_API_ANON_RATE = "1000000/min"  # the throttle on, out of reach
    client = Client(raise_request_exception=False)
    sent: Counter = Counter()
    failures: list[str] = []

    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # failures are listed, not shrunk
        suppress_health_check=list(HealthCheck),
    )
    @given(
        batch=st.lists(queries, min_size=QUERIES_PER_EXAMPLE, max_size=QUERIES_PER_EXAMPLE),
        kind=kinds,
    )
    def fuzz(batch, kind):
        with logged_errors() as errors:
            for query in batch:
                # filter_quotes runs behind /quotes/?q= and /api/quotes/?q= below.
                results = search.search(query, limit=5)
                assert results.total >= 0
                sent["search()"] += 1
                for path in TARGETS:
                    params = {"q": query}
                    if kind and "search" in path:
                        params["type"] = kind
                    response = client.get(path, params)
                    sent["requests"] += 1
                    if response.status_code != expected_status(path, params):
                        failures.append(f"{response.status_code} {path} {params!r:.300}")
        failures.extend(f"{r.name}: {r.getMessage()[:300]}" for r in errors)
        assert not failures, failures[:10]

    fuzz()
    print(f"search fuzz on {connection.vendor}: {dict(sent)}")
    assert sent["requests"] >= REQUESTS_WANTED, sent
    assert sent["search()"] * len(TARGETS) == sent["requests"]
