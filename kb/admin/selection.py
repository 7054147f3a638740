"""Choosing a quote's or a claim's words by selecting them, not by typing offsets.

The pages where editors read (a source's change page, across its passages; a passage's
page; a principle's page, through its evidence picker) show the passages' text; selecting
words there (``static/js/admin_select.js``) widens the selection to whole words, shows the
exact words, and fills start/end (or opens the "add quote" / "add claim" form with them).

The server checks the same rule (:func:`word_boundary_error`): a span that starts or ends
inside a word is refused with the whole-word span proposed, and a span that is not the
source's text is refused by the models, as before.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join, json_script

from kb.models import Passage, Principle, Source
from kb.texts import excerpt

# A source's change page shows at most this many passages to select in (the rest: the
# passage list, one page per passage). Each passage is on the page twice (text and JSON).
SELECT_PASSAGE_LIMIT = 300
# Scripts written without spaces between words: each character is a word of its own
# (a selection is never widened across a run of Chinese).
_UNSPACED_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL")


def is_word_char(char: str) -> bool:
    """A letter or digit of a spaced script (the same test as admin_select.js's)."""
    if not char or not char.isalnum():
        return False
    name = unicodedata.name(char, "")
    return not name.startswith(_UNSPACED_SCRIPTS)


APOSTROPHES = "'’"


def inside_word(text: str, i: int) -> bool:
    """Is the gap before ``text[i]`` inside a word ("I|'d", "I'|d" and "wo|uld" are)?"""
    if not 0 < i < len(text):
        return False
    before, after = text[i - 1], text[i]
    if is_word_char(before) and is_word_char(after):
        return True
    if before in APOSTROPHES:
        return i >= 2 and is_word_char(text[i - 2]) and is_word_char(after)
    if after in APOSTROPHES:
        return i + 1 < len(text) and is_word_char(before) and is_word_char(text[i + 1])
    return False


def snap_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` widened so that neither end falls inside a word of ``text``."""
    while inside_word(text, start):
        start -= 1
    while inside_word(text, end):
        end += 1
    return start, end


def word_boundary_error(passage: Passage, start, end) -> ValidationError | None:
    """The refusal of a span of ``passage`` cut inside a word, naming the whole words."""
    if passage is None or start is None or end is None:
        return None
    offset = passage.start
    local_start, local_end = start - offset, end - offset
    if not 0 <= local_start < local_end <= len(passage.text):
        return None  # outside the passage: the model's own check says so
    text = passage.text
    snapped = snap_to_words(text, local_start, local_end)
    if snapped == (local_start, local_end):
        return None
    words = text[snapped[0] : snapped[1]]
    return ValidationError(
        "The words chosen start or end inside a word (“%(cut)s”). The whole words are "
        "“%(words)s”: characters %(start)s to %(end)s. Select them again, or type these.",
        params={
            "cut": excerpt(text[local_start:local_end], 80),
            "words": excerpt(words, 120),
            "start": snapped[0] + offset,
            "end": snapped[1] + offset,
        },
        code="mid_word",
    )


class WholeWordsMixin:
    """For a form with ``passage``, ``start`` and ``end``: refuse a span cut inside a word
    when one of the three changed (an untouched older row is left as it is)."""

    def clean(self):
        cleaned = super().clean()
        if not {"passage", "start", "end"} & set(self.changed_data):
            return cleaned
        error = word_boundary_error(
            cleaned.get("passage"), cleaned.get("start"), cleaned.get("end")
        )
        if error is not None:
            self.add_error("start" if "start" in self.fields else None, error)
        return cleaned


def passage_block(passage: Passage, *, with_number: bool = True):
    """One passage's text to select in, with its exact characters as JSON."""
    return format_html(
        '<div class="kb-select-passage" data-passage="{}" data-start="{}" data-speaker="{}">'
        "{}{}{}</div>",
        passage.pk,
        passage.start,
        passage.speaker_id or "",
        format_html('<span class="kb-select-number">¶{}</span>', passage.number)
        if with_number
        else "",
        format_html('<span class="kb-select-text">{}</span>', passage.text),
        json_script(passage.text, f"kb-passage-text-{passage.pk}"),
    )


def principle_options():
    return format_html_join(
        "",
        '<option value="{}">{}</option>',
        ((p.pk, excerpt(p.title, 70)) for p in Principle.objects.only("pk", "title")),
    )


def select_panel(*, source_id, can_quote: bool, can_claim: bool):
    """The buttons under the selectable text: quote the words, or make them a claim's
    evidence for a chosen principle (both open the add form, filled)."""
    quote = ""
    if can_quote:
        quote = format_html(
            '<button type="button" class="button kb-select-quote" disabled '
            'data-url="{}?{}">Quote the selected words</button> ',
            reverse("admin:kb_quote_add"),
            urlencode({"source": source_id}),
        )
    claim = ""
    if can_claim:
        claim = format_html(
            '<label>Claim for principle <select class="kb-select-principle">{}</select></label> '
            '<button type="button" class="button kb-select-claim" disabled data-url="{}">'
            "Use as a claim's evidence</button>",
            principle_options(),
            reverse("admin:kb_claim_add"),
        )
    return format_html(
        '<div class="kb-select-panel"><p class="kb-select-status" aria-live="polite">'
        "Select words in a passage above.</p><p>{}{}</p></div>",
        quote,
        claim,
    )


def source_selection(source: Source):
    """A source's passages to read and select in, with the quote and claim buttons."""
    passages = list(
        source.passages.filter(is_boilerplate=False).order_by("number")[: SELECT_PASSAGE_LIMIT + 1]
    )
    more = ""
    if len(passages) > SELECT_PASSAGE_LIMIT:
        passages = passages[:SELECT_PASSAGE_LIMIT]
        more = format_html(
            "<p>The first {} passages are shown: select in the others on their own pages "
            '(<a href="{}?source__id__exact={}">the passage list</a>).</p>',
            SELECT_PASSAGE_LIMIT,
            reverse("admin:kb_passage_changelist"),
            source.pk,
        )
    return format_html(
        '<div class="kb-select" data-source="{}">{}{}{}</div>',
        source.pk,
        format_html_join("", "{}", ((passage_block(p),) for p in passages)),
        more,
        select_panel(source_id=source.pk, can_quote=True, can_claim=True),
    )


def passages_json(request):
    """``?source=<pk>``: that source's passages (for the principle page's evidence picker)."""
    if not request.user.has_perm("kb.view_passage"):
        return JsonResponse({"error": "You may not read passages."}, status=403)
    try:
        source_id = int(request.GET.get("source", ""))
    except ValueError:
        return JsonResponse({"error": "Choose a source."}, status=400)
    rows = (
        Passage.objects.filter(source_id=source_id, is_boilerplate=False)
        .order_by("number")
        .values("pk", "number", "start", "text")[:SELECT_PASSAGE_LIMIT]
    )
    return JsonResponse({"passages": list(rows)})


def source_options():
    return format_html_join(
        "",
        '<option value="{}">{}</option>',
        (
            (s.pk, excerpt(s.title, 70))
            for s in Source.objects.current().only("pk", "title").order_by("title")
        ),
    )


def evidence_picker(passages_url: str):
    """The principle page's picker: choose a source, read its passages, select words, and
    fill a claim row's passage, start and end (``admin_select.js``)."""
    return format_html(
        '<div class="kb-evidence-picker" data-url="{}">'
        '<p><label>Source <select class="kb-picker-source"><option value="">—</option>{}'
        "</select></label></p>"
        '<div class="kb-select kb-picker-passages" aria-live="polite"></div>'
        '<div class="kb-select-panel"><p class="kb-select-status" aria-live="polite">'
        "Choose a source, then select words in a passage.</p>"
        '<p><label>Evidence for <select class="kb-picker-row"></select></label> '
        '<button type="button" class="button kb-picker-use" disabled>Use the selected words'
        "</button></p></div></div>",
        passages_url,
        source_options(),
    )


__all__ = [
    "SELECT_PASSAGE_LIMIT",
    "WholeWordsMixin",
    "evidence_picker",
    "passages_json",
    "snap_to_words",
    "source_selection",
    "word_boundary_error",
]
