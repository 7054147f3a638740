"""The editors' admin, one module per model family; importing them registers the models."""

from kb.admin import curation, dashboard, sources, taxonomy  # noqa: F401

dashboard.install()
