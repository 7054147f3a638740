"""Faults of the machine, not of the text (#22): a read-only database, a full disk.

``import_source`` says so in one line and exits 2; the admin import shows the editor a
message; nothing is written.  The faults are the databases' own errors on a real write: a
connection switched to read-only (SQLite ``PRAGMA query_only``, PostgreSQL's
``default_transaction_read_only``), and a trigger on the passage table raising what a full
disk raises (SQLite's "database or disk is full", PostgreSQL's ``disk_full`` SQLSTATE).
"""

from __future__ import annotations

import errno
from contextlib import contextmanager
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection
from test_admin_import import confirm, preview

from kb.ingest.store import environment_problem
from kb.models import Passage, Person, Source

TEXT = """---
title: Lei Jun on patience
kind: article
---
Xiaomi's founder on patience

"Good products take time," said Lei Jun.
"""


@pytest.fixture
def sample(tmp_path):
    path = tmp_path / "patience.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


@contextmanager
def read_only_database():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA query_only = ON")
        else:
            cursor.execute("SET default_transaction_read_only = on")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA query_only = OFF")
            else:
                cursor.execute("SET default_transaction_read_only = off")


@contextmanager
def full_disk():
    """Every passage insert fails as on a full disk."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "CREATE TRIGGER disk_full BEFORE INSERT ON kb_passage "
                "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
            )
        else:
            cursor.execute(
                "CREATE FUNCTION disk_full() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION USING ERRCODE = 'disk_full', "
                "MESSAGE = 'could not extend file: No space left on device'; END $$ "
                "LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER disk_full BEFORE INSERT ON kb_passage "
                "FOR EACH ROW EXECUTE FUNCTION disk_full()"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("DROP TRIGGER disk_full")
            else:
                cursor.execute("DROP TRIGGER disk_full ON kb_passage")
                cursor.execute("DROP FUNCTION disk_full()")


FAULTS = {"read-only": (read_only_database, "read-only"), "disk full": (full_disk, "disk is full")}


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
def test_it_names_the_fault_in_one_line_and_exits_2(transactional_db, sample, fault):
    make_fault, words = FAULTS[fault]
    with make_fault(), pytest.raises(CommandError) as caught:
        call_command("import_source", str(sample), stdout=StringIO(), stderr=StringIO())
    message = str(caught.value)
    assert caught.value.returncode == 2
    assert words in message and "nothing of it was written" in message
    assert "\n" not in message
    assert not Source.objects.exists() and not Passage.objects.exists()
    assert not Person.objects.exists()


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
def test_the_admin_import_tells_the_editor_and_writes_nothing(transactional_db, client, fault):
    user = get_user_model().objects.create_superuser("editor", "e@example.com", "pw-editor-1")
    client.force_login(user)
    response = preview(client, TEXT)
    make_fault, words = FAULTS[fault]
    with make_fault():
        response = confirm(client, response)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The source could not be stored" in html and words in html
    assert "Nothing was written" in html
    assert not Source.objects.exists()


def test_it_leaves_other_errors_alone():
    assert environment_problem(OSError(errno.ENOSPC, "No space left on device"))
    assert environment_problem(DatabaseError("attempt to write a readonly database"))
    assert environment_problem(DatabaseError("no such table: kb_person")) is None
    assert environment_problem(OSError(errno.ENOENT, "No such file")) is None
    assert environment_problem(ValueError("database or disk is full")) is None
