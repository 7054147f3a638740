# Search moves to tantivy (issue #24): the database keeps an outbox of what changed, the
# indexer (kb.search.indexer) applies it to the index beside the database. This migration
# - drops the old full-text search: SQLite's FTS5 tables and their triggers, PostgreSQL's
#   vector functions, triggers, GIN and trigram indexes and the search_vector columns;
# - creates the outbox table and its triggers on every searchable table: each insert,
#   update and delete adds (kind, id) rows in the same transaction (kb.search.outbox says
#   which; the SQL is frozen here, as a migration never imports live code).
# Backwards, the old search is installed again (as 0012 left it) and rebuilt.
# The index itself is built by ``manage.py rebuild_search_index`` (``make setup`` does).

from django.db import migrations, models, transaction
import django.db.models.functions.datetime

# --- The outbox triggers --------------------------------------------------------------------

SQLITE_OUTBOX_TRIGGERS = {
    'kb_outbox_kb_source_ai': "CREATE TRIGGER kb_outbox_kb_source_ai AFTER INSERT ON kb_source BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'source', NEW.id WHERE NEW.id IS NOT NULL; END",
    'kb_outbox_kb_source_au': "CREATE TRIGGER kb_outbox_kb_source_au AFTER UPDATE ON kb_source WHEN OLD.id IS NOT NEW.id OR OLD.title IS NOT NEW.title OR OLD.kind IS NOT NEW.kind OR OLD.author IS NOT NEW.author OR OLD.publisher IS NOT NEW.publisher OR OLD.notes IS NOT NEW.notes OR OLD.year IS NOT NEW.year OR OLD.superseded_by_id IS NOT NEW.superseded_by_id BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'source', NEW.id WHERE NEW.id IS NOT NULL;INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'source', OLD.id WHERE OLD.id IS NOT NULL AND OLD.id IS NOT NEW.id; END",
    'kb_outbox_kb_source_ad': "CREATE TRIGGER kb_outbox_kb_source_ad AFTER DELETE ON kb_source BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'source', OLD.id WHERE OLD.id IS NOT NULL; END",
    'kb_outbox_kb_passage_ai': "CREATE TRIGGER kb_outbox_kb_passage_ai AFTER INSERT ON kb_passage BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'passage', NEW.id WHERE NEW.id IS NOT NULL; END",
    'kb_outbox_kb_passage_au': "CREATE TRIGGER kb_outbox_kb_passage_au AFTER UPDATE ON kb_passage BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'passage', NEW.id WHERE NEW.id IS NOT NULL;INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'passage', OLD.id WHERE OLD.id IS NOT NULL AND OLD.id IS NOT NEW.id;INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'source', OLD.source_id WHERE OLD.source_id IS NOT NULL AND OLD.source_id IS NOT NEW.source_id; END",
    'kb_outbox_kb_passage_ad': "CREATE TRIGGER kb_outbox_kb_passage_ad AFTER DELETE ON kb_passage BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'passage', OLD.id WHERE OLD.id IS NOT NULL;INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'source', OLD.source_id WHERE OLD.source_id IS NOT NULL; END",
    'kb_outbox_kb_quote_ai': "CREATE TRIGGER kb_outbox_kb_quote_ai AFTER INSERT ON kb_quote BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'quote', NEW.id WHERE NEW.id IS NOT NULL; END",
    'kb_outbox_kb_quote_au': "CREATE TRIGGER kb_outbox_kb_quote_au AFTER UPDATE ON kb_quote BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'quote', NEW.id WHERE NEW.id IS NOT NULL;INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'quote', OLD.id WHERE OLD.id IS NOT NULL AND OLD.id IS NOT NEW.id;INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'passage', OLD.passage_id WHERE OLD.passage_id IS NOT NULL AND OLD.passage_id IS NOT NEW.passage_id;INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'source', OLD.source_id WHERE OLD.source_id IS NOT NULL AND OLD.source_id IS NOT NEW.source_id; END",
    'kb_outbox_kb_quote_ad': "CREATE TRIGGER kb_outbox_kb_quote_ad AFTER DELETE ON kb_quote BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'quote', OLD.id WHERE OLD.id IS NOT NULL;INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'passage', OLD.passage_id WHERE OLD.passage_id IS NOT NULL;INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'source', OLD.source_id WHERE OLD.source_id IS NOT NULL; END",
    'kb_outbox_kb_quote_themes_ai': "CREATE TRIGGER kb_outbox_kb_quote_themes_ai AFTER INSERT ON kb_quote_themes BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'quote', NEW.quote_id WHERE NEW.quote_id IS NOT NULL; END",
    'kb_outbox_kb_quote_themes_au': "CREATE TRIGGER kb_outbox_kb_quote_themes_au AFTER UPDATE ON kb_quote_themes BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'quote', NEW.quote_id WHERE NEW.quote_id IS NOT NULL;INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'quote', OLD.quote_id WHERE OLD.quote_id IS NOT NULL AND OLD.quote_id IS NOT NEW.quote_id; END",
    'kb_outbox_kb_quote_themes_ad': "CREATE TRIGGER kb_outbox_kb_quote_themes_ad AFTER DELETE ON kb_quote_themes BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'quote', OLD.quote_id WHERE OLD.quote_id IS NOT NULL; END",
    'kb_outbox_kb_principle_ai': "CREATE TRIGGER kb_outbox_kb_principle_ai AFTER INSERT ON kb_principle BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'principle', NEW.id WHERE NEW.id IS NOT NULL; END",
    'kb_outbox_kb_principle_au': "CREATE TRIGGER kb_outbox_kb_principle_au AFTER UPDATE ON kb_principle BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'principle', NEW.id WHERE NEW.id IS NOT NULL;INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'principle', OLD.id WHERE OLD.id IS NOT NULL AND OLD.id IS NOT NEW.id; END",
    'kb_outbox_kb_principle_ad': "CREATE TRIGGER kb_outbox_kb_principle_ad AFTER DELETE ON kb_principle BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'principle', OLD.id WHERE OLD.id IS NOT NULL; END",
    'kb_outbox_kb_principle_themes_ai': "CREATE TRIGGER kb_outbox_kb_principle_themes_ai AFTER INSERT ON kb_principle_themes BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'principle', NEW.principle_id WHERE NEW.principle_id IS NOT NULL; END",
    'kb_outbox_kb_principle_themes_au': "CREATE TRIGGER kb_outbox_kb_principle_themes_au AFTER UPDATE ON kb_principle_themes BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'principle', NEW.principle_id WHERE NEW.principle_id IS NOT NULL;INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'principle', OLD.principle_id WHERE OLD.principle_id IS NOT NULL AND OLD.principle_id IS NOT NEW.principle_id; END",
    'kb_outbox_kb_principle_themes_ad': "CREATE TRIGGER kb_outbox_kb_principle_themes_ad AFTER DELETE ON kb_principle_themes BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'principle', OLD.principle_id WHERE OLD.principle_id IS NOT NULL; END",
    'kb_outbox_kb_claim_ai': "CREATE TRIGGER kb_outbox_kb_claim_ai AFTER INSERT ON kb_claim BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'claim', NEW.id WHERE NEW.id IS NOT NULL; END",
    'kb_outbox_kb_claim_au': "CREATE TRIGGER kb_outbox_kb_claim_au AFTER UPDATE ON kb_claim BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'claim', NEW.id WHERE NEW.id IS NOT NULL;INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'claim', OLD.id WHERE OLD.id IS NOT NULL AND OLD.id IS NOT NEW.id;INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'principle', OLD.principle_id WHERE OLD.principle_id IS NOT NULL AND OLD.principle_id IS NOT NEW.principle_id; END",
    'kb_outbox_kb_claim_ad': "CREATE TRIGGER kb_outbox_kb_claim_ad AFTER DELETE ON kb_claim BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'claim', OLD.id WHERE OLD.id IS NOT NULL;INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'principle', OLD.principle_id WHERE OLD.principle_id IS NOT NULL; END",
    'kb_outbox_kb_theme_ai': "CREATE TRIGGER kb_outbox_kb_theme_ai AFTER INSERT ON kb_theme BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'theme', NEW.id WHERE NEW.id IS NOT NULL; END",
    'kb_outbox_kb_theme_au': "CREATE TRIGGER kb_outbox_kb_theme_au AFTER UPDATE ON kb_theme BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'theme', NEW.id WHERE NEW.id IS NOT NULL;INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'theme', OLD.id WHERE OLD.id IS NOT NULL AND OLD.id IS NOT NEW.id; END",
    'kb_outbox_kb_theme_ad': "CREATE TRIGGER kb_outbox_kb_theme_ad AFTER DELETE ON kb_theme BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'theme', OLD.id WHERE OLD.id IS NOT NULL; END",
    'kb_outbox_kb_person_ai': "CREATE TRIGGER kb_outbox_kb_person_ai AFTER INSERT ON kb_person BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'person', NEW.id WHERE NEW.id IS NOT NULL; END",
    'kb_outbox_kb_person_au': "CREATE TRIGGER kb_outbox_kb_person_au AFTER UPDATE ON kb_person BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'person', NEW.id WHERE NEW.id IS NOT NULL;INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'person', OLD.id WHERE OLD.id IS NOT NULL AND OLD.id IS NOT NEW.id; END",
    'kb_outbox_kb_person_ad': "CREATE TRIGGER kb_outbox_kb_person_ad AFTER DELETE ON kb_person BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'person', OLD.id WHERE OLD.id IS NOT NULL; END",
    'kb_outbox_kb_searchalias_ai': "CREATE TRIGGER kb_outbox_kb_searchalias_ai AFTER INSERT ON kb_searchalias BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'alias', NEW.id WHERE NEW.id IS NOT NULL; END",
    'kb_outbox_kb_searchalias_au': "CREATE TRIGGER kb_outbox_kb_searchalias_au AFTER UPDATE ON kb_searchalias BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'alias', NEW.id WHERE NEW.id IS NOT NULL;INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'alias', OLD.id WHERE OLD.id IS NOT NULL AND OLD.id IS NOT NEW.id; END",
    'kb_outbox_kb_searchalias_ad': "CREATE TRIGGER kb_outbox_kb_searchalias_ad AFTER DELETE ON kb_searchalias BEGIN INSERT INTO kb_searchoutbox (kind, object_id) SELECT 'alias', OLD.id WHERE OLD.id IS NOT NULL; END",
}

