"""A guessed encoding is reported: decode_text says how it decoded, the admin preview and
``import_source`` warn the editor, and GBK Chinese is guessed right on short texts."""

import codecs
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from kb.ingest.decode import decode_text, non_ascii_lines
from kb.ingest.pipeline import plan_from_bytes, plan_import
from kb.ingest.plan import SourceMetadata
from kb.models import Source

IMPORT_URL = "/admin/kb/source/import/"

WESTERN = """Lei Jun in Paris

The founder said the café was “full of fans”.

He spoke about price — and about naïve résumé writers.
"""

CHINESE = "雷军说：小米。\n"


def encoded(text: str, encoding: str) -> bytes:
    return text.encode(encoding)


# -- decode_text: what it says about the decoding ------------------------------------


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (WESTERN.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + WESTERN.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF16_LE + WESTERN.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + WESTERN.encode("utf-16-be"), "utf-16-be"),
        (WESTERN.encode("utf-16"), "utf-16-le"),  # Python's own BOM, little-endian here
        (codecs.BOM_UTF32_LE + WESTERN.encode("utf-32-le"), "utf-32-le"),
        (CHINESE.encode("utf-8"), "utf-8"),
    ],
)
def test_it_does_not_call_utf8_or_a_bom_a_guess(data, encoding):
    text, decoding = decode_text(data)
    assert text in (WESTERN, CHINESE)
    assert decoding.encoding == encoding
    assert not decoding.guessed
    assert decoding.warning() == "" and decoding.warning_line() == ""
    assert decoding.samples == ()


def test_it_says_a_cp1252_file_was_guessed_and_names_the_encoding():
    text, decoding = decode_text(WESTERN.encode("cp1252"))
    assert text == WESTERN
    assert decoding.guessed and decoding.encoding == "cp1252"
    warning = decoding.warning()
    assert "not UTF-8" in warning and "Windows-1252 (cp1252)" in warning
    assert "a guess" in warning and "\n" not in warning
    # The lines the guess may have garbled, numbered as an editor numbers them.
    assert decoding.samples == (
        (3, "The founder said the café was “full of fans”."),
        (5, "He spoke about price — and about naïve résumé writers."),
    )


def test_it_guesses_short_gbk_chinese_as_gb18030_not_korean():
    # charset-normalizer ranks cp949 (Korean) and gb18030 equal on a few Chinese words and
    # returned cp949: "잉엊綱：鬼쵠。" was stored.
    for text in (CHINESE, "小米\n", "Lei Jun (雷军) founded Xiaomi.\n"):
        decoded, decoding = decode_text(text.encode("gbk"))
        assert decoded == text
        assert decoding.guessed and decoding.encoding == "gb18030"
        assert "Simplified Chinese" in decoding.warning()


def test_a_long_gbk_text_and_a_gbk_only_character_still_decode():
    text = "雷军：小米的互联网模式必须能够持续下去。朱镕基。\n" * 3  # 镕 is GBK, not GB2312
    decoded, decoding = decode_text(text.encode("gbk"))
    assert decoded == text and decoding.encoding == "gb18030"


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        # Latin-1 letters before ASCII decode cleanly as GB18030 ("M黮ler"): not GB2312.
        ("Müller und Zürich\n", "latin-1"),
        ("Die Größe der Städte\n", "latin-1"),
        # Short Western text came out as cp1006 (Urdu), or as BOM-less UTF-16 ("Grüße").
        ("café\n", "cp1252"),
        ("Grüße\n", "latin-1"),
    ],
)
def test_western_text_is_still_guessed_as_western(text, encoding):
    decoded, decoding = decode_text(text.encode(encoding))
    assert decoded == text
    assert decoding.guessed and decoding.encoding == "cp1252"


def test_korean_text_is_not_taken_for_chinese():
    text = "레이쥔은 샤오미의 창업자입니다.\n"
    decoded, decoding = decode_text(text.encode("euc-kr"))
    assert decoded == text and decoding.encoding == "cp949"


def test_the_warning_line_is_one_line_with_the_samples():
    _, decoding = decode_text(("ok\r\n" + "The café is full — of fans.\r\n" * 5).encode("cp1252"))
    line = decoding.warning_line()
    assert "\n" not in line and "\r" not in line
    assert line.startswith(decoding.warning())
    sample = "'The café is full — of fans.'"
    assert f"line 2: {sample}; line 3: {sample}; line 4: {sample}" in line
    assert "line 5" not in line  # three lines at most


def test_the_samples_show_what_a_wrong_guess_made_of_the_text():
    # Five short German lines in cp1252: charset-normalizer 3.5 offers only Korean (johab)
    # and "Ümlaut" comes out garbled. Whatever it guesses, the editor sees that text.
    text = "ok\n" + "Zeile mit Ümlaut\n" * 5
    decoded, decoding = decode_text(text.encode("cp1252"))
    assert decoding.guessed
    lines = decoded.split("\n")
    assert decoding.samples == tuple((n, lines[n - 1]) for n in (2, 3, 4))


