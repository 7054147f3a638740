"""The search index for the engine's tests: built from the database under test.

Import with ``from search_index import search_index_fixture  # noqa: F401``.

``search_index`` builds a tantivy index of every row (``kb.search.documents``) in a
temporary directory and has ``kb.search`` read it; ``refresh()`` builds it again after a
change. The engine's tests so see exactly the documents of the rows they made, with no
indexer running (the pipeline's own tests cover the outbox and the indexer).
"""

import pytest
import tantivy

from kb import search
from kb.search import documents


def build_index(path) -> tantivy.Index:
    index = tantivy.Index(documents.build_schema(), path=str(path))
    documents.register_analyzers(index)
    writer = index.writer(heap_size=50_000_000, num_threads=1)
    for key, doc in documents.documents_for(documents.all_changes()):
        writer.delete_documents_by_term(documents.KEY_FIELD, key)
        if doc is not None:
            writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return index


class LocalIndex:
    def __init__(self, path):
        self.path = path
        self.generation = 0
        self.refresh()

    def refresh(self) -> None:
        """Build the index again from the database as it is now."""
        self.generation += 1
        directory = self.path / f"gen-{self.generation}"
        directory.mkdir()
        self.index = build_index(directory)

    def searcher(self):
        return self.index.searcher()


@pytest.fixture(name="search_index")
def search_index_fixture(db, tmp_path, monkeypatch):
    """The index of the rows the test has made so far (``.refresh()`` after more)."""
    local = LocalIndex(tmp_path)
    monkeypatch.setattr(search, "_open_searcher", local.searcher)
    return local
