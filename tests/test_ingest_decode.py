"""decode_bytes: encodings in, exact text out, clear one-line errors."""

import codecs

import pytest

from kb.ingest.decode import decode_bytes, describe_size_limit
from kb.ingest.plan import IngestError

TEXT = "Lei Jun: “Millet” phones sold 26.11 million units.\r\nSecond line — café.\n"


def test_it_returns_utf8_text_exactly_with_crlf_kept():
    assert decode_bytes(TEXT.encode("utf-8")) == TEXT


def test_it_strips_the_utf8_bom_character():
    assert decode_bytes(codecs.BOM_UTF8 + TEXT.encode("utf-8")) == TEXT


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_it_decodes_utf16_with_a_bom(encoding):
    bom = codecs.BOM_UTF16_LE if encoding == "utf-16-le" else codecs.BOM_UTF16_BE
    assert decode_bytes(bom + TEXT.encode(encoding)) == TEXT


def test_it_decodes_python_utf16_output_which_carries_its_own_bom():
    assert decode_bytes(TEXT.encode("utf-16")) == TEXT


def test_it_detects_cp1252():
    text = (
        "Lei Jun’s “Xiaomi model” is simple — café owners, naïve résumé writers and "
        "fans all say the same thing: it’s about sincerity.\r\n"
    ) * 3
    assert decode_bytes(text.encode("cp1252")) == text


def test_it_detects_gbk_chinese():
    text = (
        "雷军：小米的互联网模式必须能够持续下去。从2011年8月16日小米手机第一次正式发布，"
        "到今天，不到三年时间。上周我们公布了上半年的业绩，手机销量达到2611万台。\n"
    ) * 3
    assert decode_bytes(text.encode("gbk")) == text


def test_it_refuses_nul_bytes_in_non_utf16_content():
    with pytest.raises(IngestError) as error:
        decode_bytes(b"PK\x03\x04\x00\x00binary stuff")
    assert str(error.value) == "binary file (NUL bytes)"


def test_it_refuses_a_nul_character_even_in_utf16():
    with pytest.raises(IngestError, match=r"^binary file \(NUL bytes\)$"):
        decode_bytes(codecs.BOM_UTF16_LE + "a\x00b".encode("utf-16-le"))


@pytest.mark.parametrize(
    "data", [b"", b"   \r\n\t\n", codecs.BOM_UTF8, codecs.BOM_UTF16_LE + " \n".encode("utf-16-le")]
)
def test_it_refuses_empty_and_whitespace_only_files(data):
    with pytest.raises(IngestError) as error:
        decode_bytes(data)
    assert str(error.value) == "empty file"


def test_it_refuses_files_over_the_limit_and_says_which_limit():
    with pytest.raises(IngestError) as error:
        decode_bytes(b"x" * (1024 * 1024 + 1), max_bytes=1024 * 1024)
    assert str(error.value) == "file is larger than the 1 MB limit"


def test_it_reports_the_default_limit_as_20_mb():
    with pytest.raises(IngestError) as error:
        decode_bytes(b"x" * (20 * 1024 * 1024 + 1))
    assert str(error.value) == "file is larger than the 20 MB limit"
    assert describe_size_limit(1000) == "1000 bytes"


def test_it_accepts_a_file_exactly_at_the_limit():
    assert decode_bytes(b"abc", max_bytes=3) == "abc"


def test_it_refuses_a_bom_followed_by_invalid_bytes_without_naming_the_file():
    with pytest.raises(IngestError) as error:
        decode_bytes(codecs.BOM_UTF8 + b"ok \xff\xfe broken", name="secret-name.txt")
    message = str(error.value)
    assert "UTF-8" in message and "secret-name" not in message and "\n" not in message
