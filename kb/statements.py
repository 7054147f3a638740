"""The same statement across sources: quotes whose words are the same or nearly the same.

Pure functions over ``str`` first (``normalise``, ``shingles``, ``minhash``,
``near_duplicates``), then one function that writes groups (``group_statements``), run
after an import or by ``manage.py group_statements``.

Near-duplicates are found by MinHash with banding (locality-sensitive hashing): each quote
gets ``PERMUTATIONS`` min-hashes of its shingles, cut into ``BANDS`` bands; quotes sharing
a band are candidates, and a candidate pair is kept when the Jaccard similarity of the
shingle sets is at least ``THRESHOLD``. The pairs compared are those that share a band, not
all n² of them, so 100,000 quotes take one pass of hashing (see ``make bench``) rather than
five billion comparisons. No library: datasketch needs numpy, which nothing else here uses;
the hashing is a few lines.

Editors have the last word (``kb.admin.statements``): a confirmed group never loses a quote
to the grouping (new near-duplicates still join it), and a quote an editor splits out
(``Quote.kept_apart``) is never grouped again.
"""

from __future__ import annotations

import random
import re
import unicodedata
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import transaction

SHINGLE = 2  # words (or characters, for Chinese and Japanese) a shingle: pairs, since
# quotes are short (one word added to 11 leaves 0.58 of word triples shared, 0.75 of pairs)
PERMUTATIONS = 32
BANDS = 8  # of PERMUTATIONS // BANDS = 4 rows: pairs at Jaccard 0.7 meet in a band 99% of
# the time, pairs at 0.3 in 6% (then the exact Jaccard turns them down).
ROWS = PERMUTATIONS // BANDS
THRESHOLD = 0.7
_PRIME = (1 << 61) - 1
_rng = random.Random(21)  # fixed: the same signatures on every run and machine
_PARAMS = [(_rng.randrange(1, _PRIME), _rng.randrange(0, _PRIME)) for _ in range(PERMUTATIONS)]
# Scripts written without spaces between words: a shingle is a run of characters there.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def normalise(text: str) -> str:
    """The words of ``text`` without case, punctuation, symbols or width differences:
    "We focus — on a few products!" and "we focus on a few products" are the same."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = [ch if unicodedata.category(ch)[0] in "LN" else " " for ch in folded]
    return " ".join("".join(kept).split())


def tokens(normalised: str) -> list[str]:
    if _UNSPACED.search(normalised):
        return [ch for ch in normalised if not ch.isspace()]
    return normalised.split()


def shingles(text: str) -> set[int]:
    """The hashed ``SHINGLE``-grams of ``text``'s normalised tokens (one for a short text)."""
    words = tokens(normalise(text))
    if not words:
        return set()
    size = min(SHINGLE, len(words))
    grams = {"\x1f".join(words[i : i + size]) for i in range(len(words) - size + 1)}
    return {zlib.crc32(gram.encode("utf-8")) for gram in grams}


def minhash(hashed: set[int]) -> tuple[int, ...]:
    return tuple(min((a * h + b) % _PRIME for h in hashed) for a, b in _PARAMS)


def jaccard(a: set, b: set) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def near_duplicates(
    texts: Iterable[tuple[int, str]], *, threshold: float = THRESHOLD, progress=None
) -> list[list[int]]:
    """Groups (of two or more ids, sorted) of the ``(id, text)`` whose words are the same or
    nearly (Jaccard ≥ ``threshold`` of their shingles), linked transitively."""
    sets: dict[int, set[int]] = {}
    buckets: dict[tuple, list[int]] = defaultdict(list)
    for key, text in texts:
        hashed = shingles(text)
        if progress is not None:
            progress.update(1)
        if not hashed:
            continue
        sets[key] = hashed
        signature = minhash(hashed)
        for band in range(BANDS):
            buckets[(band, signature[band * ROWS : (band + 1) * ROWS])].append(key)

    parent = {key: key for key in sets}

    def root(key):
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    checked = set()
    for members in buckets.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                pair = (a, b) if a < b else (b, a)
                if pair in checked or root(a) == root(b):
                    continue
                checked.add(pair)
                if jaccard(sets[a], sets[b]) >= threshold:
                    parent[root(a)] = root(b)

    groups = defaultdict(list)
    for key in sets:
        groups[root(key)].append(key)
    return sorted(sorted(g) for g in groups.values() if len(g) > 1)


