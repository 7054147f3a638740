"""The editors' admin, one module per model family; importing them registers the models."""

from kb.admin import curation, sources, taxonomy  # noqa: F401
