"""The settings module's env helpers refuse bad values instead of guessing."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from kb import settings as kb_settings


@pytest.mark.parametrize("raw,expected", [("1", True), ("yes", True), ("off", False), ("", False)])
def test_it_reads_booleans(monkeypatch, raw, expected):
    monkeypatch.setenv("KB_TEST_FLAG", raw)
    assert kb_settings.env_bool("KB_TEST_FLAG") is expected


def test_it_refuses_a_bad_boolean(monkeypatch):
    monkeypatch.setenv("KB_TEST_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="KB_TEST_FLAG"):
        kb_settings.env_bool("KB_TEST_FLAG")


def test_it_refuses_a_bad_integer(monkeypatch):
    monkeypatch.setenv("KB_TEST_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        kb_settings.env_int("KB_TEST_NUMBER", 3)


def test_it_requires_a_secret_key_without_debug(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY"):
        kb_settings.secret_key("", tmp_path / "missing", debug=False)


def test_it_reads_the_generated_key_file(tmp_path):
    key_file = tmp_path / ".secret_key"
    key_file.write_text("from-the-file\n")
    assert kb_settings.secret_key("", key_file, debug=False) == "from-the-file"
    assert kb_settings.secret_key("from-env", key_file, debug=False) == "from-env"


def test_it_refuses_an_unsupported_database(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://root@localhost/kb")
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        kb_settings._database()


def test_it_uses_psycopg_for_postgres_urls(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kb")
    assert kb_settings._database()["ENGINE"] == "django.db.backends.postgresql"


def test_it_turns_postgres_jit_off_keeping_url_options(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kb")
    assert kb_settings._database()["OPTIONS"]["options"] == "-c jit=off"
    monkeypatch.setenv(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kb?options=-c%20work_mem%3D8MB"
    )
    assert kb_settings._database()["OPTIONS"]["options"] == "-c work_mem=8MB -c jit=off"


@pytest.mark.django_db
def test_postgres_connections_run_without_jit():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only; runs in the PostgreSQL half of make test")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