PG_OUTBOX_FUNCTION = """CREATE OR REPLACE FUNCTION kb_search_outbox_note() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  new_row jsonb;
  old_row jsonb;
  v_kind text;
  v_column text;
BEGIN
  IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW); END IF;
  IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD); END IF;
  FOR i IN 0 .. TG_NARGS - 1 LOOP
    v_kind := split_part(TG_ARGV[i], ':', 1);
    v_column := split_part(TG_ARGV[i], ':', 2);
    IF i = 0 AND new_row ->> v_column IS NOT NULL THEN
      INSERT INTO kb_searchoutbox (kind, object_id) VALUES (v_kind, (new_row ->> v_column)::bigint);
    END IF;
    IF old_row ->> v_column IS NOT NULL
       AND (new_row IS NULL OR (old_row ->> v_column) IS DISTINCT FROM (new_row ->> v_column)) THEN
      INSERT INTO kb_searchoutbox (kind, object_id) VALUES (v_kind, (old_row ->> v_column)::bigint);
    END IF;
  END LOOP;
  RETURN NULL;
END $$"""

PG_OUTBOX_TRIGGERS = {
    'kb_outbox_kb_source_insdel': "CREATE TRIGGER kb_outbox_kb_source_insdel AFTER INSERT OR DELETE ON kb_source FOR EACH ROW EXECUTE FUNCTION kb_search_outbox_note('source:id')",
    'kb_outbox_kb_source_upd': "CREATE TRIGGER kb_outbox_kb_source_upd AFTER UPDATE ON kb_source FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.title IS DISTINCT FROM NEW.title OR OLD.kind IS DISTINCT FROM NEW.kind OR OLD.author IS DISTINCT FROM NEW.author OR OLD.publisher IS DISTINCT FROM NEW.publisher OR OLD.notes IS DISTINCT FROM NEW.notes OR OLD.year IS DISTINCT FROM NEW.year OR OLD.superseded_by_id IS DISTINCT FROM NEW.superseded_by_id) EXECUTE FUNCTION kb_search_outbox_note('source:id')",
    'kb_outbox_kb_passage_insdel': "CREATE TRIGGER kb_outbox_kb_passage_insdel AFTER INSERT OR DELETE ON kb_passage FOR EACH ROW EXECUTE FUNCTION kb_search_outbox_note('passage:id', 'source:source_id')",
    'kb_outbox_kb_passage_upd': "CREATE TRIGGER kb_outbox_kb_passage_upd AFTER UPDATE ON kb_passage FOR EACH ROW EXECUTE FUNCTION kb_search_outbox_note('passage:id', 'source:source_id')",
    'kb_outbox_kb_quote_insdel': "CREATE TRIGGER kb_outbox_kb_quote_insdel AFTER INSERT OR DELETE ON kb_quote FOR EACH ROW EXECUTE FUNCTION kb_search_outbox_note('quote:id', 'passage:passage_id', 'source:source_id')",
    'kb_outbox_kb_quote_upd': "CREATE TRIGGER kb_outbox_kb_quote_upd AFTER UPDATE ON kb_quote FOR EACH ROW EXECUTE FUNCTION kb_search_outbox_note('quote:id', 'passage:passage_id', 'source:source_id')",
    'kb_outbox_kb_quote_themes_insdel': "CREATE TRIGGER kb_outbox_kb_quote_themes_insdel AFTER INSERT OR DELETE ON kb_quote_themes FOR EACH ROW EXECUTE FUNCTION kb_search_outbox_note('quote:quote_id')",
    'kb_outbox_kb_quote_themes_upd': "CREATE TRIGGER kb_outbox_kb_quote_themes_upd AFTER UPDATE ON kb_quote_themes FOR EACH ROW EXECUTE FUNCTION kb_search_outbox_note('quote:quote_id')",
    'kb_outbox_kb_principle_insdel': "CREATE TRIGGER kb_outbox_kb_principle_insdel AFTER INSERT OR DELETE ON kb_principle FOR EACH ROW EXECUTE FUNCTION kb_search_outbox_note('principle:id')",
    'kb_outbox_kb_principle_upd': "CREATE TRIGGER kb_outbox_kb_principle_upd AFTER UPDATE ON kb_principle FOR EACH ROW EXECUTE FUNCTION kb_search_outbox_note('principle:id')",
    'kb_outbox_kb_principle_themes_insdel': "CREATE TRIGGER kb_outbox_kb_principle_themes_insdel AFTER INSERT OR DELETE ON kb_principle_themes FOR EACH ROW EXECUTE FUNCTION kb_search_outbox_note('principle:principle_id')",
    'kb_outbox_kb_principle_themes_upd': "CREATE TRIGGER kb_outbox_kb_principle_themes_upd AFTER UPDATE ON kb_principle_themes FOR EACH ROW EXECUTE FUNCTION kb_search_outbox_note('principle:principle_id')",
    'kb_outbox_kb_claim_insdel': "CREATE TRIGGER kb_outbox_kb_claim_insdel AFTER INSERT OR DELETE ON kb_claim FOR EACH ROW EXECUTE FUNCTION kb_search_outbox_note('claim:id', 'principle:principle_id')",
    'kb_outbox_kb_claim_upd': "CREATE TRIGGER kb_outbox_kb_claim_upd AFTER UPDATE ON kb_claim FOR EACH ROW EXECUTE FUNCTION kb_search_outbox_note('claim:id', 'principle:principle_id')",
    'kb_outbox_kb_theme_insdel': "CREATE TRIGGER kb_outbox_kb_theme_insdel AFTER INSERT OR DELETE ON kb_theme FOR EACH ROW EXECUTE FUNCTION kb_search_outbox_note('theme:id')",
    'kb_outbox_kb_theme_upd': "CREATE TRIGGER kb_outbox_kb_theme_upd AFTER UPDATE ON kb_theme FOR EACH ROW EXECUTE FUNCTION kb_search_outbox_note('theme:id')",
    'kb_outbox_kb_person_insdel': "CREATE TRIGGER kb_outbox_kb_person_insdel AFTER INSERT OR DELETE ON kb_person FOR EACH ROW EXECUTE FUNCTION kb_search_outbox_note('person:id')",
    'kb_outbox_kb_person_upd': "CREATE TRIGGER kb_outbox_kb_person_upd AFTER UPDATE ON kb_person FOR EACH ROW EXECUTE FUNCTION kb_search_outbox_note('person:id')",
    'kb_outbox_kb_searchalias_insdel': "CREATE TRIGGER kb_outbox_kb_searchalias_insdel AFTER INSERT OR DELETE ON kb_searchalias FOR EACH ROW EXECUTE FUNCTION kb_search_outbox_note('alias:id')",
    'kb_outbox_kb_searchalias_upd': "CREATE TRIGGER kb_outbox_kb_searchalias_upd AFTER UPDATE ON kb_searchalias FOR EACH ROW EXECUTE FUNCTION kb_search_outbox_note('alias:id')",
}


