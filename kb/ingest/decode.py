"""Decode the bytes of an uploaded or imported file into text, and say how.

The text is returned exactly as written (line endings included) because every offset
in an import plan indexes it; only a leading byte order mark is dropped.  Problems the
user must fix raise :class:`IngestError` with a one-line message that does not repeat
the file name (the caller adds it).

UTF-8 (BOM or not) and UTF-16/32 with a BOM are certain.  Anything else is a guess
(charset-normalizer), and a wrong guess would be stored as the original for good, since
the stored text is never rewritten: :func:`decode_text` therefore returns a
:class:`~kb.ingest.plan.Decoding` saying which encoding was used and whether it was
guessed, for the admin preview and the command to warn the editor.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from kb.ingest.plan import Decoding, IngestError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

# Longest BOMs first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOM_ENCODINGS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# How many lines with non-ASCII characters a guess shows the editor, and how much of each.
SAMPLE_LINES = 3
SAMPLE_CHARS = 80
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def describe_size_limit(max_bytes: int) -> str:
    """``20 MB`` for whole mebibytes, else the exact number of bytes."""
    mebibyte = 1024 * 1024
    if max_bytes >= mebibyte and max_bytes % mebibyte == 0:
        return f"{max_bytes // mebibyte} MB"
    return f"{max_bytes} bytes"


def decode_bytes(data: bytes, *, name: str = "", max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The text of ``data`` (see :func:`decode_text`, which also says how it was decoded)."""
    text, _ = decode_text(data, name=name, max_bytes=max_bytes)
    return text


def decode_text(
    data: bytes, *, name: str = "", max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[str, Decoding]:
    """``(text, decoding)``: UTF-8 (BOM optional), UTF-16/32 with a BOM, else detected.

    ``decoding.guessed`` is True for a detected encoding: the caller must ask the editor
    to check the text (``decoding.warning()``).  ``name`` is accepted for symmetry with
    the callers and for future hints; messages never include it.
    """
    if len(data) > max_bytes:
        raise IngestError(f"file is larger than the {describe_size_limit(max_bytes)} limit")
    decoded = _decode_with_bom(data)
    if decoded is None:
        # Without a BOM a NUL byte means a binary file (or BOM-less UTF-16, which we
        # do not guess at): no real text document contains U+0000.
        if b"\x00" in data:
            raise IngestError("binary file (NUL bytes)")
        decoded = _decode_without_bom(data)
    text, decoding = decoded
    if "\x00" in text:
        raise IngestError("binary file (NUL bytes)")
    if not text.strip():
        raise IngestError("empty file")
    return text, decoding


def _decode_with_bom(data: bytes) -> tuple[str, Decoding] | None:
    for bom, encoding in _BOM_ENCODINGS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding), Decoding(encoding)
            except UnicodeDecodeError as error:
                raise IngestError(
                    f"starts with a {encoding.upper()} byte order mark but is not valid "
                    f"{encoding.upper()} (byte {error.start + len(bom)})"
                ) from None
    return None


def _decode_without_bom(data: bytes) -> tuple[str, Decoding]:
    if not data.strip():
        raise IngestError("empty file")
    try:
        # Most files are UTF-8, and a strict decode is both fast and unambiguous.
        return data.decode("utf-8"), Decoding("utf-8")
    except UnicodeDecodeError:
        pass
    # BOM-less UTF-16/32 is not guessed at (see decode_text): with no NUL byte it can only
    # be a short run of bytes that charset-normalizer reads as UTF-16 for want of better
    # ("Grüße" in Latin-1 came out as three CJK characters).
    results = [
        match for match in from_bytes(data) if not match.encoding.startswith(("utf_16", "utf_32"))
    ]
    if not results:
        raise IngestError("cannot decode the text: not UTF-8 and no other encoding fits")
    best, encoding = _prefer_on_a_tie(results)
    text = str(best)
    # charset-normalizer keeps a BOM-like U+FEFF at the start for some encodings.
    text = text[1:] if text.startswith("\ufeff") else text
    encoding = codecs.lookup(encoding).name
    return text, Decoding(encoding, guessed=True, samples=non_ascii_lines(text))


def _prefer_on_a_tie(results: list) -> tuple:
    """``(match, encoding)``: the best match, or a likelier one ranked exactly equal.

    On short texts charset-normalizer often ranks many encodings equal and returns the
    first, often a rare one ("café" came out as cp1006, Urdu).  A tie goes to:

    * gb18030 when every character it decodes is in GB2312 (both bytes 0xA1-0xFE): a
      corpus about Lei Jun and Xiaomi is far likelier to hold GBK Chinese than Korean
      ("雷军说：小米。" came out as cp949).  A Latin-1 "Müller" also decodes as GB18030
      ("M黮ler"), but never into GB2312;
    * else cp1252, by far the most common single-byte encoding in the wild, also when
      charset-normalizer folded it into an equivalent match (``could_be_from_charset``:
      the same text under another name, cp1250 for "café").
    """
    best = results[0]
    tied = [m for m in results if m.chaos == best.chaos and m.coherence == best.coherence]
    for match in tied:
        if match.encoding == "gb18030" and _is_gb2312(str(match)):
            return match, match.encoding
    for match in tied:
        if match.encoding == "cp1252" or "cp1252" in match.could_be_from_charset:
            return match, "cp1252"
    return best, best.encoding


def _is_gb2312(text: str) -> bool:
    try:
        text.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def non_ascii_lines(
    text: str, *, limit: int = SAMPLE_LINES, width: int = SAMPLE_CHARS
) -> tuple[tuple[int, str], ...]:
    """Up to ``limit`` ``(line number, excerpt)`` of the lines holding non-ASCII characters.

    Those are the characters a wrong guess garbles, so they are what the editor must
    check.  An excerpt is at most ``width`` characters, around the line's first non-ASCII
    character.  Line numbers count ``\\n`` from 1, as an editor shows them.
    """
    found: list[tuple[int, str]] = []
    line_number, counted_to = 1, 0
    position = 0
    while len(found) < limit:
        match = _NON_ASCII.search(text, position)
        if match is None:
            break
        at = match.start()
        line_start = text.rfind("\n", 0, at) + 1
        line_end = text.find("\n", at)
        line_end = len(text) if line_end == -1 else line_end
        line_number += text.count("\n", counted_to, line_start)
        counted_to = line_start
        line = text[line_start:line_end].rstrip("\r")
        found.append((line_number, _excerpt_around(line, at - line_start, width)))
        position = line_end + 1
    return tuple(found)


def _excerpt_around(line: str, at: int, width: int) -> str:
    if len(line) <= width:
        return line
    start = max(0, min(at - width // 4, len(line) - width))
    excerpt = line[start : start + width]
    return ("…" if start else "") + excerpt + ("…" if start + width < len(line) else "")
