"""PostgreSQL backend: weighted ``search_vector`` columns kept up to date by triggers.

A BEFORE INSERT/UPDATE trigger on each indexed table computes its row's vector (so
``bulk_create``, ``QuerySet.update()`` and raw SQL are covered); AFTER triggers on the
tables a document borrows from (themes, claims, source titles) touch the rows concerned,
which recomputes them. Weights: quote text and theme names A, source title C (on quotes);
passage text B; principle title, claims and theme names A, summary B; source title A,
author and publisher B, notes C. Queries are ``SearchQuery`` objects (english stemming),
ranked with ``SearchRank``; ``SearchHeadline`` marks the rows shown; pg_trgm suggests a
spelling when nothing matches.

Setting ``kb.search_paused`` to ``on`` in a transaction pauses the triggers (``clear()``).
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import transaction
from django.db.models import BooleanField, F, Func, OuterRef, Subquery, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Concat

from kb.search.query import All, Any, Phrase, Query
from kb.search.schema import has_versions

CONFIG = "english"
TABLES = ("kb_source", "kb_passage", "kb_quote", "kb_principle")


def _vec(expression: str, weight: str) -> str:
    return f"setweight(to_tsvector('{CONFIG}'::regconfig, coalesce({expression}, '')), '{weight}')"


def _themes(through: str, fk: str) -> str:
    return (
        f"(SELECT string_agg(t.name, ' ') FROM {through} x JOIN kb_theme t ON t.id = x.theme_id "
        f"WHERE x.{fk} = NEW.id)"
    )


QUOTE_VECTOR = " || ".join(
    [
        _vec("NEW.text", "A"),
        _vec(_themes("kb_quote_themes", "quote_id"), "A"),
        _vec("(SELECT s.title FROM kb_source s WHERE s.id = NEW.source_id)", "C"),
    ]
)
PRINCIPLE_VECTOR = " || ".join(
    [
        _vec("NEW.title", "A"),
        _vec("NEW.summary", "B"),
        _vec(
            "(SELECT string_agg(c.text, ' ') FROM kb_claim c WHERE c.principle_id = NEW.id)",
            "A",
        ),
        _vec(_themes("kb_principle_themes", "principle_id"), "A"),
    ]
)
SOURCE_VECTOR = " || ".join(
    [
        _vec("NEW.title", "A"),
        _vec("concat_ws(' ', NEW.author, NEW.publisher)", "B"),
        _vec("NEW.notes", "C"),
    ]
)


def _vectors(versions: bool = True) -> dict[str, str]:
    """table: its vector of NEW; ``versions``: see ``kb.search.schema.has_versions``."""
    # Boilerplate passages (page chrome) are found by nobody: not indexed at all; nor are an
    # earlier version's (``import --replace``) passages and source: their text is found in
    # the version that replaced it.
    hidden_passage = "NEW.is_boilerplate"
    hidden_source = "false"
    if versions:
        hidden_passage += (
            " OR EXISTS (SELECT 1 FROM kb_source s "
            "WHERE s.id = NEW.source_id AND s.superseded_by_id IS NOT NULL)"
        )
        hidden_source = "NEW.superseded_by_id IS NOT NULL"
    return {
        "kb_quote": QUOTE_VECTOR,
        "kb_passage": f"CASE WHEN {hidden_passage} THEN NULL ELSE {_vec('NEW.text', 'B')} END",
        "kb_principle": PRINCIPLE_VECTOR,
        "kb_source": f"CASE WHEN {hidden_source} THEN NULL ELSE {SOURCE_VECTOR} END",
    }


VECTORS = _vectors()

# Statements touching the rows whose documents borrow from a changed row: table: (events,
# WHEN condition, specs). A spec is "table[/column]:ids", or (condition, spec) to touch only
# when the condition holds. An UPDATE-only trigger touches from NEW alone (its rows are
# found by the changed row's id, which does not change).
SUPERSEDED_CHANGED = "(OLD.superseded_by_id IS NULL) <> (NEW.superseded_by_id IS NULL)"
TITLE_CHANGED = "OLD.title IS DISTINCT FROM NEW.title"


TOUCH_ALWAYS = {
    "kb_quote_themes": ("INSERT OR UPDATE OR DELETE", "", ["kb_quote:{row}.quote_id"]),
    "kb_principle_themes": (
        "INSERT OR UPDATE OR DELETE",
        "",
        ["kb_principle:{row}.principle_id"],
    ),
    "kb_claim": ("INSERT OR UPDATE OR DELETE", "", ["kb_principle:{row}.principle_id"]),
    "kb_source": ("UPDATE", TITLE_CHANGED, ["kb_quote/source_id:{row}.id"]),
    "kb_theme": (
        "UPDATE",
        "OLD.name IS DISTINCT FROM NEW.name",
        [
            "kb_quote:(SELECT quote_id FROM kb_quote_themes WHERE theme_id = {row}.id)",
            "kb_principle:(SELECT principle_id FROM kb_principle_themes WHERE theme_id = {row}.id)",
        ],
    ),
}


def _touch(versions: bool = True) -> dict:
    touch = dict(TOUCH_ALWAYS)
    if versions:
        touch["kb_source"] = (
            "UPDATE",
            f"{TITLE_CHANGED} OR {SUPERSEDED_CHANGED}",
            [
                (TITLE_CHANGED, "kb_quote/source_id:{row}.id"),
                (SUPERSEDED_CHANGED, "kb_passage/source_id:{row}.id"),
            ],
        )
    return touch


TOUCH = _touch()

PAUSED = "coalesce(current_setting('kb.search_paused', true), '') = 'on'"


def _touch_sql(spec, row: str) -> str:
    if isinstance(spec, tuple):
        condition, spec = spec
        return f"IF {condition} THEN {_touch_sql(spec, row)} END IF;"
    target, ids = spec.split(":", 1)
    column = "id"
    if "/" in target:
        target, column = target.split("/")
    ids = ids.format(row=row)
    operator = "IN" if ids.startswith("(SELECT") else "="
    return f"UPDATE {target} SET search_vector = NULL WHERE {column} {operator} {ids};"


def install_statements(existing: set[str] = frozenset(), versions: bool = True) -> list[str]:
    """The statements creating what is not in ``existing`` (trigger and index names).

    Functions are always replaced (cheap, and picks up new definitions); triggers and
    indexes are only created when missing, since PostgreSQL refuses to alter a table with
    pending (deferred constraint) trigger events in the current transaction.
    """
    statements = []
    for table, vector in _vectors(versions).items():
        function = f"kb_search_{table}_vector"
        statements.append(
            f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF {PAUSED} THEN RETURN NEW; END IF;
  NEW.search_vector := {vector};
  RETURN NEW;
END $$"""
        )
        if function not in existing:
            statements.append(
                f"CREATE TRIGGER {function} BEFORE INSERT OR UPDATE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {function}()"
            )
        if f"{table}_search_gin" not in existing:
            statements.append(
                f"CREATE INDEX IF NOT EXISTS {table}_search_gin ON {table} "
                "USING gin (search_vector)"
            )
    for table, (events, when, specs) in _touch(versions).items():
        function = f"kb_search_{table}_touch"
        new = " ".join(_touch_sql(spec, "NEW") for spec in specs)
        old = "" if events == "UPDATE" else " ".join(_touch_sql(spec, "OLD") for spec in specs)
        statements.append(
            f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF {PAUSED} THEN RETURN NULL; END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN {new} END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN {old or "NULL;"} END IF;
  RETURN NULL;
END $$"""
        )
        if function not in existing:
            statements.append(
                f"CREATE TRIGGER {function} AFTER {events} ON {table} FOR EACH ROW "
                + (f"WHEN ({when}) " if when else "")
                + f"EXECUTE FUNCTION {function}()"
            )
    return statements


TRIGGER_NAMES = [f"kb_search_{t}_vector" for t in VECTORS] + [f"kb_search_{t}_touch" for t in TOUCH]


def _existing(connection) -> set[str]:
    """The search triggers and indexes already in the database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE %s "
            "UNION SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
            "AND (indexname LIKE %s OR indexname = %s)",
            ["kb_search_%", "%_search_gin", "kb_passage_text_trgm"],
        )
        return {row[0] for row in cursor.fetchall()}


