"""/healthz: 200 when the database answers SELECT 1, 503 when it does not.

The 503 of a database that stops while the site serves is in test_database_down.py.
"""

import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_it_answers_ok_when_the_database_answers(client, db, django_assert_num_queries):
    with django_assert_num_queries(1):  # SELECT 1, nothing else
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_it_is_not_redirected_to_a_trailing_slash(client, db):
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz/").status_code == 404


def test_it_answers_head_but_not_post(client, db):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_it_answers_over_plain_http_when_https_is_enforced(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/").status_code == 301
    assert client.get("/healthz").status_code == 200


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.filterwarnings("ignore:No directory at:UserWarning")
def test_it_answers_503_when_the_database_does_not_answer():
    """A site configured for a PostgreSQL server that is not there (nothing listens)."""
    code = (
        "from django.test import Client\n"
        "response = Client().get('/healthz')\n"
        "print(response.status_code, response.content.decode())"
    )
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{unused_port()}/kb",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "testserver",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '503 {"status": "database unavailable"}'
