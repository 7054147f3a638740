"""The public reading pages. Each view is thin: a queryset, a FilterSet, a template."""

from kb.views.exports import (
    principle_export_csv,
    principle_export_jsonl,
    quote_export_annotations,
    quote_export_csv,
    quote_export_jsonl,
)
from kb.views.people import person_detail, person_list
from kb.views.principles import principle_detail, principle_list
from kb.views.quotes import home, quote_detail, quote_list
from kb.views.search import search as search
from kb.views.sources import passage_detail, source_detail, source_list
from kb.views.themes import theme_detail, theme_list

__all__ = [
    "home",
    "passage_detail",
    "person_detail",
    "person_list",
    "principle_detail",
    "principle_export_csv",
    "principle_export_jsonl",
    "principle_list",
    "quote_detail",
    "quote_export_annotations",
    "quote_export_csv",
    "quote_export_jsonl",
    "quote_list",
    "source_detail",
    "source_list",
    "theme_detail",
    "theme_list",
]
