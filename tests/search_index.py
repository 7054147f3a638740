"""The search index for the engine's tests, through the real pipeline.

Import with ``from search_index import search_index_fixture  # noqa: F401``.

tests/conftest.py gives each test an index directory of its own, kept current in-process
(``KB_SEARCH_EAGER``: each search first applies the outbox the triggers wrote). The
``search_index`` fixture builds it from the rows the test has made so far; ``pause()``
stops it following the database (what readers see in the second before the indexer
commits: the database re-check must then guard them); ``refresh()`` applies the outbox
now.
"""

import pytest

from kb.search.index import open_searcher
from kb.search.indexer import apply_pending


class Pipeline:
    def __init__(self, settings):
        self.settings = settings
        self.refresh()

    def refresh(self) -> None:
        """Apply the pending outbox (building the index if it is missing)."""
        apply_pending()
        apply_pending()  # a missing index is built first, from the database as it is now

    def pause(self) -> None:
        """The index stops following the database (until ``refresh``)."""
        self.settings.KB_SEARCH_EAGER = False

    def searcher(self):
        return open_searcher()


@pytest.fixture(name="search_index")
def search_index_fixture(db, settings, search_index_dir):
    return Pipeline(settings)