def test_non_ascii_lines_shows_the_part_of_a_long_line_around_the_first_non_ascii_character():
    text = "plain\n" + "x" * 200 + "é" + "y" * 200 + "\nlast ü"
    samples = non_ascii_lines(text, width=40)
    assert [number for number, _ in samples] == [2, 3]
    excerpt = samples[0][1]
    assert "é" in excerpt and excerpt.startswith("…") and excerpt.endswith("…")
    assert len(excerpt) == 42
    assert samples[1] == (3, "last ü")
    assert non_ascii_lines("only ascii\n") == ()


def test_plan_from_bytes_carries_the_decoding_and_a_plan_from_text_has_none():
    plan = plan_from_bytes(WESTERN.encode("cp1252"), {})
    assert plan.text == WESTERN
    assert plan.decoding.encoding == "cp1252" and plan.decoding.guessed
    assert plan.decoding_warning == plan.decoding.warning() != ""
    assert plan_from_bytes(WESTERN.encode("utf-8"), {}).decoding_warning == ""
    from_text = plan_import(WESTERN, SourceMetadata())
    assert from_text.decoding is None and from_text.decoding_warning == ""


# -- the admin preview ----------------------------------------------------------------


def preview_upload(client, data: bytes):
    upload = SimpleUploadedFile("text.txt", data, content_type="text/plain")
    return client.post(IMPORT_URL, {"preview": "Preview", "file": upload})


def test_the_preview_warns_about_a_guessed_encoding_and_shows_the_lines(admin_client):
    response = preview_upload(admin_client, WESTERN.encode("cp1252"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="import-encoding-warning"' in html
    assert "decoded as Windows-1252 (cp1252), a guess" in html
    assert 'id="import-encoding-samples"' in html
    assert "naïve résumé writers" in html
    # Still a warning, not a refusal: the preview can be confirmed.
    assert response.context["can_confirm"]
    assert Source.objects.count() == 0


def test_the_preview_shows_chinese_gbk_as_chinese(admin_client):
    response = preview_upload(admin_client, ("雷军访谈\n\n" + CHINESE).encode("gbk"))
    html = response.content.decode()
    assert "Simplified Chinese GBK/GB18030 (gb18030)" in html
    assert "雷军说：小米。" in html


@pytest.mark.parametrize(
    "data",
    [
        WESTERN.encode("utf-8"),
        codecs.BOM_UTF8 + WESTERN.encode("utf-8"),
        WESTERN.encode("utf-16"),
    ],
)
def test_the_preview_does_not_warn_about_utf8_or_a_bom(admin_client, data):
    response = preview_upload(admin_client, data)
    assert response.status_code == 200
    assert response.context["preview"]["characters"] == len(WESTERN)
    html = response.content.decode()
    assert "import-encoding-warning" not in html and "a guess" not in html


def test_a_pasted_text_is_never_a_guess(admin_client):
    response = admin_client.post(IMPORT_URL, {"preview": "Preview", "text": WESTERN})
    assert response.context["preview"]["encoding_warning"] == ""
    assert "import-encoding-warning" not in response.content.decode()


# -- the command ----------------------------------------------------------------------


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import_source", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_warns_on_one_stderr_line_and_still_imports(db, tmp_path):
    path = tmp_path / "western.txt"
    path.write_bytes(WESTERN.encode("cp1252"))
    out, err = run(str(path))  # raises CommandError (exit code 2) on a failure
    assert err.count("\n") == 1
    assert err.startswith(f"{path}: warning: The file is not UTF-8: it was decoded as ")
    assert "Windows-1252 (cp1252)" in err and "line 3: 'The founder said the café" in err
    source = Source.objects.get()
    assert source.text == WESTERN
    assert out.startswith(f"{source.slug}: ")


def test_the_command_warns_on_a_dry_run_too(db, tmp_path):
    path = tmp_path / "chinese.txt"
    path.write_bytes(("雷军访谈\n\n" + CHINESE).encode("gbk"))
    out, err = run(str(path), "--dry-run")
    assert "decoded as Simplified Chinese GBK/GB18030 (gb18030)" in err
    assert "'雷军说：小米。'" in err
    assert "dry run: nothing written" in out and Source.objects.count() == 0


def test_the_command_is_silent_about_utf8_and_utf16_with_a_bom(db, tmp_path):
    (tmp_path / "a.txt").write_bytes(WESTERN.encode("utf-8"))
    (tmp_path / "b.txt").write_bytes(("Second text\n\n" + WESTERN).encode("utf-16"))
    _, err = run(str(tmp_path))
    assert err == ""
    assert Source.objects.count() == 2