@transaction.atomic
def group_statements(*, threshold: float = THRESHOLD, progress=None) -> dict[str, int]:
    """Put the live quotes saying the same words into ``StatementGroup``s.

    Confirmed groups keep their quotes (a new near-duplicate of one joins it); an
    unconfirmed group is kept when it still has a match (the one most of a cluster's
    quotes already share), else replaced or dissolved. Quotes ``kept_apart`` are left out.
    Returns counts: ``groups`` (after the run), ``grouped`` quotes, ``created`` groups.
    """
    from kb.models import Quote, StatementGroup

    candidates = Quote.objects.live().filter(kept_apart=False)
    rows = list(candidates.values_list("pk", "text", "statement_group_id"))
    confirmed = set(StatementGroup.objects.filter(confirmed=True).values_list("pk", flat=True))
    current = {pk: group for pk, _, group in rows}
    if progress is not None:
        progress.reset(total=len(rows))
    clusters = near_duplicates(
        ((pk, text) for pk, text, _ in rows), threshold=threshold, progress=progress
    )

    wanted: dict[int, int | None] = {}  # quote -> group id (None: a new group, keyed below)
    new_groups: list[list[int]] = []
    for cluster in clusters:
        held = sorted({current[pk] for pk in cluster if current[pk] in confirmed})
        if held:
            target = held[0]
        else:
            votes = Counter(current[pk] for pk in cluster if current[pk] is not None)
            ranked = sorted(votes.items(), key=lambda item: (-item[1], item[0]))
            target = ranked[0][0] if ranked else None
        if target is None:
            new_groups.append(cluster)
            continue
        for pk in cluster:
            if current[pk] not in confirmed:
                wanted[pk] = target

    created = 0
    for cluster in new_groups:
        group = StatementGroup.objects.create()
        created += 1
        for pk in cluster:
            wanted[pk] = group.pk

    by_group = defaultdict(list)
    for pk, group in wanted.items():
        if current.get(pk) != group:
            by_group[group].append(pk)
    for group, pks in by_group.items():
        Quote.objects.filter(pk__in=pks).update(statement_group_id=group)
    # Quotes of unconfirmed groups that matched nothing this time leave their group.
    loose = [
        pk
        for pk, group in current.items()
        if group is not None and group not in confirmed and pk not in wanted
    ]
    Quote.objects.filter(pk__in=loose).update(statement_group=None)
    # Kept-apart and archived quotes hold no group (a confirmed group keeps its archived).
    Quote.objects.filter(kept_apart=True).exclude(statement_group=None).update(statement_group=None)
    dissolve_small_groups()
    if by_group or loose or created:
        # Bulk updates send no signals: the pages' "Also said in" must not stay cached.
        from kb.cache import bump_version

        bump_version()
    grouped = Quote.objects.exclude(statement_group=None).count()
    return {"groups": StatementGroup.objects.count(), "grouped": grouped, "created": created}


def dissolve_small_groups() -> int:
    """Delete unconfirmed groups left with fewer than two quotes (their quote leaves)."""
    from django.db.models import Count

    from kb.models import StatementGroup

    small = (
        StatementGroup.objects.filter(confirmed=False).annotate(n=Count("quotes")).filter(n__lt=2)
    )
    deleted, _ = StatementGroup.objects.filter(pk__in=small.values("pk")).delete()
    return deleted
