"""``import_source``: the command contract, bad input, all-or-nothing writes, --replace."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kb.ingest import store
from kb.models import Claim, Passage, Person, Principle, Quote, Source, Status

PROFILE = """Xiaomi's new phone

"We want every user to be our friend," said Wang Chuan, a co-founder of the company.

"Speed matters more than anything," Wang added.
"""

INTERVIEW = """Reporter : What is your plan for India?

Guest : We will start online. Then we will open stores in big cities.
"""


def counts():
    return (Source.objects.count(), Passage.objects.count(), Quote.objects.count())


def run(*args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("import_source", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def profile(tmp_path):
    path = tmp_path / "profile.txt"
    path.write_text(PROFILE, encoding="utf-8")
    return path


def test_it_imports_a_file_and_prints_its_counts(db, profile):
    out, _ = run(str(profile), "--kind", "profile", "--published", "2014-05-02")
    source = Source.objects.get()
    assert source.title == "Xiaomi's new phone"
    assert source.text == PROFILE
    assert source.year == 2014
    assert out.startswith(f"{source.slug}: {source.passages.count()} passages")
    quote = Quote.objects.get(text="We want every user to be our friend")
    assert quote.speaker.name == "Wang Chuan"
    assert quote.status == Status.DRAFT
    assert Quote.objects.get(text="Speed matters more than anything").speaker == quote.speaker


def test_it_does_not_import_the_same_text_twice(db, profile):
    run(str(profile))
    before = counts()
    out, _ = run(str(profile))
    assert out.strip() == f"already imported {Source.objects.get().slug}"
    assert counts() == before


def test_publish_publishes_the_extracted_quotes(db, profile):
    run(str(profile), "--publish")
    assert Quote.objects.exists()
    assert not Quote.objects.exclude(status=Status.PUBLISHED).exists()


def test_dry_run_refuses_an_untitled_text_as_the_import_does(db, tmp_path):
    untitled = tmp_path / "untitled.txt"
    untitled.write_text("雷军说：小米。\n\n我们要和用户交朋友。\n", encoding="utf-8")
    for args in ([str(untitled), "--dry-run"], [str(untitled)]):
        err = StringIO()
        with pytest.raises(CommandError) as error:
            call_command("import_source", *args, stdout=StringIO(), stderr=err)
        assert error.value.returncode == 2
        assert "no title" in err.getvalue() + str(error.value)
    assert counts() == (0, 0, 0)


def test_dry_run_counts_the_files_it_would_import(db, profile, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("Other\n\n" + INTERVIEW, encoding="utf-8")
    out, _ = run(str(profile), str(other), "--dry-run")
    assert "2 of 2 files would be imported (dry run)." in out
    assert counts() == (0, 0, 0)


def test_dry_run_prints_the_plan_and_writes_nothing(db, profile):
    out, _ = run(str(profile), "--dry-run")
    assert "Wang Chuan" in out and "dry run: nothing written" in out
    assert counts() == (0, 0, 0)


def test_front_matter_gives_metadata_and_options_win(db, tmp_path):
    path = tmp_path / "fm.txt"
    path.write_text(
        "---\ntitle: From the front matter\nurl: https://example.com/a\n---\n" + INTERVIEW,
        encoding="utf-8",
    )
    run(str(path), "--title", "From the option")
    source = Source.objects.get()
    assert source.title == "From the option"
    assert source.url == "https://example.com/a"
    assert Person.objects.filter(name__in=["Reporter", "Guest"]).count() == 2


def test_it_imports_every_txt_of_a_directory(db, tmp_path):
    (tmp_path / "a.txt").write_text(PROFILE, encoding="utf-8")
    (tmp_path / "b.txt").write_text("Second text\n\n" + INTERVIEW, encoding="utf-8")
    (tmp_path / "notes.md").write_text("not a source", encoding="utf-8")
    out, _ = run(str(tmp_path))
    assert Source.objects.count() == 2
    # A line a source, then the total: no blank line between (tqdm's end on top of ours).
    lines = out.splitlines()
    assert len(lines) == 3 and all(lines), out
    assert lines[-1] == "2 of 2 files imported."


BAD_INPUTS = {
    "empty.txt": (b"", "empty"),
    "blank.txt": (b"  \n\t\n", "empty"),
    "binary.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_files_exit_2_naming_the_file_and_write_nothing(db, tmp_path, profile, name):
    data, words = BAD_INPUTS[name]
    bad = tmp_path / name
    bad.write_bytes(data)
    with pytest.raises(CommandError) as error:
        run(str(profile), str(bad))  # the good file first: the batch must roll back
    assert error.value.returncode == 2
    assert name in str(error.value) and words in str(error.value).lower()
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize(
    "args,words",
    [
        (["--published", "2014-13-45"], "date"),
        (["--url", "javascript:alert(1)"], "url"),
        (["--kind", "poem"], "kind"),
        (["--max-bytes", "10"], "limit"),
    ],
)
def test_bad_options_exit_2_and_write_nothing(db, profile, args, words):
    with pytest.raises(CommandError) as error:
        run(str(profile), *args)
    assert error.value.returncode == 2
    assert "profile.txt" in str(error.value) and words in str(error.value).lower()
    assert counts() == (0, 0, 0)


def test_missing_paths_and_empty_directories_exit_2(db, tmp_path):
    with pytest.raises(CommandError, match="no such file") as error:
        run(str(tmp_path / "nope.txt"))
    assert error.value.returncode == 2
    with pytest.raises(CommandError, match="no .txt"):
        run(str(tmp_path))


def test_keep_going_imports_the_good_files_and_lists_the_bad(db, tmp_path, profile):
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    with pytest.raises(CommandError, match="empty.txt") as error:
        run(str(profile), str(bad), "--keep-going")
    assert error.value.returncode == 2
    assert Source.objects.count() == 1


def test_an_error_in_the_last_step_leaves_nothing_behind(db, profile, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store, "_write_quotes", fail)
    with pytest.raises(RuntimeError):
        run(str(profile))
    assert counts() == (0, 0, 0)


def test_it_refuses_a_copy_differing_only_in_line_endings_and_trailing_spaces(
    db, profile, tmp_path
):
    run(str(profile))
    source = Source.objects.get()
    copy = tmp_path / "copy.txt"
    text = PROFILE.replace("\n", "  \r\n")
    copy.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8") + b"\r\n\r\n")
    with pytest.raises(CommandError, match=f"the same text as '{source.slug}' but for line"):
        run(str(copy), "--title", "Another title")
    assert Source.objects.count() == 1
    profile.write_text(PROFILE.replace("\n", "\r\n"), encoding="utf-8")  # same title: replace
    run(str(profile), "--replace")
    assert Source.objects.get().text == PROFILE.replace("\n", "\r\n")


def test_existing_sources_get_their_fingerprint_when_migrated(db, profile):
    from importlib import import_module

    from django.apps import apps

    from kb.texts import fingerprint

    run(str(profile))
    Source.objects.update(fingerprint="")  # as a row written without save() (now NOT NULL)
    import_module("kb.migrations.0014_history_slug_redirect_archive").fill_fingerprints(apps, None)
    assert Source.objects.get().fingerprint == fingerprint(PROFILE)


def test_a_changed_text_under_the_same_title_needs_replace(db, profile):
    run(str(profile))
    profile.write_text(PROFILE + "\nOne more line.\n", encoding="utf-8")
    with pytest.raises(CommandError, match="--replace"):
        run(str(profile))
    assert Source.objects.count() == 1


def test_replace_reanchors_curated_quotes_and_keeps_the_lost_ones(db, profile):
    run(str(profile))
    kept = Quote.objects.get(text="Speed matters more than anything")
    lost = Quote.objects.get(text="We want every user to be our friend")
    for quote in (kept, lost):
        quote.status = Status.PUBLISHED
        quote.save()
    principle = Principle.objects.create(title="Be fast")
    claim = Claim.objects.create(
        principle=principle,
        text="Speed first.",
        passage=kept.passage,
        start=kept.start,
        end=kept.end,
    )
    new_text = "Xiaomi's new phone\n\nAn added opening paragraph.\n\n" + PROFILE.split("\n\n", 2)[2]
    profile.write_text(new_text, encoding="utf-8")
    out, _ = run(str(profile), "--replace")
    current = Source.objects.get(slug="xiaomis-new-phone")
    assert current.text == new_text
    kept.refresh_from_db()
    claim.refresh_from_db()
    assert kept.source == current and kept.status == Status.PUBLISHED
    assert current.text[kept.start : kept.end] == kept.text
    assert claim.passage.source == current
    assert current.text[claim.start : claim.end] == "Speed matters more than anything"
    lost.refresh_from_db()
    assert lost.status == Status.DRAFT
    assert lost.source.text[lost.start : lost.end] == lost.text  # still exact, on the old text
    assert lost.source != current
    assert f"kept on the earlier version: quote {lost.pk} (now a draft)" in out
    assert lost.source.superseded_by == current and current.superseded_by is None
    assert list(Source.objects.current()) == [current]


@pytest.mark.parametrize(
    "edit, words, listed",
    [
        # A doubled space inside the quote: the same words, re-anchored silently.
        ("Speed matters  more than anything", "Speed matters  more than anything", False),
        # A changed punctuation mark inside it: silently too.
        ("Speed matters, more than anything", "Speed matters, more than anything", False),
        # A reworded neighbouring sentence: the quote's words are untouched.
        (None, "Speed matters more than anything", False),
        # A changed word inside it: re-anchored, listed and put back in review.
        ("Speed matters more than everything", "Speed matters more than everything", True),
    ],
    ids=["doubled-space", "punctuation", "neighbour-reworded", "word-changed"],
)
def test_replace_keeps_a_published_quote_across_small_edits(db, profile, edit, words, listed):
    run(str(profile))
    quote = Quote.objects.get(text="Speed matters more than anything")
    quote.status = Status.PUBLISHED
    quote.save()
    new_text = PROFILE.replace(
        "said Wang Chuan, a co-founder", "Wang Chuan, who co-founded it, said"
    )
    if edit:
        new_text = new_text.replace("Speed matters more than anything", edit)
    profile.write_text(new_text, encoding="utf-8")
    out, _ = run(str(profile), "--replace")
    quote.refresh_from_db()
    current = Source.objects.get(slug="xiaomis-new-phone", superseded_by=None)
    # A changed word sends it back to the review queue; the rest stays published.
    assert quote.source == current
    assert quote.status == (Status.REVIEW if listed else Status.PUBLISHED)
    assert quote.text == words == current.text[quote.start : quote.end]
    assert quote.passage.start <= quote.start < quote.end <= quote.passage.end
    assert ("please check" in out and "Speed matters more than anything" in out) is listed
    assert "no longer in the text" not in out


def test_replace_keeps_what_the_editors_set_and_the_new_file_does_not_say(db, profile):
    run(str(profile), "--url", "https://example.com/a", "--published", "2014-03-12")
    first = Source.objects.get()
    first.notes, first.kind = "Checked against the print edition.", "profile"
    first.save()
    passages = list(first.passages.order_by("number"))
    chrome, spoken = passages[1], passages[2]
    chrome.is_boilerplate = True
    chrome.save()
    spoken.speaker = Person.objects.create(name="Lin Bin")
    spoken.save()
    profile.write_text(PROFILE + "\nA closing line added.\n", encoding="utf-8")
    run(str(profile), "--replace", "--author", "A. Writer")
    current = Source.objects.get()  # nothing cited the first version: it is gone
    assert (current.url, current.published, current.year) == (
        "https://example.com/a",
        first.published,
        2014,
    )
    assert (current.notes, current.kind, current.author) == (
        "Checked against the print edition.",
        "profile",
        "A. Writer",  # given again: the new value
    )
    same = {p.text: p for p in current.passages.all()}
    assert same[chrome.text].is_boilerplate and same[spoken.text].speaker == spoken.speaker


def test_a_claim_whose_words_are_gone_keeps_its_principle_published(db, profile):
    run(str(profile))
    first = Source.objects.get()
    passage = first.passages.order_by("number")[1]
    words = passage.text.split(".")[0]
    principle = Principle.objects.create(title="Be fast", status=Status.PUBLISHED)
    claim = Claim.objects.create(
        principle=principle,
        text="Fast.",
        passage=passage,
        start=passage.start,
        end=passage.start + len(words),
    )
    profile.write_text(PROFILE.replace(words, "Different words now"), encoding="utf-8")
    out, _ = run(str(profile), "--replace")
    principle.refresh_from_db()
    claim.refresh_from_db()
    assert principle.status == Status.PUBLISHED
    assert claim.passage.source == first and first.text[claim.start : claim.end] == words
    first.refresh_from_db()
    assert first.superseded_by == Source.objects.get(slug="xiaomis-new-phone")
    assert f"claim {claim.pk} of be-fast (still citing the earlier version)" in out


@pytest.mark.parametrize(
    "text,words",
    [
        (
            f"---\ntitle: Long\ninterviewer: {'N' * 300}\n---\nQ: Why?\n\nA: Because.\n",
            "interviewer",
        ),
        (f"---\ntitle: Long\nsubject: {'S' * 300}\n---\nAn essay.\n", "subject"),
        (f"---\ntitle: Long\nauthor: {'A' * 201}\n---\nAn essay.\n", "author"),
        ("---\ntitle: Only metadata\n---\n", "the text after the front matter is empty"),
    ],
    ids=["interviewer", "subject", "author", "no-body"],
)
def test_metadata_the_database_would_refuse_exits_2_in_one_line(db, tmp_path, profile, text, words):
    bad = tmp_path / "longsub.txt"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError) as error:
        run(str(profile), str(bad))  # the good file first: the batch must roll back
    assert error.value.returncode == 2
    message = str(error.value)
    assert "longsub.txt" in message and words in message and "\n" not in message
    assert counts() == (0, 0, 0)


def test_publish_by_an_operator_still_publishes(db, tmp_path):
    path = tmp_path / "interview.txt"
    path.write_text(INTERVIEW, encoding="utf-8")
    run(str(path), "--title", "India", "--publish")
    assert set(Quote.objects.values_list("status", flat=True)) == {Status.PUBLISHED}


def test_slug_names_the_source_to_store_or_replace(db, profile):
    run(str(profile), "--slug", "wang-profile")
    first = Source.objects.get()
    assert first.slug == "wang-profile"
    profile.write_text(PROFILE + "\nOne more line.\n", encoding="utf-8")
    out, _ = run(str(profile), "--replace", "--slug", "wang-profile")
    current = Source.objects.get()  # replaced, not stored beside it under the title's slug
    assert current.slug == "wang-profile" and current.pk != first.pk
    assert "[replaced]" in out


@pytest.mark.parametrize(
    "slug,files,words",
    [
        ("Wang", 1, "lowercase"),
        ("-wang", 1, "lowercase"),
        ("wang profile", 1, "lowercase"),
        ("w" * 81, 1, "at most 80"),
        ("", 1, "lowercase"),
        ("wang\x00", 1, "lowercase"),
        ("wang", 2, "one file"),
    ],
)
def test_a_bad_slug_exits_2_and_writes_nothing(db, profile, tmp_path, slug, files, words):
    other = tmp_path / "other.txt"
    other.write_text("Other\n\n" + INTERVIEW, encoding="utf-8")
    paths = [str(profile), str(other)][:files]
    with pytest.raises(CommandError, match=words) as error:
        run(*paths, f"--slug={slug}")
    assert error.value.returncode == 2
    assert counts() == (0, 0, 0)
