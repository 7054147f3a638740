"""The optional metadata block at the top of an imported text, and metadata validation.

A text may start with::

    ---
    title: Lei Jun on the Xiaomi model
    url: https://example.com/lei-jun
    kind: interview
    ---

:func:`split_front_matter` separates that block from the body; :func:`build_metadata`
merges it with the options given by the caller (command line or admin form) and checks
the values.  The block is parsed by hand rather than with YAML on purpose: values are
plain strings, and YAML would reject ordinary titles such as ``Lei Jun: the interview``
(a second colon) or turn ``published: 2014-07-15`` into a date object.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from kb.ingest.plan import IngestError, SourceMetadata

FRONT_MATTER_KEYS = (
    "title",
    "url",
    "author",
    "publisher",
    "published",
    "kind",
    "language",
    "subject",
    "interviewer",
)
# Other words for a key: a speech's or essay's ``speaker:`` is its subject.
FRONT_MATTER_SYNONYMS = {"speaker": "subject"}
SOURCE_KINDS = ("interview", "article", "essay", "profile", "speech", "other")

_FENCE = re.compile(r"---[ \t]*(?:\r\n|\r|\n|$)")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
_KEY_VALUE = re.compile(r"\s*(?P<key>[A-Za-z_][\w-]*)\s*:(?P<value>.*)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Return ``(metadata, body)``; ``({}, text)`` when the text has no front matter.

    The body is everything after the closing ``---`` line, untouched.
    """
    opening = _FENCE.match(text)
    if opening is None or opening.end() == len(text) and not text.endswith(("\n", "\r")):
        return {}, text
    front: dict[str, str] = {}
    position = opening.end()
    line_number = 1
    while position < len(text):
        line = _LINE.match(text, position)
        assert line is not None  # the pattern matches the empty string
        position = line.end()
        line_number += 1
        content = line.group().rstrip("\r\n")
        if _FENCE.fullmatch(content):
            return front, text[position:]
        if not content.strip() or content.lstrip().startswith("#"):
            continue
        pair = _KEY_VALUE.fullmatch(content)
        if pair is None:
            raise IngestError(
                f"malformed front matter line {line_number}: expected 'key: value', "
                f"got {content.strip()[:60]!r}"
            )
        key = pair.group("key").lower()
        key = FRONT_MATTER_SYNONYMS.get(key, key)
        if key not in FRONT_MATTER_KEYS:
            raise IngestError(
                f"unknown front matter key {key!r} (allowed: {', '.join(FRONT_MATTER_KEYS)})"
            )
        if key in front:
            raise IngestError(f"front matter key {key!r} is given twice")
        front[key] = _unquote(pair.group("value").strip())
        if line.end() == len(text):
            break
    raise IngestError("front matter is not closed by a '---' line")


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1].strip()
    return value


def build_metadata(front: dict, options: dict) -> SourceMetadata:
    """Merge front matter and caller options (options win unless None or empty) and validate.

    Keys of ``options`` that are not metadata fields (a command's ``verbosity``...) are
    ignored; unknown keys in ``front`` were already refused by :func:`split_front_matter`.
    """
    values: dict[str, object] = {}
    for key in FRONT_MATTER_KEYS:
        value = options.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            value = front.get(key)
        if isinstance(value, str):
            value = value.strip()
        if value is not None and value != "":
            values[key] = value
    return SourceMetadata(
        title=str(values.get("title", "")),
        url=validate_url(str(values.get("url", ""))),
        author=str(values.get("author", "")),
        publisher=str(values.get("publisher", "")),
        published=parse_published(values.get("published")),
        kind=validate_kind(str(values.get("kind", "other"))),
        language=validate_language(str(values.get("language", "en"))),
        subject=str(values.get("subject", "")),
        interviewer=str(values.get("interviewer", "")),
    )


def parse_published(value: object) -> date | None:
    """``YYYY-MM-DD`` (or a date object) to a date; None when not given."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if _ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise IngestError(f"bad date {text!r}: expected a real date written YYYY-MM-DD")


# What Source.url accepts (kb.models.http_url_validator and its max_length): a URL this
# module lets through must never fail the model's full_clean() later, in store_plan.
URL_MAX_LENGTH = 500
_HTTP_URL = URLValidator(schemes=["http", "https"])


def validate_url(url: str) -> str:
    """An http(s) address with a host, or the empty string; anything else is refused."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not host
        or any(character.isspace() for character in url)
    ):
        raise IngestError(f"bad URL {url!r}: expected an http:// or https:// address with a host")
    if len(url) > URL_MAX_LENGTH:
        raise IngestError(f"bad URL {url[:60]!r}…: longer than {URL_MAX_LENGTH} characters")
    try:
        _HTTP_URL(url)
    except ValidationError:
        raise IngestError(f"bad URL {url!r}: not a valid web address") from None
    return url


def validate_kind(kind: str) -> str:
    normalised = kind.strip().lower() or "other"
    if normalised not in SOURCE_KINDS:
        raise IngestError(f"bad kind {kind!r}: choose one of {', '.join(SOURCE_KINDS)}")
    return normalised


def validate_language(language: str) -> str:
    if not _LANGUAGE.fullmatch(language):
        raise IngestError(f"bad language {language!r}: expected a code such as 'en' or 'zh-CN'")
    return language
