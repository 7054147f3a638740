"""The editors' admin, one module per model family; importing them registers the models."""

from kb.admin import curation, dashboard, login, sources, taxonomy  # noqa: F401

dashboard.install()
login.install()
