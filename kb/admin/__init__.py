"""The editors' admin, one module per model family; importing them registers the models."""

from kb.admin import dashboard, principles, quotes, redirects, sources, statements, taxonomy  # noqa: F401

dashboard.install()
