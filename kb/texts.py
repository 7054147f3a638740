"""What makes two stored texts the same text, for the importer's duplicate check."""

import hashlib
import re

_LINE_END = re.compile(r"\r\n?")
_TRAILING_SPACE = re.compile(r"[ \t\u00a0\u3000]+$", re.MULTILINE)


def fingerprint(text: str) -> str:
    """sha256 of ``text`` with what copies of one file differ by taken out: line endings
    (CRLF, CR), spaces at the ends of lines, a byte order mark, blank lines at either end.

    The stored text keeps all of these (every offset indexes it); only the comparison
    ignores them, so the same article saved on Windows is not imported twice.
    """
    text = _LINE_END.sub("\n", text.lstrip("\ufeff"))
    text = _TRAILING_SPACE.sub("", text).strip("\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
