"""The aligner of issue #19: a Chinese original's passages and sentences linked to an
English translation's, as exact character spans of both texts (no database, no model).

``align_texts`` is the entry point; ``reanchor_link`` moves a stored (editor-corrected)
link onto a new version of either text. See docs/alignment.md.
"""

from kb.align.core import Link, align_segments, align_texts
from kb.align.reanchor import Reanchored, StoredLink, find_span, reanchor_link
from kb.align.text import paragraph_spans, split_sentences_en, split_sentences_zh

__all__ = [
    "Link",
    "Reanchored",
    "StoredLink",
    "align_segments",
    "align_texts",
    "find_span",
    "paragraph_spans",
    "reanchor_link",
    "split_sentences_en",
    "split_sentences_zh",
]
