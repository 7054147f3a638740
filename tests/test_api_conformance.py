"""Conformance: schemathesis against the live OpenAPI schema, on the seeded corpus.

Every operation of /api/schema/ gets 100 generated requests of valid data and 100 of
invalid data, sent through the WSGI app to the test database; no answer may be a server
error, and every answer's status, content type, headers and body must be what the schema
documents (errors included). The examples are derandomized: the same on every run.
"""

import re

import pytest
import schemathesis
from api_factories import PATHS, fresh_throttle_fixture  # noqa: F401
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS as REGISTERED_CHECKS
from schemathesis.checks import load_all_checks
from schemathesis.specs.openapi.checks import positive_data_acceptance

from kb.wsgi import application

# Every check schemathesis has (its CLI's ``--checks all``): besides the answers' conformance,
# that invalid data is refused (negative_data_rejection) and valid data accepted
# (positive_data_acceptance), unsupported methods answered 405 with Allow, and so on.
load_all_checks()


# A filter's (django-filter's) and the search's (kb.api.search) words for a slug of nothing.
UNKNOWN_SLUG = re.compile(r"Select a valid choice|No \w+ with the slug ")


def positive_data_acceptance_but_unknown_slugs(ctx, response, case):
    """schemathesis' positive_data_acceptance, but for a 400 whose every message is that a
    slug names nothing ("Select a valid choice"): a well-formed slug of no speaker, theme or
    source, which the schema documents as a 400 (an OpenAPI schema cannot list the slugs)."""
    if response.status_code == 400:
        body = response.json()
        messages = [m for values in body.values() for m in values] if body else []
        if messages and all(UNKNOWN_SLUG.match(m) for m in messages):
            return None
    return positive_data_acceptance(ctx, response, case)


CHECKS = [
    positive_data_acceptance_but_unknown_slugs if check is positive_data_acceptance else check
    for check in REGISTERED_CHECKS.get_all()
]
EXAMPLES = 100


@pytest.fixture(scope="module")
def wsgi_app():
    """The project's WSGI app, keeping the test's database connection between requests.

    Django's handler closes "old" connections when a request starts and finishes; inside a
    test's transaction that would close PostgreSQL's connection mid-test. Django's test
    client disconnects the same handler for the same reason.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def api_schema(wsgi_app):
    """The schema as the API serves it, loaded once (generating it reads no rows)."""
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)


@pytest.fixture
def seeded(corpus, settings):
    """The seeded corpus, and no rate limit: thousands of requests come from one client."""
    settings.KB_API_ANON_RATE = ""


def test_it_tests_every_operation(api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {(op.method.upper(), op.path) for op in operations} == {("GET", p) for p in PATHS}


# A slug in the path (any string) and no query parameter: no request is invalid to send.
NOTHING_TO_NEGATE = {p for p in PATHS if p.endswith(("{slug}/", "{slug}/text/"))}


@pytest.mark.parametrize("path", PATHS)
def test_the_api_answers_as_its_schema_says(api_schema, seeded, path):
    operation = api_schema[path]["GET"]
    modes = [GenerationMode.POSITIVE]
    if path not in NOTHING_TO_NEGATE:
        modes.append(GenerationMode.NEGATIVE)
    for mode in modes:

        @given(case=operation.as_strategy(generation_mode=mode))
        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            case.call_and_validate(checks=CHECKS)

        check()


def test_every_seeded_object_answers_as_the_schema_says(api_schema, seeded, django_user_model):
    """Generated slugs and ids rarely exist: every real object's answers are checked too,
    anonymously and with a staff token (drafts included)."""
    from rest_framework.authtoken.models import Token

    from kb.models import Passage, Person, Principle, Quote, Source, Theme

    staff = django_user_model.objects.create_user("researcher", is_staff=True)
    token = Token.objects.create(user=staff)

    def slugs(model):
        return list(model.objects.values_list("slug", flat=True))

    def ids(model):
        return list(model.objects.values_list("pk", flat=True))

    styles = ["csl-json", "bibtex", "apa", "chicago"]
    requests = [("/api/sources/", {}, {}), ("/api/quotes/", {}, {"page": 1})]
    for path, model in [
        ("/api/sources/{slug}/", Source),
        ("/api/themes/{slug}/", Theme),
        ("/api/people/{slug}/", Person),
        ("/api/principles/{slug}/", Principle),
    ]:
        requests += [(path, {"slug": slug}, {}) for slug in slugs(model)]
    requests += [("/api/passages/{id}/", {"id": pk}, {}) for pk in ids(Passage)]
    requests += [("/api/quotes/{id}/", {"id": pk}, {}) for pk in ids(Quote)]
    requests += [
        ("/api/sources/{slug}/cite/", {"slug": slug}, {"style": style})
        for slug in slugs(Source)
        for style in styles
    ]
    requests += [
        ("/api/quotes/{id}/cite/", {"id": pk}, {"style": style})
        for pk in ids(Quote)
        for style in styles
    ]
    statuses = set()
    for headers in [{}, {"Authorization": f"Token {token.key}"}]:
        for path, path_parameters, query in requests:
            case = api_schema[path]["GET"].Case(path_parameters=path_parameters, query=query)
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            statuses.add(response.status_code)
    assert statuses == {200, 404}  # 404: draft quotes and principles, for anonymous clients
