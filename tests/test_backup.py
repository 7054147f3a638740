"""``manage.py backup`` / ``restore``: every row comes back, search works, bad input is refused.

The backup is taken in-process from the test database (rows committed: transactional
tests); the restore runs ``manage.py restore`` in a subprocess into a scratch database (a
fresh SQLite file, or a PostgreSQL database created and dropped by the test), exactly as an
operator would, and the two databases are compared row by row.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from scratch_db import Scratch, dump, manage, raw_test_database, vendor

from kb.models import Quote, Theme

pytestmark = pytest.mark.django_db(transaction=True)

OTHER_KIND = {"sqlite": "postgresql", "postgresql": "sqlite"}


@pytest.fixture
def scratch(tmp_path):
    databases = Scratch(tmp_path)
    yield databases
    databases.close()


@pytest.fixture
def seeded(transactional_db):
    """The seed corpus plus an editor's signed revision, so history rows name a user."""
    call_command("load_seed_corpus", verbosity=0)
    editor = get_user_model().objects.create_user("editor", password="a-long-test-password")
    quote = Quote.objects.published().order_by("pk").first()
    quote._history_user = editor
    quote.featured = not quote.featured
    quote.save()
    quote.themes.add(Theme.objects.order_by("pk").last())
    return quote


def original_dump() -> dict:
    raw = raw_test_database()
    try:
        return dump(raw)
    finally:
        if vendor() == "postgresql":
            raw.close()


def scratch_dump(scratch: Scratch, url: str) -> dict:
    with closing(scratch.raw(url)) as raw:
        return dump(raw)


def assert_same(restored: dict, original: dict) -> None:
    assert sorted(restored) == sorted(original)
    for table, rows in original.items():
        assert restored[table] == rows, f"{table} differs after the round trip"


def backup(path, *args) -> str:
    out = StringIO()
    call_command("backup", str(path), *args, stdout=out)
    return out.getvalue()


def single_line_error(done) -> str:
    """The process failed as bad input should: status 2, one line, no traceback."""
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("CommandError: "), done.stderr
    return lines[0]


CHECK_SCRIPT = """
from django.core.management import call_command
from kb.search import search
call_command("verify_corpus")
results = search({words!r}, types=("quote",), limit=100)
print(sorted(hit.id for hit in results.groups["quote"]))
"""


def verify_and_search(url: str, words: str) -> list[int]:
    """In the database at ``url``: ``verify_corpus`` passes; the quote ids ``words`` finds."""
    done = manage(url, "shell", "-c", CHECK_SCRIPT.format(words=words))
    assert done.returncode == 0, done.stderr
    assert "Corpus verified" in done.stdout
    return eval(done.stdout.strip().splitlines()[-1])  # a printed list of ints


def test_it_round_trips_every_row_and_the_search_index(seeded, scratch, tmp_path):
    path = tmp_path / "kb.backup"
    out = backup(path)
    assert str(path) in out and f"{path.stat().st_size:,} bytes" in out
    assert "2 sources" in out and "39 quotes" in out and "1 users" in out
    original = original_dump()
    assert any(t.startswith("kb_historical") and rows for t, rows in original.items())

    target = scratch.create("restored")
    done = manage(target, "restore", str(path))
    assert done.returncode == 0, done.stderr
    assert "2 sources" in done.stdout

    assert_same(scratch_dump(scratch, target), original)
    words = " ".join(seeded.text.split()[:4])
    assert seeded.pk in verify_and_search(target, words)