def install_outbox(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for statement in SQLITE_OUTBOX_TRIGGERS.values():
                cursor.execute(statement)
        elif connection.vendor == "postgresql":
            cursor.execute(PG_OUTBOX_FUNCTION)
            for statement in PG_OUTBOX_TRIGGERS.values():
                cursor.execute(statement)


def uninstall_outbox(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in SQLITE_OUTBOX_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        elif connection.vendor == "postgresql":
            for name, statement in PG_OUTBOX_TRIGGERS.items():
                table = statement.split(" ON ", 1)[1].split()[0]
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute("DROP FUNCTION IF EXISTS kb_search_outbox_note()")


# --- The old search, as 0012 left it (for going back) ----------------------------------------

SQLITE_STATE = [
    "CREATE TABLE IF NOT EXISTS kb_search_state (id INTEGER PRIMARY KEY CHECK (id = 1), deferred INTEGER NOT NULL DEFAULT 0)",
    "INSERT OR IGNORE INTO kb_search_state (id, deferred) VALUES (1, 0)",
]
SQLITE_TABLES = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS kb_search_quote USING fts5(text, themes, title, tokenize = 'porter unicode61 remove_diacritics 2')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS kb_search_passage USING fts5(text, tokenize = 'porter unicode61 remove_diacritics 2')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS kb_search_principle USING fts5(title, summary, claims, themes, tokenize = 'porter unicode61 remove_diacritics 2')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS kb_search_source USING fts5(title, byline, notes, tokenize = 'porter unicode61 remove_diacritics 2')",
]
SQLITE_FTS_TABLES = [
    'kb_search_quote',
    'kb_search_passage',
    'kb_search_principle',
    'kb_search_source',
]
SQLITE_TRIGGERS_TRUE = [
    "CREATE TRIGGER kb_search_kb_quote_ai AFTER INSERT ON kb_quote WHEN (SELECT deferred FROM kb_search_state WHERE id = 1) IS NOT 1 BEGIN INSERT INTO kb_search_quote(rowid, text, themes, title) SELECT q.id, q.text, coalesce((SELECT group_concat(t.name, ' ') FROM kb_quote_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.quote_id = q.id), ''), coalesce((SELECT s.title FROM kb_source s WHERE s.id = q.source_id), '') FROM kb_quote q WHERE (1) AND (q.id IN (NEW.id)); END",
    "CREATE TRIGGER kb_search_kb_quote_au AFTER UPDATE ON kb_quote WHEN OLD.id IS NOT NEW.id OR OLD.text IS NOT NEW.text OR OLD.source_id IS NOT NEW.source_id BEGIN DELETE FROM kb_search_quote WHERE rowid IN (OLD.id); DELETE FROM kb_search_quote WHERE rowid IN (NEW.id); INSERT INTO kb_search_quote(rowid, text, themes, title) SELECT q.id, q.text, coalesce((SELECT group_concat(t.name, ' ') FROM kb_quote_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.quote_id = q.id), ''), coalesce((SELECT s.title FROM kb_source s WHERE s.id = q.source_id), '') FROM kb_quote q WHERE (1) AND (q.id IN (NEW.id)); END",
    'CREATE TRIGGER kb_search_kb_quote_ad AFTER DELETE ON kb_quote BEGIN DELETE FROM kb_search_quote WHERE rowid IN (OLD.id); END',
    'CREATE TRIGGER kb_search_kb_passage_ai AFTER INSERT ON kb_passage WHEN (SELECT deferred FROM kb_search_state WHERE id = 1) IS NOT 1 BEGIN INSERT INTO kb_search_passage(rowid, text) SELECT q.id, q.text FROM kb_passage q WHERE (NOT q.is_boilerplate AND NOT EXISTS (SELECT 1 FROM kb_source s WHERE s.id = q.source_id AND s.superseded_by_id IS NOT NULL)) AND (q.id IN (NEW.id)); END',
    'CREATE TRIGGER kb_search_kb_passage_au AFTER UPDATE ON kb_passage WHEN OLD.id IS NOT NEW.id OR OLD.text IS NOT NEW.text OR OLD.is_boilerplate IS NOT NEW.is_boilerplate BEGIN DELETE FROM kb_search_passage WHERE rowid IN (OLD.id); DELETE FROM kb_search_passage WHERE rowid IN (NEW.id); INSERT INTO kb_search_passage(rowid, text) SELECT q.id, q.text FROM kb_passage q WHERE (NOT q.is_boilerplate AND NOT EXISTS (SELECT 1 FROM kb_source s WHERE s.id = q.source_id AND s.superseded_by_id IS NOT NULL)) AND (q.id IN (NEW.id)); END',
    'CREATE TRIGGER kb_search_kb_passage_ad AFTER DELETE ON kb_passage BEGIN DELETE FROM kb_search_passage WHERE rowid IN (OLD.id); END',
    "CREATE TRIGGER kb_search_kb_principle_ai AFTER INSERT ON kb_principle BEGIN INSERT INTO kb_search_principle(rowid, title, summary, claims, themes) SELECT q.id, q.title, q.summary, coalesce((SELECT group_concat(c.text, ' ') FROM kb_claim c WHERE c.principle_id = q.id), ''), coalesce((SELECT group_concat(t.name, ' ') FROM kb_principle_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.principle_id = q.id), '') FROM kb_principle q WHERE (1) AND (q.id IN (NEW.id)); END",
    "CREATE TRIGGER kb_search_kb_principle_au AFTER UPDATE ON kb_principle WHEN OLD.id IS NOT NEW.id OR OLD.title IS NOT NEW.title OR OLD.summary IS NOT NEW.summary BEGIN DELETE FROM kb_search_principle WHERE rowid IN (OLD.id); DELETE FROM kb_search_principle WHERE rowid IN (NEW.id); INSERT INTO kb_search_principle(rowid, title, summary, claims, themes) SELECT q.id, q.title, q.summary, coalesce((SELECT group_concat(c.text, ' ') FROM kb_claim c WHERE c.principle_id = q.id), ''), coalesce((SELECT group_concat(t.name, ' ') FROM kb_principle_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.principle_id = q.id), '') FROM kb_principle q WHERE (1) AND (q.id IN (NEW.id)); END",
    'CREATE TRIGGER kb_search_kb_principle_ad AFTER DELETE ON kb_principle BEGIN DELETE FROM kb_search_principle WHERE rowid IN (OLD.id); END',
    "CREATE TRIGGER kb_search_kb_source_ai AFTER INSERT ON kb_source BEGIN INSERT INTO kb_search_source(rowid, title, byline, notes) SELECT q.id, q.title, trim(coalesce(q.author, '') || ' ' || coalesce(q.publisher, '')), q.notes FROM kb_source q WHERE (q.superseded_by_id IS NULL) AND (q.id IN (NEW.id)); END",
    "CREATE TRIGGER kb_search_kb_source_au AFTER UPDATE ON kb_source WHEN OLD.id IS NOT NEW.id OR OLD.title IS NOT NEW.title OR OLD.author IS NOT NEW.author OR OLD.publisher IS NOT NEW.publisher OR OLD.notes IS NOT NEW.notes OR OLD.superseded_by_id IS NOT NEW.superseded_by_id BEGIN DELETE FROM kb_search_source WHERE rowid IN (OLD.id); DELETE FROM kb_search_source WHERE rowid IN (NEW.id); INSERT INTO kb_search_source(rowid, title, byline, notes) SELECT q.id, q.title, trim(coalesce(q.author, '') || ' ' || coalesce(q.publisher, '')), q.notes FROM kb_source q WHERE (q.superseded_by_id IS NULL) AND (q.id IN (NEW.id)); END",
    'CREATE TRIGGER kb_search_kb_source_ad AFTER DELETE ON kb_source BEGIN DELETE FROM kb_search_source WHERE rowid IN (OLD.id); END',
    "CREATE TRIGGER kb_search_kb_quote_themes_ai AFTER INSERT ON kb_quote_themes BEGIN DELETE FROM kb_search_quote WHERE rowid IN (NEW.quote_id); INSERT INTO kb_search_quote(rowid, text, themes, title) SELECT q.id, q.text, coalesce((SELECT group_concat(t.name, ' ') FROM kb_quote_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.quote_id = q.id), ''), coalesce((SELECT s.title FROM kb_source s WHERE s.id = q.source_id), '') FROM kb_quote q WHERE (1) AND (q.id IN (NEW.quote_id)); END",
    "CREATE TRIGGER kb_search_kb_quote_themes_au AFTER UPDATE ON kb_quote_themes BEGIN DELETE FROM kb_search_quote WHERE rowid IN (OLD.quote_id); INSERT INTO kb_search_quote(rowid, text, themes, title) SELECT q.id, q.text, coalesce((SELECT group_concat(t.name, ' ') FROM kb_quote_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.quote_id = q.id), ''), coalesce((SELECT s.title FROM kb_source s WHERE s.id = q.source_id), '') FROM kb_quote q WHERE (1) AND (q.id IN (OLD.quote_id)); DELETE FROM kb_search_quote WHERE rowid IN (NEW.quote_id); INSERT INTO kb_search_quote(rowid, text, themes, title) SELECT q.id, q.text, coalesce((SELECT group_concat(t.name, ' ') FROM kb_quote_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.quote_id = q.id), ''), coalesce((SELECT s.title FROM kb_source s WHERE s.id = q.source_id), '') FROM kb_quote q WHERE (1) AND (q.id IN (NEW.quote_id)); END",
    "CREATE TRIGGER kb_search_kb_quote_themes_ad AFTER DELETE ON kb_quote_themes BEGIN DELETE FROM kb_search_quote WHERE rowid IN (OLD.quote_id); INSERT INTO kb_search_quote(rowid, text, themes, title) SELECT q.id, q.text, coalesce((SELECT group_concat(t.name, ' ') FROM kb_quote_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.quote_id = q.id), ''), coalesce((SELECT s.title FROM kb_source s WHERE s.id = q.source_id), '') FROM kb_quote q WHERE (1) AND (q.id IN (OLD.quote_id)); END",
    "CREATE TRIGGER kb_search_kb_principle_themes_ai AFTER INSERT ON kb_principle_themes BEGIN DELETE FROM kb_search_principle WHERE rowid IN (NEW.principle_id); INSERT INTO kb_search_principle(rowid, title, summary, claims, themes) SELECT q.id, q.title, q.summary, coalesce((SELECT group_concat(c.text, ' ') FROM kb_claim c WHERE c.principle_id = q.id), ''), coalesce((SELECT group_concat(t.name, ' ') FROM kb_principle_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.principle_id = q.id), '') FROM kb_principle q WHERE (1) AND (q.id IN (NEW.principle_id)); END",
    "CREATE TRIGGER kb_search_kb_principle_themes_au AFTER UPDATE ON kb_principle_themes BEGIN DELETE FROM kb_search_principle WHERE rowid IN (OLD.principle_id); INSERT INTO kb_search_principle(rowid, title, summary, claims, themes) SELECT q.id, q.title, q.summary, coalesce((SELECT group_concat(c.text, ' ') FROM kb_claim c WHERE c.principle_id = q.id), ''), coalesce((SELECT group_concat(t.name, ' ') FROM kb_principle_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.principle_id = q.id), '') FROM kb_principle q WHERE (1) AND (q.id IN (OLD.principle_id)); DELETE FROM kb_search_principle WHERE rowid IN (NEW.principle_id); INSERT INTO kb_search_principle(rowid, title, summary, claims, themes) SELECT q.id, q.title, q.summary, coalesce((SELECT group_concat(c.text, ' ') FROM kb_claim c WHERE c.principle_id = q.id), ''), coalesce((SELECT group_concat(t.name, ' ') FROM kb_principle_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.principle_id = q.id), '') FROM kb_principle q WHERE (1) AND (q.id IN (NEW.principle_id)); END",
    "CREATE TRIGGER kb_search_kb_principle_themes_ad AFTER DELETE ON kb_principle_themes BEGIN DELETE FROM kb_search_principle WHERE rowid IN (OLD.principle_id); INSERT INTO kb_search_principle(rowid, title, summary, claims, themes) SELECT q.id, q.title, q.summary, coalesce((SELECT group_concat(c.text, ' ') FROM kb_claim c WHERE c.principle_id = q.id), ''), coalesce((SELECT group_concat(t.name, ' ') FROM kb_principle_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.principle_id = q.id), '') FROM kb_principle q WHERE (1) AND (q.id IN (OLD.principle_id)); END",
    "CREATE TRIGGER kb_search_kb_claim_ai AFTER INSERT ON kb_claim BEGIN DELETE FROM kb_search_principle WHERE rowid IN (NEW.principle_id); INSERT INTO kb_search_principle(rowid, title, summary, claims, themes) SELECT q.id, q.title, q.summary, coalesce((SELECT group_concat(c.text, ' ') FROM kb_claim c WHERE c.principle_id = q.id), ''), coalesce((SELECT group_concat(t.name, ' ') FROM kb_principle_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.principle_id = q.id), '') FROM kb_principle q WHERE (1) AND (q.id IN (NEW.principle_id)); END",
    "CREATE TRIGGER kb_search_kb_claim_au AFTER UPDATE ON kb_claim BEGIN DELETE FROM kb_search_principle WHERE rowid IN (OLD.principle_id); INSERT INTO kb_search_principle(rowid, title, summary, claims, themes) SELECT q.id, q.title, q.summary, coalesce((SELECT group_concat(c.text, ' ') FROM kb_claim c WHERE c.principle_id = q.id), ''), coalesce((SELECT group_concat(t.name, ' ') FROM kb_principle_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.principle_id = q.id), '') FROM kb_principle q WHERE (1) AND (q.id IN (OLD.principle_id)); DELETE FROM kb_search_principle WHERE rowid IN (NEW.principle_id); INSERT INTO kb_search_principle(rowid, title, summary, claims, themes) SELECT q.id, q.title, q.summary, coalesce((SELECT group_concat(c.text, ' ') FROM kb_claim c WHERE c.principle_id = q.id), ''), coalesce((SELECT group_concat(t.name, ' ') FROM kb_principle_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.principle_id = q.id), '') FROM kb_principle q WHERE (1) AND (q.id IN (NEW.principle_id)); END",
    "CREATE TRIGGER kb_search_kb_claim_ad AFTER DELETE ON kb_claim BEGIN DELETE FROM kb_search_principle WHERE rowid IN (OLD.principle_id); INSERT INTO kb_search_principle(rowid, title, summary, claims, themes) SELECT q.id, q.title, q.summary, coalesce((SELECT group_concat(c.text, ' ') FROM kb_claim c WHERE c.principle_id = q.id), ''), coalesce((SELECT group_concat(t.name, ' ') FROM kb_principle_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.principle_id = q.id), '') FROM kb_principle q WHERE (1) AND (q.id IN (OLD.principle_id)); END",
    "CREATE TRIGGER kb_search_kb_source_au_title AFTER UPDATE ON kb_source WHEN OLD.title IS NOT NEW.title BEGIN DELETE FROM kb_search_quote WHERE rowid IN (SELECT id FROM kb_quote WHERE source_id = NEW.id); INSERT INTO kb_search_quote(rowid, text, themes, title) SELECT q.id, q.text, coalesce((SELECT group_concat(t.name, ' ') FROM kb_quote_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.quote_id = q.id), ''), coalesce((SELECT s.title FROM kb_source s WHERE s.id = q.source_id), '') FROM kb_quote q WHERE (1) AND (q.id IN (SELECT id FROM kb_quote WHERE source_id = NEW.id)); END",
    'CREATE TRIGGER kb_search_kb_source_au_superseded AFTER UPDATE ON kb_source WHEN (OLD.superseded_by_id IS NULL) IS NOT (NEW.superseded_by_id IS NULL) BEGIN DELETE FROM kb_search_passage WHERE rowid IN (SELECT id FROM kb_passage WHERE source_id = NEW.id); INSERT INTO kb_search_passage(rowid, text) SELECT q.id, q.text FROM kb_passage q WHERE (NOT q.is_boilerplate AND NOT EXISTS (SELECT 1 FROM kb_source s WHERE s.id = q.source_id AND s.superseded_by_id IS NOT NULL)) AND (q.id IN (SELECT id FROM kb_passage WHERE source_id = NEW.id)); END',
    "CREATE TRIGGER kb_search_kb_theme_au AFTER UPDATE ON kb_theme WHEN OLD.name IS NOT NEW.name BEGIN DELETE FROM kb_search_quote WHERE rowid IN (SELECT quote_id FROM kb_quote_themes WHERE theme_id = NEW.id); INSERT INTO kb_search_quote(rowid, text, themes, title) SELECT q.id, q.text, coalesce((SELECT group_concat(t.name, ' ') FROM kb_quote_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.quote_id = q.id), ''), coalesce((SELECT s.title FROM kb_source s WHERE s.id = q.source_id), '') FROM kb_quote q WHERE (1) AND (q.id IN (SELECT quote_id FROM kb_quote_themes WHERE theme_id = NEW.id)); DELETE FROM kb_search_principle WHERE rowid IN (SELECT principle_id FROM kb_principle_themes WHERE theme_id = NEW.id); INSERT INTO kb_search_principle(rowid, title, summary, claims, themes) SELECT q.id, q.title, q.summary, coalesce((SELECT group_concat(c.text, ' ') FROM kb_claim c WHERE c.principle_id = q.id), ''), coalesce((SELECT group_concat(t.name, ' ') FROM kb_principle_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.principle_id = q.id), '') FROM kb_principle q WHERE (1) AND (q.id IN (SELECT principle_id FROM kb_principle_themes WHERE theme_id = NEW.id)); END",
]
SQLITE_TRIGGER_NAMES_TRUE = [
    'kb_search_kb_quote_ai',
    'kb_search_kb_quote_au',
    'kb_search_kb_quote_ad',
    'kb_search_kb_passage_ai',
    'kb_search_kb_passage_au',
    'kb_search_kb_passage_ad',
    'kb_search_kb_principle_ai',
    'kb_search_kb_principle_au',
    'kb_search_kb_principle_ad',
    'kb_search_kb_source_ai',
    'kb_search_kb_source_au',
    'kb_search_kb_source_ad',
    'kb_search_kb_quote_themes_ai',
    'kb_search_kb_quote_themes_au',
    'kb_search_kb_quote_themes_ad',
    'kb_search_kb_principle_themes_ai',
    'kb_search_kb_principle_themes_au',
    'kb_search_kb_principle_themes_ad',
    'kb_search_kb_claim_ai',
    'kb_search_kb_claim_au',
    'kb_search_kb_claim_ad',
    'kb_search_kb_source_au_title',
    'kb_search_kb_source_au_superseded',
    'kb_search_kb_theme_au',
]
SQLITE_REBUILD_TRUE = [
    "INSERT INTO kb_search_quote(rowid, text, themes, title) SELECT q.id, q.text, coalesce((SELECT group_concat(t.name, ' ') FROM kb_quote_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.quote_id = q.id), ''), coalesce((SELECT s.title FROM kb_source s WHERE s.id = q.source_id), '') FROM kb_quote q WHERE (1) AND (1)",
    'INSERT INTO kb_search_passage(rowid, text) SELECT q.id, q.text FROM kb_passage q WHERE (NOT q.is_boilerplate AND NOT EXISTS (SELECT 1 FROM kb_source s WHERE s.id = q.source_id AND s.superseded_by_id IS NOT NULL)) AND (1)',
    "INSERT INTO kb_search_principle(rowid, title, summary, claims, themes) SELECT q.id, q.title, q.summary, coalesce((SELECT group_concat(c.text, ' ') FROM kb_claim c WHERE c.principle_id = q.id), ''), coalesce((SELECT group_concat(t.name, ' ') FROM kb_principle_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.principle_id = q.id), '') FROM kb_principle q WHERE (1) AND (1)",
    "INSERT INTO kb_search_source(rowid, title, byline, notes) SELECT q.id, q.title, trim(coalesce(q.author, '') || ' ' || coalesce(q.publisher, '')), q.notes FROM kb_source q WHERE (q.superseded_by_id IS NULL) AND (1)",
]

PG_INSTALL_TRUE = [
    """CREATE OR REPLACE FUNCTION kb_search_kb_quote_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('kb.search_paused', true), '') = 'on' THEN RETURN NEW; END IF;
  NEW.search_vector := setweight(to_tsvector('english'::regconfig, coalesce(NEW.text, '')), 'A') || setweight(to_tsvector('english'::regconfig, coalesce((SELECT string_agg(t.name, ' ') FROM kb_quote_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.quote_id = NEW.id), '')), 'A') || setweight(to_tsvector('english'::regconfig, coalesce((SELECT s.title FROM kb_source s WHERE s.id = NEW.source_id), '')), 'C');
  RETURN NEW;
END $$""",
    'CREATE TRIGGER kb_search_kb_quote_vector BEFORE INSERT OR UPDATE ON kb_quote FOR EACH ROW EXECUTE FUNCTION kb_search_kb_quote_vector()',
    'CREATE INDEX IF NOT EXISTS kb_quote_search_gin ON kb_quote USING gin (search_vector)',
    """CREATE OR REPLACE FUNCTION kb_search_kb_passage_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('kb.search_paused', true), '') = 'on' THEN RETURN NEW; END IF;
  NEW.search_vector := CASE WHEN NEW.is_boilerplate OR EXISTS (SELECT 1 FROM kb_source s WHERE s.id = NEW.source_id AND s.superseded_by_id IS NOT NULL) THEN NULL ELSE setweight(to_tsvector('english'::regconfig, coalesce(NEW.text, '')), 'B') END;
  RETURN NEW;
END $$""",
    'CREATE TRIGGER kb_search_kb_passage_vector BEFORE INSERT OR UPDATE ON kb_passage FOR EACH ROW EXECUTE FUNCTION kb_search_kb_passage_vector()',
    'CREATE INDEX IF NOT EXISTS kb_passage_search_gin ON kb_passage USING gin (search_vector)',
    """CREATE OR REPLACE FUNCTION kb_search_kb_principle_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('kb.search_paused', true), '') = 'on' THEN RETURN NEW; END IF;
  NEW.search_vector := setweight(to_tsvector('english'::regconfig, coalesce(NEW.title, '')), 'A') || setweight(to_tsvector('english'::regconfig, coalesce(NEW.summary, '')), 'B') || setweight(to_tsvector('english'::regconfig, coalesce((SELECT string_agg(c.text, ' ') FROM kb_claim c WHERE c.principle_id = NEW.id), '')), 'A') || setweight(to_tsvector('english'::regconfig, coalesce((SELECT string_agg(t.name, ' ') FROM kb_principle_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.principle_id = NEW.id), '')), 'A');
  RETURN NEW;
END $$""",
    'CREATE TRIGGER kb_search_kb_principle_vector BEFORE INSERT OR UPDATE ON kb_principle FOR EACH ROW EXECUTE FUNCTION kb_search_kb_principle_vector()',
    'CREATE INDEX IF NOT EXISTS kb_principle_search_gin ON kb_principle USING gin (search_vector)',
    """CREATE OR REPLACE FUNCTION kb_search_kb_source_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('kb.search_paused', true), '') = 'on' THEN RETURN NEW; END IF;
  NEW.search_vector := CASE WHEN NEW.superseded_by_id IS NOT NULL THEN NULL ELSE setweight(to_tsvector('english'::regconfig, coalesce(NEW.title, '')), 'A') || setweight(to_tsvector('english'::regconfig, coalesce(concat_ws(' ', NEW.author, NEW.publisher), '')), 'B') || setweight(to_tsvector('english'::regconfig, coalesce(NEW.notes, '')), 'C') END;
  RETURN NEW;
END $$""",
    'CREATE TRIGGER kb_search_kb_source_vector BEFORE INSERT OR UPDATE ON kb_source FOR EACH ROW EXECUTE FUNCTION kb_search_kb_source_vector()',
    'CREATE INDEX IF NOT EXISTS kb_source_search_gin ON kb_source USING gin (search_vector)',
    """CREATE OR REPLACE FUNCTION kb_search_kb_quote_themes_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('kb.search_paused', true), '') = 'on' THEN RETURN NULL; END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN UPDATE kb_quote SET search_vector = NULL WHERE id = NEW.quote_id; END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN UPDATE kb_quote SET search_vector = NULL WHERE id = OLD.quote_id; END IF;
  RETURN NULL;
END $$""",
    'CREATE TRIGGER kb_search_kb_quote_themes_touch AFTER INSERT OR UPDATE OR DELETE ON kb_quote_themes FOR EACH ROW EXECUTE FUNCTION kb_search_kb_quote_themes_touch()',
    """CREATE OR REPLACE FUNCTION kb_search_kb_principle_themes_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('kb.search_paused', true), '') = 'on' THEN RETURN NULL; END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN UPDATE kb_principle SET search_vector = NULL WHERE id = NEW.principle_id; END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN UPDATE kb_principle SET search_vector = NULL WHERE id = OLD.principle_id; END IF;
  RETURN NULL;
END $$""",
    'CREATE TRIGGER kb_search_kb_principle_themes_touch AFTER INSERT OR UPDATE OR DELETE ON kb_principle_themes FOR EACH ROW EXECUTE FUNCTION kb_search_kb_principle_themes_touch()',
    """CREATE OR REPLACE FUNCTION kb_search_kb_claim_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('kb.search_paused', true), '') = 'on' THEN RETURN NULL; END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN UPDATE kb_principle SET search_vector = NULL WHERE id = NEW.principle_id; END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN UPDATE kb_principle SET search_vector = NULL WHERE id = OLD.principle_id; END IF;
  RETURN NULL;
END $$""",
    'CREATE TRIGGER kb_search_kb_claim_touch AFTER INSERT OR UPDATE OR DELETE ON kb_claim FOR EACH ROW EXECUTE FUNCTION kb_search_kb_claim_touch()',
    """CREATE OR REPLACE FUNCTION kb_search_kb_source_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('kb.search_paused', true), '') = 'on' THEN RETURN NULL; END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN IF OLD.title IS DISTINCT FROM NEW.title THEN UPDATE kb_quote SET search_vector = NULL WHERE source_id = NEW.id; END IF; IF (OLD.superseded_by_id IS NULL) <> (NEW.superseded_by_id IS NULL) THEN UPDATE kb_passage SET search_vector = NULL WHERE source_id = NEW.id; END IF; END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN NULL; END IF;
  RETURN NULL;
END $$""",
    'CREATE TRIGGER kb_search_kb_source_touch AFTER UPDATE ON kb_source FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title OR (OLD.superseded_by_id IS NULL) <> (NEW.superseded_by_id IS NULL)) EXECUTE FUNCTION kb_search_kb_source_touch()',
    """CREATE OR REPLACE FUNCTION kb_search_kb_theme_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('kb.search_paused', true), '') = 'on' THEN RETURN NULL; END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN UPDATE kb_quote SET search_vector = NULL WHERE id IN (SELECT quote_id FROM kb_quote_themes WHERE theme_id = NEW.id); UPDATE kb_principle SET search_vector = NULL WHERE id IN (SELECT principle_id FROM kb_principle_themes WHERE theme_id = NEW.id); END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN NULL; END IF;
  RETURN NULL;
END $$""",
    'CREATE TRIGGER kb_search_kb_theme_touch AFTER UPDATE ON kb_theme FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION kb_search_kb_theme_touch()',
]
PG_VECTOR_TABLES = [
    'kb_quote',
    'kb_passage',
    'kb_principle',
    'kb_source',
]
PG_TOUCH_TABLES = [
    'kb_quote_themes',
    'kb_principle_themes',
    'kb_claim',
    'kb_source',
    'kb_theme',
]


def drop_old_search(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in SQLITE_TRIGGER_NAMES_TRUE:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            for table in SQLITE_FTS_TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute("DROP TABLE IF EXISTS kb_search_state")
        elif connection.vendor == "postgresql":
            for table in PG_VECTOR_TABLES:
                cursor.execute(f"DROP TRIGGER IF EXISTS kb_search_{table}_vector ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS kb_search_{table}_vector()")
                cursor.execute(f"DROP INDEX IF EXISTS {table}_search_gin")
            for table in PG_TOUCH_TABLES:
                cursor.execute(f"DROP TRIGGER IF EXISTS kb_search_{table}_touch ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS kb_search_{table}_touch()")
            cursor.execute("DROP INDEX IF EXISTS kb_passage_text_trgm")


def restore_old_search(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for statement in SQLITE_STATE + SQLITE_TABLES + SQLITE_TRIGGERS_TRUE:
                cursor.execute(statement)
            for table, statement in zip(SQLITE_FTS_TABLES, SQLITE_REBUILD_TRUE):
                cursor.execute(f"DELETE FROM {table}")
                cursor.execute(statement)
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for statement in PG_INSTALL_TRUE:
                cursor.execute(statement)
        try:
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                cursor.execute(
                    "CREATE INDEX IF NOT EXISTS kb_passage_text_trgm ON kb_passage "
                    "USING gin (text gin_trgm_ops)"
                )
        except Exception:  # no privilege, no contrib package: no suggestions
            pass
        with connection.cursor() as cursor:
            for table in PG_VECTOR_TABLES:
                cursor.execute(f"UPDATE {table} SET search_vector = NULL")


class Migration(migrations.Migration):

    dependencies = [
        ('kb', '0016_bigsource_indexes'),
    ]

    operations = [
        migrations.RunPython(drop_old_search, restore_old_search),
        migrations.RemoveField(
            model_name='passage',
            name='search_vector',
        ),
        migrations.RemoveField(
            model_name='principle',
            name='search_vector',
        ),
        migrations.RemoveField(
            model_name='quote',
            name='search_vector',
        ),
        migrations.RemoveField(
            model_name='source',
            name='search_vector',
        ),
        migrations.CreateModel(
            name='SearchOutbox',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('kind', models.CharField(max_length=16)),
                ('object_id', models.BigIntegerField()),
                ('created', models.DateTimeField(db_default=django.db.models.functions.datetime.Now())),
            ],
            options={
                'verbose_name': 'search outbox row',
                'ordering': ['id'],
            },
        ),
        migrations.RunPython(install_outbox, uninstall_outbox),
    ]
