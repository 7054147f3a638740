"""The editors' admin, one module per model family; importing them registers the models."""

from kb.admin import dashboard, login, principles, quotes, redirects, sources, taxonomy  # noqa: F401

dashboard.install()
login.install()
