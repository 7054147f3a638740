"""What makes two stored texts the same text, for the importer's duplicate check."""

import hashlib

TRAILING_SPACE = " \t\u00a0\u3000"


def fingerprint(text: str) -> str:
    """sha256 of ``text`` with what copies of one file differ by taken out: line endings
    (CRLF, CR), spaces at the ends of lines, a byte order mark, blank lines at either end.

    The stored text keeps all of these (every offset indexes it); only the comparison
    ignores them, so the same article saved on Windows is not imported twice.
    """
    # str methods, not a MULTILINE regex: half the time (0.2 s for 21 MB of text).
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = (line.rstrip(TRAILING_SPACE) for line in text.split("\n"))
    return hashlib.sha256("\n".join(lines).strip("\n").encode("utf-8")).hexdigest()


def excerpt(text: str, length: int = 100) -> str:
    """``text`` on one line (runs of whitespace as one space), cut to ``length`` characters
    with "…" when longer: how lists and messages name a quote or a claim."""
    text = " ".join(str(text).split())
    return text if len(text) <= length else text[: length - 1] + "…"