def test_restore_refuses_bad_input_and_a_database_holding_data_unless_forced(
    seeded, scratch, tmp_path
):
    path = tmp_path / "kb.backup"
    backup(path)
    original = original_dump()
    target = scratch.create("restored")
    assert manage(target, "restore", str(path)).returncode == 0
    # The restored site moves on: a quote deleted, a theme added.
    change = (
        "from kb.models import Quote, Theme; "
        "Quote.objects.order_by('-pk').first().delete(); Theme.objects.create(name='Later')"
    )
    assert manage(target, "shell", "-c", change).returncode == 0
    changed = scratch_dump(scratch, target)
    assert changed != original

    refused = manage(target, "restore", str(path))
    message = single_line_error(refused)
    assert "not empty" in message and "--force" in message
    assert scratch_dump(scratch, target) == changed

    # Bad backups, even forced, are refused in one line and leave the database as it was.
    data = path.read_bytes()
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(data[: len(data) // 2])
    garbage = tmp_path / "garbage.backup"
    garbage.write_bytes(b"not a backup at all\n" * 100)
    # Damaged near the end: a PostgreSQL archive's table of contents still reads, so this
    # fails inside pg_restore's transaction, which must roll back.
    damaged = tmp_path / "damaged.backup"
    flipped = bytearray(data)
    for i in range(len(data) - len(data) // 8, len(data) - 100, 7):
        flipped[i] ^= 0x5A
    damaged.write_bytes(bytes(flipped))
    cases = {
        tmp_path / "missing.backup": "no such file",
        garbage: "not a backup",
        truncated: "",
        damaged: "",
    }
    for bad, words in cases.items():
        message = single_line_error(manage(target, "restore", str(bad), "--force"))
        assert str(bad) in message and words in message
        assert scratch_dump(scratch, target) == changed, f"{bad.name} changed the database"

    forced = manage(target, "restore", str(path), "--force")
    assert forced.returncode == 0, forced.stderr
    assert_same(scratch_dump(scratch, target), original)


def test_a_backup_of_the_other_kind_of_database_is_refused(db, scratch, tmp_path):
    foreign = tmp_path / "foreign.backup"
    if vendor() == "postgresql":
        with closing(sqlite3.connect(foreign)) as raw:
            raw.execute("CREATE TABLE kb_source (id INTEGER PRIMARY KEY)")
    else:
        foreign.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 64)
    target = scratch.create("target")
    message = single_line_error(manage(target, "restore", str(foreign)))
    assert f"{OTHER_KIND[vendor()]} backup" in message


def test_backup_does_not_overwrite_a_file_unless_forced(seeded, tmp_path):
    path = tmp_path / "kb.backup"
    path.write_bytes(b"an older backup")
    with pytest.raises(CommandError, match="already exists; pass --force") as refused:
        backup(path)
    assert refused.value.returncode == 2
    assert path.read_bytes() == b"an older backup"
    backup(path, "--force")
    assert path.read_bytes() != b"an older backup"
    assert not list(tmp_path.glob(".*partial"))


def test_backup_into_a_missing_directory_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="no such directory") as refused:
        backup(tmp_path / "nowhere" / "kb.backup")
    assert refused.value.returncode == 2


# --- Faults of the machine: one line naming the fault, exit 2 --------------------------------


def unshare_available() -> bool:
    """Whether this process may mount in a mount namespace of its own (root in a container or
    on a workstation): how the tests make a full disk and a read-only file system that no
    other process sees."""
    import shutil
    import subprocess

    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(
        ["unshare", "--mount", "sh", "-c", "mount -t tmpfs -o size=16k tmpfs /mnt"],
        capture_output=True,
    )
    return probe.returncode == 0


needs_mounts = pytest.mark.skipif(
    not unshare_available(), reason="needs unshare --mount (root): mounts a tiny file system"
)


def manage_in_namespace(url: str, setup: str, *args: str):
    """``manage.py *args`` against ``url`` in a mount namespace prepared by ``setup``."""
    import subprocess
    import sys

    from scratch_db import BASE_DIR, subprocess_env

    return subprocess.run(
        ["unshare", "--mount", "sh", "-c", f'{setup} && exec "$@"', "sh", sys.executable]
        + ["manage.py", *args],
        cwd=BASE_DIR,
        env=subprocess_env(url),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def migrated(scratch):
    url = scratch.create("site")
    done = manage(url, "migrate", "--noinput", "-v0")
    assert done.returncode == 0, done.stderr
    return url


@needs_mounts
def test_a_backup_onto_a_full_disk_says_so_in_one_line(migrated, tmp_path):
    full = tmp_path / "full"
    full.mkdir()
    done = manage_in_namespace(
        migrated, f"mount -t tmpfs -o size=16k tmpfs {full}", "backup", str(full / "kb.backup")
    )
    line = single_line_error(done)
    assert "the disk is full" in line, line
    assert "kb.backup" in line


@needs_mounts
def test_a_restore_into_a_read_only_database_file_says_so_in_one_line(migrated, tmp_path):
    if vendor() != "sqlite":
        pytest.skip("a SQLite database file (PostgreSQL's files are the server's)")
    from scratch_db import sqlite_path

    saved = tmp_path / "kb.backup"
    assert manage(migrated, "backup", str(saved)).returncode == 0
    folder = Path(sqlite_path(migrated)).parent
    read_only = f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder}"
    done = manage_in_namespace(migrated, read_only, "restore", "--force", str(saved))
    line = single_line_error(done)
    assert "read-only" in line, line
