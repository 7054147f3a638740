# An earlier version of a source kept by ``import --replace`` (``superseded_by`` set) leaves
# the search index with its passages: readers find its text in the version that replaced it,
# as the source list and the sitemap already show only that one. New trigger bodies on
# SQLite; on PostgreSQL new vector functions and a source trigger with a new WHEN clause.
# Only the rows concerned are re-indexed. The SQL of both directions is frozen here
# (issue #23: a migration never imports live code).

from django.db import migrations

SUPERSEDED = "SELECT id FROM kb_source WHERE superseded_by_id IS NOT NULL"

# SQLite: every search trigger, with (forwards) and without (backwards) the versions.
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
SQLITE_TRIGGERS_FALSE = [
    "CREATE TRIGGER kb_search_kb_quote_ai AFTER INSERT ON kb_quote WHEN (SELECT deferred FROM kb_search_state WHERE id = 1) IS NOT 1 BEGIN INSERT INTO kb_search_quote(rowid, text, themes, title) SELECT q.id, q.text, coalesce((SELECT group_concat(t.name, ' ') FROM kb_quote_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.quote_id = q.id), ''), coalesce((SELECT s.title FROM kb_source s WHERE s.id = q.source_id), '') FROM kb_quote q WHERE (1) AND (q.id IN (NEW.id)); END",
    "CREATE TRIGGER kb_search_kb_quote_au AFTER UPDATE ON kb_quote WHEN OLD.id IS NOT NEW.id OR OLD.text IS NOT NEW.text OR OLD.source_id IS NOT NEW.source_id BEGIN DELETE FROM kb_search_quote WHERE rowid IN (OLD.id); DELETE FROM kb_search_quote WHERE rowid IN (NEW.id); INSERT INTO kb_search_quote(rowid, text, themes, title) SELECT q.id, q.text, coalesce((SELECT group_concat(t.name, ' ') FROM kb_quote_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.quote_id = q.id), ''), coalesce((SELECT s.title FROM kb_source s WHERE s.id = q.source_id), '') FROM kb_quote q WHERE (1) AND (q.id IN (NEW.id)); END",
    'CREATE TRIGGER kb_search_kb_quote_ad AFTER DELETE ON kb_quote BEGIN DELETE FROM kb_search_quote WHERE rowid IN (OLD.id); END',
    'CREATE TRIGGER kb_search_kb_passage_ai AFTER INSERT ON kb_passage WHEN (SELECT deferred FROM kb_search_state WHERE id = 1) IS NOT 1 BEGIN INSERT INTO kb_search_passage(rowid, text) SELECT q.id, q.text FROM kb_passage q WHERE (NOT q.is_boilerplate) AND (q.id IN (NEW.id)); END',
    'CREATE TRIGGER kb_search_kb_passage_au AFTER UPDATE ON kb_passage WHEN OLD.id IS NOT NEW.id OR OLD.text IS NOT NEW.text OR OLD.is_boilerplate IS NOT NEW.is_boilerplate BEGIN DELETE FROM kb_search_passage WHERE rowid IN (OLD.id); DELETE FROM kb_search_passage WHERE rowid IN (NEW.id); INSERT INTO kb_search_passage(rowid, text) SELECT q.id, q.text FROM kb_passage q WHERE (NOT q.is_boilerplate) AND (q.id IN (NEW.id)); END',
    'CREATE TRIGGER kb_search_kb_passage_ad AFTER DELETE ON kb_passage BEGIN DELETE FROM kb_search_passage WHERE rowid IN (OLD.id); END',
    "CREATE TRIGGER kb_search_kb_principle_ai AFTER INSERT ON kb_principle BEGIN INSERT INTO kb_search_principle(rowid, title, summary, claims, themes) SELECT q.id, q.title, q.summary, coalesce((SELECT group_concat(c.text, ' ') FROM kb_claim c WHERE c.principle_id = q.id), ''), coalesce((SELECT group_concat(t.name, ' ') FROM kb_principle_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.principle_id = q.id), '') FROM kb_principle q WHERE (1) AND (q.id IN (NEW.id)); END",
    "CREATE TRIGGER kb_search_kb_principle_au AFTER UPDATE ON kb_principle WHEN OLD.id IS NOT NEW.id OR OLD.title IS NOT NEW.title OR OLD.summary IS NOT NEW.summary BEGIN DELETE FROM kb_search_principle WHERE rowid IN (OLD.id); DELETE FROM kb_search_principle WHERE rowid IN (NEW.id); INSERT INTO kb_search_principle(rowid, title, summary, claims, themes) SELECT q.id, q.title, q.summary, coalesce((SELECT group_concat(c.text, ' ') FROM kb_claim c WHERE c.principle_id = q.id), ''), coalesce((SELECT group_concat(t.name, ' ') FROM kb_principle_themes x JOIN kb_theme t ON t.id = x.theme_id WHERE x.principle_id = q.id), '') FROM kb_principle q WHERE (1) AND (q.id IN (NEW.id)); END",
    'CREATE TRIGGER kb_search_kb_principle_ad AFTER DELETE ON kb_principle BEGIN DELETE FROM kb_search_principle WHERE rowid IN (OLD.id); END',
    "CREATE TRIGGER kb_search_kb_source_ai AFTER INSERT ON kb_source BEGIN INSERT INTO kb_search_source(rowid, title, byline, notes) SELECT q.id, q.title, trim(coalesce(q.author, '') || ' ' || coalesce(q.publisher, '')), q.notes FROM kb_source q WHERE (1) AND (q.id IN (NEW.id)); END",
    "CREATE TRIGGER kb_search_kb_source_au AFTER UPDATE ON kb_source WHEN OLD.id IS NOT NEW.id OR OLD.title IS NOT NEW.title OR OLD.author IS NOT NEW.author OR OLD.publisher IS NOT NEW.publisher OR OLD.notes IS NOT NEW.notes BEGIN DELETE FROM kb_search_source WHERE rowid IN (OLD.id); DELETE FROM kb_search_source WHERE rowid IN (NEW.id); INSERT INTO kb_search_source(rowid, title, byline, notes) SELECT q.id, q.title, trim(coalesce(q.author, '') || ' ' || coalesce(q.publisher, '')), q.notes FROM kb_source q WHERE (1) AND (q.id IN (NEW.id)); END",
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
# Backwards: the superseded rows go back into the index.
SQLITE_SUPERSEDED_BACK = [
    'INSERT INTO kb_search_passage(rowid, text) SELECT q.id, q.text FROM kb_passage q WHERE (NOT q.is_boilerplate) AND (q.source_id IN (SELECT id FROM kb_source WHERE superseded_by_id IS NOT NULL))',
    "INSERT INTO kb_search_source(rowid, title, byline, notes) SELECT q.id, q.title, trim(coalesce(q.author, '') || ' ' || coalesce(q.publisher, '')), q.notes FROM kb_source q WHERE (1) AND (q.id IN (SELECT id FROM kb_source WHERE superseded_by_id IS NOT NULL))",
]

# PostgreSQL: the functions that change, and the source trigger (dropped first).
PG_0012_TRUE = [
    """CREATE OR REPLACE FUNCTION kb_search_kb_passage_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('kb.search_paused', true), '') = 'on' THEN RETURN NEW; END IF;
  NEW.search_vector := CASE WHEN NEW.is_boilerplate OR EXISTS (SELECT 1 FROM kb_source s WHERE s.id = NEW.source_id AND s.superseded_by_id IS NOT NULL) THEN NULL ELSE setweight(to_tsvector('english'::regconfig, coalesce(NEW.text, '')), 'B') END;
  RETURN NEW;
END $$""",
    """CREATE OR REPLACE FUNCTION kb_search_kb_source_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('kb.search_paused', true), '') = 'on' THEN RETURN NEW; END IF;
  NEW.search_vector := CASE WHEN NEW.superseded_by_id IS NOT NULL THEN NULL ELSE setweight(to_tsvector('english'::regconfig, coalesce(NEW.title, '')), 'A') || setweight(to_tsvector('english'::regconfig, coalesce(concat_ws(' ', NEW.author, NEW.publisher), '')), 'B') || setweight(to_tsvector('english'::regconfig, coalesce(NEW.notes, '')), 'C') END;
  RETURN NEW;
END $$""",
    """CREATE OR REPLACE FUNCTION kb_search_kb_source_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('kb.search_paused', true), '') = 'on' THEN RETURN NULL; END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN IF OLD.title IS DISTINCT FROM NEW.title THEN UPDATE kb_quote SET search_vector = NULL WHERE source_id = NEW.id; END IF; IF (OLD.superseded_by_id IS NULL) <> (NEW.superseded_by_id IS NULL) THEN UPDATE kb_passage SET search_vector = NULL WHERE source_id = NEW.id; END IF; END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN NULL; END IF;
  RETURN NULL;
END $$""",
    'CREATE TRIGGER kb_search_kb_source_touch AFTER UPDATE ON kb_source FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title OR (OLD.superseded_by_id IS NULL) <> (NEW.superseded_by_id IS NULL)) EXECUTE FUNCTION kb_search_kb_source_touch()',
]
PG_0012_FALSE = [
    """CREATE OR REPLACE FUNCTION kb_search_kb_passage_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('kb.search_paused', true), '') = 'on' THEN RETURN NEW; END IF;
  NEW.search_vector := CASE WHEN NEW.is_boilerplate THEN NULL ELSE setweight(to_tsvector('english'::regconfig, coalesce(NEW.text, '')), 'B') END;
  RETURN NEW;
END $$""",
    """CREATE OR REPLACE FUNCTION kb_search_kb_source_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('kb.search_paused', true), '') = 'on' THEN RETURN NEW; END IF;
  NEW.search_vector := CASE WHEN false THEN NULL ELSE setweight(to_tsvector('english'::regconfig, coalesce(NEW.title, '')), 'A') || setweight(to_tsvector('english'::regconfig, coalesce(concat_ws(' ', NEW.author, NEW.publisher), '')), 'B') || setweight(to_tsvector('english'::regconfig, coalesce(NEW.notes, '')), 'C') END;
  RETURN NEW;
END $$""",
    """CREATE OR REPLACE FUNCTION kb_search_kb_source_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('kb.search_paused', true), '') = 'on' THEN RETURN NULL; END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN UPDATE kb_quote SET search_vector = NULL WHERE source_id = NEW.id; END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN NULL; END IF;
  RETURN NULL;
END $$""",
    'CREATE TRIGGER kb_search_kb_source_touch AFTER UPDATE ON kb_source FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title) EXECUTE FUNCTION kb_search_kb_source_touch()',
]


def _reindex_superseded(connection, versions: bool) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in SQLITE_TRIGGER_NAMES_TRUE:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            for statement in SQLITE_TRIGGERS_TRUE if versions else SQLITE_TRIGGERS_FALSE:
                cursor.execute(statement)
            cursor.execute(
                "DELETE FROM kb_search_passage WHERE rowid IN "
                f"(SELECT id FROM kb_passage WHERE source_id IN ({SUPERSEDED}))"
            )
            cursor.execute(f"DELETE FROM kb_search_source WHERE rowid IN ({SUPERSEDED})")
            if not versions:  # back: index them again
                for statement in SQLITE_SUPERSEDED_BACK:
                    cursor.execute(statement)
        elif connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER IF EXISTS kb_search_kb_source_touch ON kb_source")
            for statement in PG_0012_TRUE if versions else PG_0012_FALSE:
                cursor.execute(statement)
            # The trigger functions compute these rows' vectors again (empty while superseded).
            cursor.execute(
                f"UPDATE kb_passage SET search_vector = NULL WHERE source_id IN ({SUPERSEDED})"
            )
            cursor.execute(f"UPDATE kb_source SET search_vector = NULL WHERE id IN ({SUPERSEDED})")


def index_without_superseded(apps, schema_editor):
    _reindex_superseded(schema_editor.connection, versions=True)


def index_with_superseded(apps, schema_editor):
    _reindex_superseded(schema_editor.connection, versions=False)


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0011_source_fingerprint"),
    ]

    operations = [
        migrations.RunPython(index_without_superseded, index_with_superseded),
    ]
