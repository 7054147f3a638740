"""The editors' admin, one module per model family; importing them registers the models."""

from kb.admin import (  # noqa: F401
    dashboard,
    login,
    principles,
    quotes,
    redirects,
    sources,
    statements,
    taxonomy,
)

dashboard.install()
login.install()