def install(connection, versions: bool | None = None) -> None:
    """Create the trigger functions, triggers and GIN indexes that are missing; idempotent.
    ``versions``: the definitions for a ``kb_source`` with ``superseded_by_id`` (None: as
    the table is).

    pg_trgm (for "did you mean") is created when the database allows it; search works
    without it.
    """
    if versions is None:
        versions = has_versions(connection)
    existing = _existing(connection)
    with connection.cursor() as cursor:
        for statement in install_statements(existing, versions):
            cursor.execute(statement)
    if "kb_passage_text_trgm" in existing:
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute(
                "CREATE INDEX IF NOT EXISTS kb_passage_text_trgm ON kb_passage "
                "USING gin (text gin_trgm_ops)"
            )
    except Exception:  # no privilege, no contrib package, or a busy table: no suggestions
        pass


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        for table in VECTORS:
            cursor.execute(f"DROP TRIGGER IF EXISTS kb_search_{table}_vector ON {table}")
            cursor.execute(f"DROP FUNCTION IF EXISTS kb_search_{table}_vector()")
            cursor.execute(f"DROP INDEX IF EXISTS {table}_search_gin")
        for table in TOUCH:
            cursor.execute(f"DROP TRIGGER IF EXISTS kb_search_{table}_touch ON {table}")
            cursor.execute(f"DROP FUNCTION IF EXISTS kb_search_{table}_touch()")
        cursor.execute("DROP INDEX IF EXISTS kb_passage_text_trgm")


