"""Decode the bytes of an uploaded or imported file into text.

The text is returned exactly as written (line endings included) because every offset
in an import plan indexes it; only a leading byte order mark is dropped.  Problems the
user must fix raise :class:`IngestError` with a one-line message that does not repeat
the file name (the caller adds it).
"""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from kb.ingest.plan import IngestError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

# Longest BOMs first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOM_ENCODINGS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def describe_size_limit(max_bytes: int) -> str:
    """``20 MB`` for whole mebibytes, else the exact number of bytes."""
    mebibyte = 1024 * 1024
    if max_bytes >= mebibyte and max_bytes % mebibyte == 0:
        return f"{max_bytes // mebibyte} MB"
    return f"{max_bytes} bytes"


def decode_bytes(data: bytes, *, name: str = "", max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Return the text of ``data``: UTF-8 (BOM optional), UTF-16/32 with a BOM, else detected.

    ``name`` is accepted for symmetry with the callers and for future hints; messages
    never include it.
    """
    if len(data) > max_bytes:
        raise IngestError(f"file is larger than the {describe_size_limit(max_bytes)} limit")
    text = _decode_with_bom(data)
    if text is None:
        # Without a BOM a NUL byte means a binary file (or BOM-less UTF-16, which we
        # do not guess at): no real text document contains U+0000.
        if b"\x00" in data:
            raise IngestError("binary file (NUL bytes)")
        text = _decode_without_bom(data)
    if "\x00" in text:
        raise IngestError("binary file (NUL bytes)")
    if not text.strip():
        raise IngestError("empty file")
    return text


def _decode_with_bom(data: bytes) -> str | None:
    for bom, encoding in _BOM_ENCODINGS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as error:
                raise IngestError(
                    f"starts with a {encoding.upper()} byte order mark but is not valid "
                    f"{encoding.upper()} (byte {error.start + len(bom)})"
                ) from None
    return None


def _decode_without_bom(data: bytes) -> str:
    if not data.strip():
        raise IngestError("empty file")
    try:
        # Most files are UTF-8, and a strict decode is both fast and unambiguous.
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    results = from_bytes(data)
    best = results.best()
    if best is None:
        raise IngestError("cannot decode the text: not UTF-8 and no other encoding fits")
    # On Western text charset-normalizer often ranks cp1250, cp1252 and cp1257 exactly
    # equal and returns the first; cp1252 is by far the most common of them in the wild.
    for match in results:
        if (
            match.encoding == "cp1252"
            and match.chaos == best.chaos
            and match.coherence == best.coherence
        ):
            best = match
            break
    text = str(best)
    # charset-normalizer keeps a BOM-like U+FEFF at the start for some encodings.
    return text[1:] if text.startswith("\ufeff") else text
