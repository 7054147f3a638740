"""``verify_corpus``: every kind of drift is found, named, and makes the command fail.

Each case damages the seeded corpus the way a bad migration, a hand-edited row or a buggy
writer could (``QuerySet.update``, which skips ``clean()`` and ``save()``), then runs the
command operators and CI run.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kb.models import Claim, Passage, Quote, Source


def verify() -> tuple[str, str]:
    """(stdout, stderr) of ``verify_corpus``; raises CommandError on drift."""
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_corpus", stdout=out, stderr=err)
    except CommandError as exc:
        exc.stderr = err.getvalue()
        raise
    return out.getvalue(), err.getvalue()


def interview() -> Source:
    return Source.objects.get(slug="fortune-interview-2014")


def passage(number: int) -> Passage:
    return interview().passages.get(number=number)


def quoted_passage() -> Passage:
    return interview().passages.filter(quotes__isnull=False).order_by("number").first()


def drift_passage_text():
    third = passage(3)
    Passage.objects.filter(pk=third.pk).update(text=third.text + " (edited)")
    return "fortune-interview-2014 ¶3: text differs from source.text["


def drift_numbering():
    Passage.objects.filter(pk=passage(3).pk).update(number=99)
    return "fortune-interview-2014 ¶4: passages are not numbered 1, 2, 3 …"


def drift_overlap():
    second = passage(2)
    Passage.objects.filter(pk=second.pk).update(start=passage(1).end - 5)
    return "fortune-interview-2014 ¶2: overlaps the passage before"


def drift_gap():
    first = passage(1)
    cut = first.end - 10
    Passage.objects.filter(pk=first.pk).update(end=cut, text=interview().text[first.start : cut])
    return "fortune-interview-2014 ¶2: text before it belongs to no passage"


def drift_trailing_text():
    source = interview()
    last = source.passages.order_by("number").last()
    Quote.objects.filter(passage=last).delete()
    Claim.objects.filter(passage=last).delete()
    last.delete()
    return "fortune-interview-2014: text after the last passage belongs to no passage"


def drift_sha256():
    Source.objects.filter(slug="fortune-interview-2014").update(sha256="0" * 64)
    return "fortune-interview-2014: text does not match its sha256"


def drift_quote_text():
    quote = Quote.objects.order_by("pk").first()
    Quote.objects.filter(pk=quote.pk).update(text=quote.text + " (edited)")
    return f"quote {quote.pk}: text differs from its span"


def drift_quote_outside_passage():
    quote = Quote.objects.filter(passage__source=interview()).order_by("pk").first()
    other = interview().passages.exclude(pk=quote.passage_id).order_by("number").first()
    Quote.objects.filter(pk=quote.pk).update(passage=other)
    return f"quote {quote.pk}: span not inside passage ¶{other.number}"


def drift_quote_passage_of_another_source():
    quote = Quote.objects.filter(source=interview()).order_by("pk").first()
    elsewhere = Passage.objects.exclude(source=interview()).order_by("pk").first()
    Quote.objects.filter(pk=quote.pk).update(passage=elsewhere)
    return f"quote {quote.pk}: its passage belongs to another source"


def drift_claim_outside_passage():
    claim = Claim.objects.filter(passage__isnull=False).order_by("pk").first()
    Claim.objects.filter(pk=claim.pk).update(start=claim.passage.end - 1, end=claim.passage.end + 5)
    return f"claim {claim.pk}: evidence not inside passage ¶{claim.passage.number}"


DRIFTS = [
    drift_passage_text,
    drift_numbering,
    drift_overlap,
    drift_gap,
    drift_trailing_text,
    drift_sha256,
    drift_quote_text,
    drift_quote_outside_passage,
    drift_quote_passage_of_another_source,
    drift_claim_outside_passage,
]


def test_the_seeded_corpus_verifies(corpus):
    out, err = verify()
    assert out.startswith("Corpus verified") and err == ""


@pytest.mark.parametrize("drift", DRIFTS, ids=lambda f: f.__name__.removeprefix("drift_"))
def test_each_kind_of_drift_is_named_and_fails_the_command(corpus, drift):
    expected = drift()
    with pytest.raises(CommandError, match=r"problem\(s\) found") as failed:
        verify()
    assert failed.value.returncode == 1
    assert expected in failed.value.stderr, failed.value.stderr


def test_every_drift_is_listed_not_just_the_first(corpus):
    expected = [drift_sha256(), drift_quote_text(), drift_claim_outside_passage()]
    with pytest.raises(CommandError, match="3 problem") as failed:
        verify()
    lines = failed.value.stderr.splitlines()
    for message in expected:
        assert any(message in line for line in lines), message


# --- The exit status, as a script sees it (manage.py in a subprocess) ------------------------


def test_its_exit_status_says_verified_or_could_not_run(tmp_path):
    from scratch_db import manage

    database = f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    assert manage(database, "migrate", "--noinput", "-v0").returncode == 0
    done = manage(database, "verify_corpus")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Corpus verified")
    # A database that cannot be opened: exit 2, one line naming the fault, no traceback.
    done = manage(f"sqlite:///{tmp_path / 'missing' / 'kb.sqlite3'}", "verify_corpus")
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "verify_corpus could not run: cannot open the database file" in lines[0]


def test_it_shows_its_progress_when_asked(corpus, capsys):
    call_command("verify_corpus", progress="always", stdout=StringIO())
    bar = capsys.readouterr().err
    assert "Verifying 2 source(s)" in bar and "100%" in bar, bar


def test_it_shows_no_progress_bar_when_told_not_to(corpus, capsys):
    call_command("verify_corpus", progress="never", stdout=StringIO())
    assert "Verifying" not in capsys.readouterr().err