def is_installed(connection) -> bool:
    return set(TRIGGER_NAMES) <= _existing(connection)


def rebuild(connection) -> dict[str, int]:
    """Recompute every vector (the triggers do the work); returns the rows per table."""
    counts = {}
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('kb.search_paused', 'off', true)")
        for table in TABLES:
            cursor.execute(f"UPDATE {table} SET search_vector = NULL")
            counts[table.removeprefix("kb_")] = cursor.rowcount
    return counts


def clear(connection) -> None:
    """Empty every vector with the triggers paused: for tests of ``rebuild_search_index``."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('kb.search_paused', 'on', true)")
        for table in TABLES:
            cursor.execute(f"UPDATE {table} SET search_vector = NULL")
        cursor.execute("SELECT set_config('kb.search_paused', 'off', true)")


# --- Queries -----------------------------------------------------------------------------


def _render(node):
    if isinstance(node, Phrase):
        kind = "plain" if len(node.words) == 1 else "phrase"
        return SearchQuery(" ".join(node.words), search_type=kind, config=CONFIG)
    assert isinstance(node, All | Any)
    parts = [_render(part) for part in node.parts]
    combined = parts[0]
    for part in parts[1:]:
        combined = (combined & part) if isinstance(node, All) else (combined | part)
    return combined


def _render_not(node):
    """NOT ``node``, with the NOT on single words and phrases only (Django cannot invert a
    combined SearchQuery): NOT (a OR b) is NOT a AND NOT b, and the other way round."""
    if isinstance(node, Phrase):
        return ~_render(node)
    parts = [_render_not(part) for part in node.parts]
    combined = parts[0]
    for part in parts[1:]:
        combined = (combined | part) if isinstance(node, All) else (combined & part)
    return combined


def compile_query(query: Query):
    """A ``SearchQuery`` expression: words are bound values, never tsquery syntax."""
    combined = None
    for node in query.positive:
        rendered = _render(node)
        combined = rendered if combined is None else combined & rendered
    for node in query.negative:
        combined = combined & _render_not(node)
    return combined


def compile_any(nodes):
    combined = None
    for node in nodes:
        rendered = _render(node)
        combined = rendered if combined is None else combined | rendered
    return combined


def filter_matches(queryset, kind: str, expression):
    return queryset.filter(search_vector=expression)


def exclude_matches(queryset, kind: str, expression):
    # A row without a vector yet is not excluded by it.
    return queryset.exclude(search_vector=expression)


def _rows(kind: str, visible):
    """``visible``, or every row of ``kind`` when it is None (every row with a vector may
    be found: a boilerplate passage has none)."""
    if visible is not None:
        return visible
    from kb.models import Passage, Principle, Quote, Source

    model = {"quote": Quote, "passage": Passage, "principle": Principle, "source": Source}[kind]
    return model._default_manager.all()


def _id_in_array(queryset, array_sql: str, params, field: str = "id"):
    """The rows of ``queryset`` whose ``field`` (a column: the id, or a foreign key's
    ``…_id``) is in the array ``array_sql`` (a small set).

    ``id = ANY(array)`` rather than ``id IN (subquery)``: the array is read once, then the
    rows are fetched by primary key; with IN the planner hashed the whole quote table for a
    facet sample (31 ms instead of 5 for 2,000 rows at 100,000 quotes).
    """
    table = queryset.model._meta.db_table
    sql = f'"{table}"."{field}" = ANY({array_sql})'
    condition = RawSQL(sql, params, output_field=BooleanField())
    return queryset.filter(condition)


def match_sql(kind: str, expression, visible) -> tuple[str, list]:
    """``SELECT id``: the rows of ``visible`` (a queryset, or None) matching, unordered."""
    matching = _rows(kind, visible).filter(search_vector=expression)
    return matching.order_by().values("id").query.sql_with_params()


def among(queryset, ids_sql: str, params, field: str = "id"):
    """The rows of ``queryset`` whose ``field`` is among the ids ``ids_sql`` selects (a
    small sample)."""
    return _id_in_array(queryset, f"ARRAY({ids_sql})", tuple(params), field=field)


def id_list(cte: str) -> str:
    """The ids a counting CTE found, as text: when they are every match, ranking reads
    those rows by primary key instead of checking every candidate of the GIN index again
    (a phrase's candidates are rechecked one by one: 176 ms for one of 1,662 matches among
    70,000 candidates at a million passages, 7 ms by id)."""
    return f"string_agg({cte}.id::text, ',')"


def ranked_sql(kind: str, expression, visible, known_ids=None) -> tuple[str, list]:
    """``SELECT id, search_rank``, best first (ts_rank with the weights of the vectors),
    among ``known_ids`` when given (every match's id, see ``id_list``).

    Only ids and ranks are sorted; the page's rows are fetched after.
    """
    visible = _rows(kind, visible)
    if known_ids is not None:
        visible = _id_in_array(visible, "%s", (known_ids,))
    ranked = (
        visible.filter(search_vector=expression)
        .annotate(search_rank=SearchRank(F("search_vector"), expression))
        .order_by("-search_rank", "pk")
        .values_list("id", "search_rank")
    )
    return ranked.query.sql_with_params()


# ts_headline drops what its parser takes for HTML tags and entities ("<script>", "&amp;"),
# so these characters are swapped for private-use ones before, and restored after.
SHIELD = {"<": "\ue002", ">": "\ue003", "&": "\ue004"}
UNSHIELD = str.maketrans({v: k for k, v in SHIELD.items()})


def _shielded(field):
    if isinstance(field, str):
        field = F(field)
    return Func(
        field,
        Value("".join(SHIELD)),
        Value("".join(SHIELD.values())),
        function="translate",
        output_field=TextField(),
    )


def _headline(field, expression, start, stop, *, whole=False):
    field = _shielded(field)
    if whole:
        return SearchHeadline(
            field, expression, config=CONFIG, start_sel=start, stop_sel=stop, highlight_all=True
        )
    return SearchHeadline(
        field,
        expression,
        config=CONFIG,
        start_sel=start,
        stop_sel=stop,
        max_words=40,
        min_words=20,
        max_fragments=2,
        fragment_delimiter=" … ",
    )


def highlight_select(kind: str, expression, ids_sql: str, start: str, stop: str):
    """``(sql, params, fields)``: a SELECT of ``id, hl0, hl1…`` (one highlighted text per
    field, with the start/stop markers) for the rows whose ids ``ids_sql`` selects only;
    see ``read_highlight``."""
    from django.contrib.postgres.aggregates import StringAgg

    from kb.models import Claim, Passage, Principle, Quote, Source

    ids = RawSQL(ids_sql, ())
    if kind == "quote":
        rows = Quote.objects.filter(pk__in=ids).annotate(
            h_text=_headline("text", expression, start, stop, whole=True)
        )
        fields = ["text"]
    elif kind == "passage":
        rows = Passage.objects.filter(pk__in=ids).annotate(
            h_text=_headline("text", expression, start, stop)
        )
        fields = ["text"]
    elif kind == "principle":
        claims = (
            Claim.objects.filter(principle=OuterRef("pk"))
            .order_by()
            .values("principle")
            .annotate(all=StringAgg("text", delimiter=" "))
            .values("all")
        )
        rows = Principle.objects.filter(pk__in=ids).annotate(
            h_title=_headline("title", expression, start, stop, whole=True),
            h_summary=_headline("summary", expression, start, stop),
            h_claims=_headline(
                Coalesce(Subquery(claims, output_field=TextField()), Value("")),
                expression,
                start,
                stop,
            ),
        )
        fields = ["title", "summary", "claims"]
    else:
        rows = Source.objects.filter(pk__in=ids).annotate(
            h_title=_headline("title", expression, start, stop, whole=True),
            h_byline=_headline(
                Concat("author", Value(" "), "publisher", output_field=TextField()),
                expression,
                start,
                stop,
                whole=True,
            ),
            h_notes=_headline("notes", expression, start, stop),
        )
        fields = ["title", "byline", "notes"]
    rows = rows.order_by().annotate(**{f"hl{i}": F(f"h_{f}") for i, f in enumerate(fields)})
    columns = ["id", *(f"hl{i}" for i in range(len(fields)))]
    sql, params = rows.values_list(*columns).query.sql_with_params()
    return sql, params, fields


def read_highlight(value: str | None) -> str:
    return (value or "").translate(UNSHIELD)


# A column a UNION arm lacks: typed, since PostgreSQL cannot guess a bare NULL's type there.
NULL_TEXT = "CAST(NULL AS text)"
MATERIALIZED = "MATERIALIZED"  # PostgreSQL 12+: a CTE read twice is computed once


SUGGEST_SQL = """
SELECT w FROM (
  SELECT DISTINCT lower(m[1]) AS w
  FROM (
    SELECT text FROM kb_passage WHERE NOT is_boilerplate AND %(word)s <%% text LIMIT 200
  ) AS p, regexp_matches(p.text, '([[:alpha:]]{3,})', 'g') AS m
) AS words
WHERE w <> %(word)s AND similarity(w, %(word)s) >= 0.3
ORDER BY similarity(w, %(word)s) DESC, w
LIMIT 1
"""


def has_trigram(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        return cursor.fetchone() is not None


def suggest_word(connection, word: str) -> str | None:
    """The indexed word most like ``word`` (pg_trgm), or None."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        # The passages holding a word like it (trigram index), then the most similar word.
        cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', '0.4', true)")
        cursor.execute(SUGGEST_SQL, {"word": word.lower()})
        row = cursor.fetchone()
    return row[0] if row else None
