"""The knowledge base: sources stored whole, and everything else pointing into them.

A Source keeps its original text exactly as decoded. A Passage is a span of that text,
a Quote a span inside a passage, a Claim of a Principle cites a span. All offsets are
Python string indices into ``Source.text``, so every statement on the site can be
traced to exact words, and ``verify_corpus`` can prove that nothing drifted.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.db.models import Count, F, Max, Min, Prefetch, Q
from django.db.models.functions import Coalesce, ExtractYear, Now
from django.urls import reverse
from django.utils.text import slugify
from simple_history.models import HistoricalRecords

from kb.texts import fingerprint


class CuratedHistory(HistoricalRecords):
    """Revision history of an editor-curated model (django-simple-history).

    History starts at the first edit: the importer writes passages and quotes with raw
    ``executemany`` (``kb.ingest.store.insert_rows``), which sends no signals, so imported
    rows get no history row until an editor first saves them.

    A change of a tracked many-to-many (``themes``) made from the other side
    (``theme.quotes.add(quote)``) is recorded on each quote it touched.
    """

    def m2m_changed(self, instance, action, attr, pk_set, reverse, **kwargs):
        if not reverse:
            return super().m2m_changed(instance, action, attr, pk_set, reverse, **kwargs)
        if action in ("post_add", "post_remove") and pk_set:
            for obj in self.cls._default_manager.filter(pk__in=pk_set):
                super().m2m_changed(obj, action, attr, None, False, **kwargs)
        return None


def tracked(**options) -> CuratedHistory:
    return CuratedHistory(**options)


def has_visible_characters(text: str) -> bool:
    """False for a name made only of spaces, controls and invisible format characters
    (a zero-width space looks like nothing on every page that lists it)."""
    return any(unicodedata.category(ch)[0] not in "ZC" for ch in text)


def require_visible_name(name: str) -> None:
    if not has_visible_characters(name):
        raise ValidationError({"name": "A name needs at least one visible character."})


def unique_slug(model, value: str, *, max_length: int = 80, exclude_pk=None) -> str:
    """A slug for ``value`` not yet used by ``model`` (``-2``, ``-3`` … appended)."""
    base = slugify(value)[:max_length].strip("-") or "item"
    slug, n = base, 2
    taken = model.objects.exclude(pk=exclude_pk) if exclude_pk else model.objects.all()
    while taken.filter(slug=slug).exists():
        suffix = f"-{n}"
        slug = base[: max_length - len(suffix)] + suffix
        n += 1
    return slug


def name_slug(model, name: str, *, prefix: str, exclude_pk=None) -> str:
    """A unique slug for a person's or theme's name.

    A name that slugifies to something keeps that slug ("Lei Jun" -> ``lei-jun``, as
    before).  One that slugifies to nothing (emoji, symbols, and any name without Latin
    letters or digits: "雷军", "שלום", since the ``<slug:>`` URLs and the SlugField take
    ASCII only) gets ``<prefix>-`` and eight hex digits of its sha256 ("🚀" ->
    ``theme-…``): the same on every database whatever was created before it, unlike a
    counter, so a seed or a restore gives the same URL.  The slug is made once, when the
    row has none, and never rewritten by a rename.
    """
    if slugify(name).strip("-"):
        return unique_slug(model, name, exclude_pk=exclude_pk)
    return unique_slug(model, hashed_slug(prefix, name), exclude_pk=exclude_pk)


def hashed_slug(prefix: str, name: str) -> str:
    """``<prefix>-`` and eight hex digits of ``name``'s sha256: the slug of a name that
    slugifies to nothing, the same wherever and whenever it is made."""
    digest = hashlib.sha256(unicodedata.normalize("NFC", name.strip()).encode("utf-8"))
    return f"{prefix}-{digest.hexdigest()[:8]}"


# A source's address is shown as a link and cited: only http(s), never "javascript:",
# "data:" or "ftp:". Source.Meta has the same rule as a CheckConstraint for rows written
# without full_clean().
URL_SCHEME_MESSAGE = "Enter a valid web address starting with http:// or https://."
http_url_validator = URLValidator(schemes=["http", "https"], message=URL_SCHEME_MESSAGE)
# What RFC 3986 never allows unescaped in a URI, and what would end an HTML attribute or a
# citation's field early: a source's address has them percent-encoded ("%22", "%3C" …), so
# the API's ``url`` is a valid URI (its schema's format) and every page quotes it safely.
URI_FORBIDDEN_CHARACTERS = frozenset('"<>\\^`{|}')


def uri_character_problem(url: str) -> str:
    """What makes ``url`` no URI (characters to percent-encode), or ""."""
    bad = sorted(
        {ch for ch in url if ch in URI_FORBIDDEN_CHARACTERS or ch.isspace() or not ch.isprintable()}
    )
    if not bad:
        return ""
    shown = " ".join(repr(ch) for ch in bad)
    return f"A web address cannot contain {shown} unescaped: percent-encode it (%22 for a quote)."


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    REVIEW = "review", "In review"
    PUBLISHED = "published", "Published"
    REJECTED = "rejected", "Rejected"
    # What "delete" in the admin does to a curated row: out of every page, list, feed and
    # API answer (as a deleted row was), kept with its history, restorable (as a draft).
    ARCHIVED = "archived", "Archived"


def can_see_unpublished(user) -> bool:
    """May ``user`` see drafts (marked as such) on the pages, the API and the search?

    The one staff test behind every ``visible_to()``: staff curate, readers read.
    """
    return bool(user is not None and getattr(user, "is_staff", False))


# Slugs and their old addresses ------------------------------------------------------------


class SlugRedirect(models.Model):
    """An address a source, theme, principle or person had before its slug changed.

    Written in the same transaction as the change (``RedirectsOldSlugs.save`` and the
    querysets' ``update``), so an old link answers 301 with one indexed lookup; the revision
    history is an audit log that may be pruned without breaking links. A slug a row holds
    now is that row's address, whatever redirect names it. Deleting the row deletes its
    redirects (CASCADE) unless another row took over its address (``hand_over``).
    """

    class Kind(models.TextChoices):
        SOURCE = "source", "Source"
        THEME = "theme", "Theme"
        PRINCIPLE = "principle", "Principle"
        PERSON = "person", "Person"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    old_slug = models.CharField(max_length=80)
    # One of these, the one ``kind`` names (the constraint below): a real foreign key, so a
    # redirect never names a row that is gone.
    source = models.ForeignKey(
        "Source", null=True, blank=True, on_delete=models.CASCADE, related_name="redirects"
    )
    theme = models.ForeignKey(
        "Theme", null=True, blank=True, on_delete=models.CASCADE, related_name="redirects"
    )
    principle = models.ForeignKey(
        "Principle", null=True, blank=True, on_delete=models.CASCADE, related_name="redirects"
    )
    person = models.ForeignKey(
        "Person", null=True, blank=True, on_delete=models.CASCADE, related_name="redirects"
    )
    changed = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "old_slug"]
        constraints = [
            # Also the index of the one lookup an old address costs (kb.moved.current_slug).
            models.UniqueConstraint(fields=["kind", "old_slug"], name="slug_redirect_old_slug"),
            models.CheckConstraint(
                condition=(
                    Q(kind="source", source__isnull=False, theme=None, principle=None, person=None)
                    | Q(kind="theme", theme__isnull=False, source=None, principle=None, person=None)
                    | Q(
                        kind="principle",
                        principle__isnull=False,
                        source=None,
                        theme=None,
                        person=None,
                    )
                    | Q(
                        kind="person", person__isnull=False, source=None, theme=None, principle=None
                    )
                ),
                name="slug_redirect_one_target",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.old_slug} → #{getattr(self, f'{self.kind}_id')}"

    @staticmethod
    def kind_of(model) -> str:
        return model.__name__.lower()

    @classmethod
    def record(cls, obj, old_slug: str) -> None:
        """``old_slug`` now leads to ``obj`` (the newest holder of an address wins)."""
        if not old_slug or old_slug == obj.slug:
            return
        kind = cls.kind_of(type(obj))
        targets = {name: None for name in cls.Kind.values}
        targets[kind] = obj
        cls.objects.update_or_create(kind=kind, old_slug=old_slug, defaults=targets)

    @classmethod
    def hand_over(cls, old, heir) -> None:
        """``old`` is going: its addresses (its slug and the ones it had) lead to ``heir``."""
        kind = cls.kind_of(type(old))
        cls.objects.filter(**{kind: old}).update(**{kind: heir})
        cls.record(heir, old.slug)


class RedirectingQuerySet(models.QuerySet):
    """A queryset whose bulk ``update(slug=…)`` / ``bulk_update([...], ["slug"])`` writes
    the old addresses' redirects too: no path changes a slug silently."""

    def update(self, **kwargs):
        if "slug" not in kwargs:
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            before = dict(self.order_by().values_list("pk", "slug"))
            changed = super().update(**kwargs)
            _redirect_changed(self.model, before)
        return changed

    def bulk_update(self, objs, fields, batch_size=None):
        if "slug" not in fields:
            return super().bulk_update(objs, fields, batch_size=batch_size)
        with transaction.atomic(using=self.db):
            pks = [obj.pk for obj in objs]
            before = dict(self.model._base_manager.filter(pk__in=pks).values_list("pk", "slug"))
            changed = super().bulk_update(objs, fields, batch_size=batch_size)
            _redirect_changed(self.model, before)
        return changed


def _redirect_changed(model, before: dict) -> None:
    after = model._base_manager.filter(pk__in=before).only("pk", "slug")
    for obj in after:
        if obj.slug != before[obj.pk]:
            SlugRedirect.record(obj, before[obj.pk])


class RedirectsOldSlugs(models.Model):
    """A model addressed by its slug: a changed slug keeps answering (``SlugRedirect``).

    ``save()`` compares the slug with the one loaded (or, when the row was not loaded with
    it, the stored one) and records the old one in the same transaction. ``delete()``
    hands the row's addresses over to the row now holding the slug it last left, if any
    (``import_source --replace``: the new version takes the slug the earlier one gave up).
    """

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        obj = super().from_db(db, field_names, values)
        obj._stored_slug = obj.__dict__.get("slug")
        return obj

    def _slug_in_database(self):
        if self._state.adding or self.pk is None:
            return None
        stored = getattr(self, "_stored_slug", None)
        if stored is None:
            manager = type(self)._base_manager
            stored = manager.filter(pk=self.pk).values_list("slug", flat=True).first()
        return stored

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        old = None
        if update_fields is None or "slug" in update_fields:
            old = self._slug_in_database()
        if old and old != self.slug:
            with transaction.atomic(using=kwargs.get("using")):
                super().save(*args, **kwargs)
                SlugRedirect.record(self, old)
        else:
            super().save(*args, **kwargs)
        self._stored_slug = self.slug

    def delete(self, *args, **kwargs):
        with transaction.atomic(using=kwargs.get("using")):
            kind = SlugRedirect.kind_of(type(self))
            left = list(
                SlugRedirect.objects.filter(**{kind: self})
                .order_by("-changed", "-pk")
                .values_list("old_slug", flat=True)
            )
            heirs = {
                obj.slug: obj
                for obj in type(self)
                ._base_manager.filter(slug__in=left)
                .exclude(pk=self.pk)
                .only("pk", "slug")
            }
            heir = next((heirs[slug] for slug in left if slug in heirs), None)
            if heir is not None:
                SlugRedirect.hand_over(self, heir)
            return super().delete(*args, **kwargs)


class PersonQuerySet(RedirectingQuerySet):
    def published(self):
        """People readers see: new people from an import wait as drafts for an editor."""
        return self.filter(status=Status.PUBLISHED)

    def live(self):
        """Everyone but the archived (what "delete" in the admin leaves)."""
        return self.exclude(status=Status.ARCHIVED)

    def visible_to(self, user):
        """Staff see drafts too (they confirm them), never the archived; readers, the
        published."""
        if can_see_unpublished(user):
            return self.live()
        return self.published()


class Person(RedirectsOldSlugs):
    """Someone who speaks in the sources: an interviewee, an interviewer, a quoted analyst."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    # Other ways the texts name them ("Lei", "lei jun", "Mr. Lei"): used to resolve speaker
    # labels and surnames on import.
    aliases = models.JSONField(default=list, blank=True)
    description = models.TextField(blank=True)
    # People an import creates wait as drafts until an editor confirms them (a title, a
    # company or a heading taken for a name must never reach the public people list).
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PUBLISHED)

    objects = PersonQuerySet.as_manager()
    history = CuratedHistory()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"
        permissions = [("purge_person", "Can delete people for good (not archive them)")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("kb:person", args=[self.slug])

    @property
    def other_names(self) -> list[str]:
        """The aliases a reader would see as other names: not the name itself, and one of
        each spelling whatever its case ("lei jun" and "Lei jun" are the import's matter)."""
        seen = {" ".join(self.name.split()).casefold()}
        names = []
        for alias in self.aliases if isinstance(self.aliases, list) else []:
            key = " ".join(str(alias).split()).casefold()
            if key and key not in seen:
                seen.add(key)
                names.append(str(alias).strip())
        return names

    def clean(self):
        require_visible_name(self.name)
        if not isinstance(self.aliases, list) or not all(isinstance(a, str) for a in self.aliases):
            raise ValidationError({"aliases": "Aliases must be a list of names."})
        # PostgreSQL's jsonb cannot store U+0000 (a database error); refused on every backend.
        if any("\x00" in alias for alias in self.aliases):
            raise ValidationError({"aliases": "Null characters are not allowed."})

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = name_slug(Person, self.name, prefix="person", exclude_pk=self.pk)
        super().save(*args, **kwargs)


class Theme(RedirectsOldSlugs):
    """A subject that quotes and principles are tagged with (focus, pricing, users …)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)

    objects = RedirectingQuerySet.as_manager()
    history = CuratedHistory()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("kb:theme", args=[self.slug])

    def clean(self):
        require_visible_name(self.name)

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = name_slug(Theme, self.name, prefix="theme", exclude_pk=self.pk)
        super().save(*args, **kwargs)


class SourceQuerySet(RedirectingQuerySet):
    def current(self):
        """Sources not replaced by a newer version of their text (``superseded_by``)."""
        return self.filter(superseded_by__isnull=True)

    def with_counts(self, *, include_boilerplate: bool = False, quotes: bool = False):
        """Annotate ``passage_count``: by default the passages readers see (no page chrome);
        with ``quotes``, also ``quote_count`` (all) and ``published_quote_count``.

        Each count is a correlated subquery per row, read from an index on the foreign key
        (``passage_unique_number`` or ``passage_source_speaker``, ``quote_source_status``),
        never a join: joining passages and quotes at once multiplied the rows (passages ×
        quotes per source, billions for one 2 MB source) before ``COUNT(DISTINCT …)``.
        """
        passages = Passage.objects.filter(source=models.OuterRef("pk"))
        if not include_boilerplate:
            passages = passages.filter(is_boilerplate=False)
        counts = {"passage_count": _count_of(passages)}
        if quotes:
            all_quotes = Quote.objects.filter(source=models.OuterRef("pk"))
            counts["quote_count"] = _count_of(all_quotes)
            counts["published_quote_count"] = _count_of(all_quotes.filter(status=Status.PUBLISHED))
        return self.annotate(**counts)


def _count_of(rows: models.QuerySet) -> Coalesce:
    """``COUNT(*)`` of ``rows`` (a queryset with an ``OuterRef``) as a scalar subquery."""
    counted = rows.order_by().values("source").annotate(n=Count("pk")).values("n")
    return Coalesce(models.Subquery(counted, output_field=models.IntegerField()), 0)


class Source(RedirectsOldSlugs):
    """One original document (interview, article …), stored exactly as decoded, never rewritten."""

    class Kind(models.TextChoices):
        INTERVIEW = "interview", "Interview"
        ARTICLE = "article", "Article"
        ESSAY = "essay", "Essay"
        PROFILE = "profile", "Profile"
        SPEECH = "speech", "Speech"
        OTHER = "other", "Other"

    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    url = models.URLField(max_length=500, blank=True, validators=[http_url_validator])
    author = models.CharField(max_length=200, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    published = models.DateField(null=True, blank=True)
    # The year alone when the exact date is unknown; follows `published` when that is set.
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    language = models.CharField(max_length=20, default="en")
    text = models.TextField(help_text="The original text exactly as decoded. Never rewritten.")
    sha256 = models.CharField(max_length=64, unique=True, editable=False)
    # kb.texts.fingerprint: the same text but for line endings and trailing spaces (the
    # importer refuses such a copy).
    fingerprint = models.CharField(max_length=64, editable=False, db_index=True)
    notes = models.TextField(blank=True)
    # Set by ``import_source --replace`` on the earlier version it keeps (because quotes or
    # claims still cite words the new text lacks): lists leave it out, its page says so.
    superseded_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="earlier_versions",
        editable=False,
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = SourceQuerySet.as_manager()
    # Metadata only: the text is never rewritten (and is kept whole in the row itself).
    history = tracked(excluded_fields=["text"])

    class Meta:
        ordering = ["-year", "title"]
        indexes = [
            # Source list ordered and filtered by year (newest first).
            models.Index(fields=["-year", "title"], name="source_year_title"),
            models.Index(fields=["kind"], name="source_kind"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(url="")
                | Q(url__istartswith="http://")
                | Q(url__istartswith="https://"),
                name="source_url_http",
                violation_error_message=URL_SCHEME_MESSAGE,
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("kb:source", args=[self.slug])

    def text_without_boilerplate(self) -> str:
        """The text with its boilerplate passages' characters blanked, line breaks kept: the
        same length, so every passage's offsets still index it (what readers may see)."""
        pieces, at = [], 0
        # Passage.objects, not self.passages: a prefetch of readers' passages would filter it.
        chrome = Passage.objects.filter(source=self, is_boilerplate=True).order_by("start")
        for start, end in chrome.values_list("start", "end"):
            pieces += [self.text[at:start], re.sub(r"\S", " ", self.text[start:end])]
            at = end
        return "".join([*pieces, self.text[at:]])

    def clean(self):
        errors = {}
        if self.published and self.year and self.published.year != self.year:
            errors["year"] = "The year must match the published date."
        if problem := uri_character_problem(self.url or ""):
            errors["url"] = problem
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        sha256 = hashlib.sha256(self.text.encode("utf-8")).hexdigest()
        # The fingerprint costs ten times the hash (0.2 s for 21 MB): made again only for a
        # new text, not on every save of the metadata (the text is never rewritten).
        if sha256 != self.sha256 or not self.fingerprint:
            self.fingerprint = fingerprint(self.text)
        self.sha256 = sha256
        if self.published:
            self.year = self.published.year
        if not self.slug:
            self.slug = unique_slug(Source, self.title, exclude_pk=self.pk)
        super().save(*args, **kwargs)


class PassageQuerySet(models.QuerySet):
    def public(self):
        """Passages readers see: page chrome (boilerplate) is kept but hidden."""
        return self.filter(is_boilerplate=False)

    def visible_to(self, user):
        """Every passage for staff (they curate the chrome flags); readers', for the rest."""
        if can_see_unpublished(user):
            return self.all()
        return self.public()


class Passage(models.Model):
    """A numbered span ``source.text[start:end]``; the passages of a source tile its text."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="passages")
    number = models.PositiveIntegerField()
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = models.TextField()
    # A turn's speaker; SET_NULL so deleting a person never deletes the source's text.
    speaker = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="passages"
    )
    is_boilerplate = models.BooleanField(
        default=False, help_text="Page chrome: kept in the text, hidden from pages and search."
    )

    objects = PassageQuerySet.as_manager()
    # Speaker and boilerplate labels, and the bounds when a passage is split or merged.
    history = tracked()

    class Meta:
        ordering = ["source", "number"]
        constraints = [
            models.UniqueConstraint(fields=["source", "number"], name="passage_unique_number"),
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="passage_start_lt_end"),
            models.CheckConstraint(condition=Q(start__gte=0), name="passage_start_gte_0"),
        ]
        indexes = [
            # "Which passage holds this offset?" when anchoring quotes and claims.
            models.Index(fields=["source", "start"], name="passage_source_start"),
            # "Who speaks in these sources?" from the index alone: the search's speaker
            # facet of sources (2,000 sources at a million passages: 31–33 ms reading the
            # passages, 10–14 ms reading this) and the source list's speaker filter.
            models.Index(
                fields=["source", "speaker"],
                condition=Q(is_boilerplate=False),
                name="passage_source_speaker",
            ),
            # A source's readers' passages in order, a page at a time (the API's
            # /api/sources/<slug>/passages/, the source page's pages): the OFFSET is
            # stepped in this index, without reading a row of kb_passage per skipped passage
            # (the last page of 63,000 passages, SQLite: 120 ms -> 3 ms).
            models.Index(
                fields=["source", "number"],
                condition=Q(is_boilerplate=False),
                name="passage_public_number",
            ),
            # "Which sources does this person speak in?" from their passages (the person
            # page, kb.views.people.sources_of): a few index entries for most people.
            models.Index(
                fields=["speaker", "source"],
                condition=Q(is_boilerplate=False),
                name="passage_speaker_source",
            ),
        ]

    def __str__(self):
        return f"{self.source.slug} ¶{self.number}"

    @property
    def anchor(self) -> str:
        return f"p-{self.number}"

    def get_absolute_url(self):
        return f"{self.source.get_absolute_url()}#{self.anchor}"

    def contains(self, start: int, end: int) -> bool:
        return self.start <= start < end <= self.end

    def clean(self):
        if self.source_id and self.source.text[self.start : self.end] != self.text:
            raise ValidationError("The passage text must be exactly source.text[start:end].")


def existing_passage(citing) -> Passage:
    """The passage a quote or claim cites; a form error if it is gone (a revert to a version
    cited a passage merged or split since)."""
    try:
        return citing.passage
    except Passage.DoesNotExist:
        raise ValidationError(
            {
                "passage": "This passage no longer exists (it was merged or split since): "
                "choose the passage that holds these words now."
            }
        ) from None


def span_errors(source: Source, passage: Passage, start: int, end: int, text: str | None) -> dict:
    """What is wrong with the span ``start:end`` cited from ``passage`` (empty when right)."""
    if passage.source_id != source.pk:
        return {"passage": "The passage belongs to another source."}
    if not passage.contains(start, end):
        return {
            "start": f"The span {start}–{end} is not inside passage ¶{passage.number} "
            f"({passage.start}–{passage.end})."
        }
    if text is not None and source.text[start:end] != text:
        return {"text": "The text must be exactly the source's words at start:end."}
    return {}


class AttributionStatus(models.TextChoices):
    """Whose words a quote is, as far as the editors know (Wikiquote's "Disputed" and
    "Misattributed" sections): only confirmed quotes are shown as the speaker's words."""

    CONFIRMED = "confirmed", "Confirmed"
    # The words are his, but the wording (or the occasion) is contested.
    DISPUTED = "disputed", "Disputed"
    # Circulates under his name, but someone else said or wrote it.
    MISATTRIBUTED = "misattributed", "Misattributed"


class DatePrecision(models.TextChoices):
    """How much of ``Quote.said_on`` is known: the stored date is the first day of the
    period (2014-01-01 with YEAR means "in 2014")."""

    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


def date_label(day: datetime.date | None, precision: str) -> str:
    """``said_on`` as a reader reads it: "2014", "March 2014", "2014-03-05"; "" when unknown."""
    if day is None:
        return ""
    if precision == DatePrecision.YEAR:
        return str(day.year)
    if precision == DatePrecision.MONTH:
        return day.strftime("%B %Y")
    return day.isoformat()


class QuoteQuerySet(models.QuerySet):
    def published(self):
        """Published quotes shown as their speaker's words: not the disputed or misattributed
        (``disputed_for`` lists those, in their own section)."""
        return self.filter(status=Status.PUBLISHED, attribution_status=AttributionStatus.CONFIRMED)

    def disputed_for(self, person):
        """Published quotes circulating under ``person``'s name whose attribution is disputed
        or false: the person page's own section, never mixed with their words."""
        return (
            self.filter(status=Status.PUBLISHED, speaker=person)
            .exclude(attribution_status=AttributionStatus.CONFIRMED)
            .select_related("source", "passage")
            .order_by("attribution_status", "source__title", "start")
        )

    def visible_with_disputed_to(self, user):
        """``visible_to(user)`` and the disputed and misattributed quotes it leaves out: for
        a quote's own page (which must say its status) and an API detail that carries it."""
        if can_see_unpublished(user):
            return self.live()
        return self.filter(status=Status.PUBLISHED)

    def with_said(self):
        """Annotate ``said_year`` and ``said_date``: the quote's own ``said_on`` when set,
        else its source's date and year (rows the importer wrote raw have no ``said_on``)."""
        return self.annotate(
            said_date=Coalesce("said_on", "source__published"),
            said_year=Coalesce(
                ExtractYear("said_on"), "source__year", output_field=models.IntegerField()
            ),
        )

    def said_in_year(self, year: int):
        return self.with_said().filter(said_year=year)

    def per_year(self):
        """``[(year, theme_slug or None, count)]``: statements per year by theme, years
        without any date left out, oldest first. A quote with two themes counts in each."""
        rows = (
            self.with_said()
            .filter(said_year__isnull=False)
            .values("said_year", "themes__slug")
            .annotate(count=Count("pk", distinct=True))
            .order_by("said_year", "themes__slug")
        )
        return [(row["said_year"], row["themes__slug"], row["count"]) for row in rows]

    def year_totals(self) -> dict[int, int]:
        """``{year: statements}`` (each quote once, whatever its themes), dated quotes only."""
        rows = (
            self.with_said()
            .filter(said_year__isnull=False)
            .order_by()
            .values("said_year")
            .annotate(count=Count("pk", distinct=True))
        )
        return {row["said_year"]: row["count"] for row in rows}

    def also_said_in(self, quote):
        """Other published quotes of ``quote``'s statement group (the same words in another
        source or place), oldest first, each with ``said_date``/``said_year``."""
        if not quote.statement_group_id:
            return self.none()
        return (
            self.published()
            .filter(statement_group_id=quote.statement_group_id)
            .exclude(pk=quote.pk)
            .with_said()
            .select_related("source", "passage")
            .order_by(
                F("said_year").asc(nulls_last=True), F("said_date").asc(nulls_last=True), "pk"
            )
        )

    def live(self):
        """Everything but the archived (what "delete" in the admin leaves)."""
        return self.exclude(status=Status.ARCHIVED)

    def visible_to(self, user):
        """Published quotes for readers; staff also see drafts (pages mark them), never the
        archived (deleted, as far as the site is concerned). Neither sees a disputed or
        misattributed quote among a person's words (``disputed_for``)."""
        if can_see_unpublished(user):
            return self.live().filter(attribution_status=AttributionStatus.CONFIRMED)
        return self.published()

    def for_theme(self, theme):
        return self.filter(themes=theme)

    def related_to(self, quote, limit: int = 5):
        """Other quotes sharing a theme or the speaker with ``quote``, most shared themes first.

        Two indexed reads instead of one OR across the theme join (which read every
        published quote: 157 ms at a million passages): the quotes sharing a theme, ranked,
        then, if fewer than ``limit``, the speaker's others (sharing none) by id.
        """
        theme_ids = [theme.pk for theme in quote.themes.all()]
        others = self.exclude(pk=quote.pk)
        ranked = list(
            others.filter(themes__in=theme_ids)
            .values("pk")
            .annotate(shared=Count("themes"))
            .order_by("-shared", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if len(ranked) < limit and quote.speaker_id:
            same_speaker = others.filter(speaker_id=quote.speaker_id).exclude(pk__in=ranked)
            ranked += list(
                same_speaker.order_by("pk").values_list("pk", flat=True)[: limit - len(ranked)]
            )
        rows = {row.pk: row for row in self.filter(pk__in=ranked)}
        return [rows[pk] for pk in ranked if pk in rows]

    def with_related(self):
        return self.select_related("speaker", "source", "passage").prefetch_related(
            Prefetch("themes", queryset=Theme.objects.order_by("name"))
        )


class Quote(models.Model):
    """Words someone said, an exact span of a source, curated from candidates."""

    text = models.TextField()
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="quotes")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    # RESTRICT, not PROTECT: a passage holding quotes is never deleted on its own, but a
    # source is deleted with its passages and the quotes in them (the admin still refuses
    # while one is published: SourceAdmin.get_deleted_objects).
    passage = models.ForeignKey(Passage, on_delete=models.RESTRICT, related_name="quotes")
    # SET_NULL: an unnamed source ("a person close to the company") has no person either.
    speaker = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    attribution = models.CharField(
        max_length=300, blank=True, help_text='As written: "said Wang Chuan", "he added".'
    )
    themes = models.ManyToManyField(Theme, blank=True, related_name="quotes")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    note = models.TextField("editor's note", blank=True)
    featured = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    # The new columns have database defaults: the importer inserts quotes with raw SQL
    # naming only the columns it knows (kb.ingest.store.insert_rows).
    # When it was said: the source's date by default (save()), set by an editor when the
    # source reports an earlier statement. A date and how much of it is known, rather than a
    # custom value type: the database sorts, filters and extracts the year of a plain date.
    said_on = models.DateField(
        "said on",
        null=True,
        blank=True,
        help_text="The first day of the period when only the month or year is known.",
    )
    said_on_precision = models.CharField(
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.YEAR,
        db_default=DatePrecision.YEAR,
    )
    attribution_status = models.CharField(
        max_length=20,
        choices=AttributionStatus.choices,
        default=AttributionStatus.CONFIRMED,
        db_default=AttributionStatus.CONFIRMED,
    )
    attribution_evidence = models.TextField(
        blank=True,
        default="",
        db_default="",
        help_text="Why the attribution is disputed or false: the editor's evidence.",
    )
    true_source = models.CharField(
        max_length=300,
        blank=True,
        default="",
        db_default="",
        help_text="Who really said or wrote it, where known.",
    )
    # SET_NULL: a group an editor deletes leaves its quotes ungrouped (kb.statements).
    statement_group = models.ForeignKey(
        "StatementGroup",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quotes",
    )
    # An editor split this quote out of its group: kb.statements never groups it again.
    kept_apart = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Never put in a statement group by the automatic grouping.",
    )

    objects = QuoteQuerySet.as_manager()
    history = tracked(m2m_fields=["themes"])

    class Meta:
        ordering = ["source", "start"]
        permissions = [
            ("publish_quote", "Can publish and reject quotes"),
            ("purge_quote", "Can delete quotes for good (not archive them)"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="quote_start_lt_end"),
            models.UniqueConstraint(
                fields=["source", "start", "end"], name="quote_unique_span_per_source"
            ),
        ]
        indexes = [
            # The home page's featured and recent quotes: published, featured or not, newest
            # first (ORDER BY created DESC, id DESC LIMIT 6 read from the index, no sort).
            models.Index(
                fields=["status", "featured", "-created", "-id"], name="quote_status_recent"
            ),
            # Quotes of a passage, highlighted on the source page.
            models.Index(fields=["passage", "start"], name="quote_passage_start"),
            # Counts per source (SourceQuerySet.with_counts: quote_count and
            # published_quote_count read from the index alone, no row of kb_quote).
            models.Index(fields=["source", "status"], name="quote_source_status"),
            # A person's page: their published quotes in its order (featured first, then by
            # source and place), the page and the count read from the index, no sort.
            models.Index(
                fields=["speaker", "-featured", "source", "start"],
                condition=Q(status="published"),
                name="quote_speaker_page",
            ),
            # "Is this person quoted in this source?" (the person page's sources, one probe a
            # source) and a quote page's related quotes by the same speaker, by id.
            models.Index(
                fields=["speaker", "source", "id"],
                condition=Q(status="published"),
                name="quote_speaker_source",
            ),
        ]

    def __str__(self):
        return self.text if len(self.text) <= 80 else self.text[:77] + "…"

    def get_absolute_url(self):
        return reverse("kb:quote", args=[self.pk])

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED

    @property
    def is_confirmed(self) -> bool:
        return self.attribution_status == AttributionStatus.CONFIRMED

    @property
    def said_on_label(self) -> str:
        return date_label(self.said_on, self.said_on_precision)

    def default_said_on(self) -> None:
        """Fill an empty ``said_on`` from the source: its date, else its year."""
        if self.said_on is not None or not self.source_id:
            return
        said_on, precision = source_date(self.source)
        if said_on is not None:
            self.said_on, self.said_on_precision = said_on, precision

    def save(self, *args, **kwargs):
        self.default_said_on()
        if self.kept_apart:
            self.statement_group = None
        super().save(*args, **kwargs)

    def clean(self):
        if self.attribution_status != AttributionStatus.CONFIRMED and not (
            self.attribution_evidence.strip()
        ):
            raise ValidationError(
                {"attribution_evidence": "Say why the attribution is disputed or false."}
            )
        if (
            self.said_on
            and self.said_on_precision == DatePrecision.YEAR
            and ((self.said_on.month, self.said_on.day) != (1, 1))
        ):
            raise ValidationError(
                {"said_on_precision": "A date known to the day needs the precision 'Day'."}
            )
        if not self.source_id or not self.passage_id:
            return
        passage = existing_passage(self)
        errors = span_errors(self.source, passage, self.start, self.end, self.text)
        if not errors and self.status == Status.PUBLISHED and passage.is_boilerplate:
            # Readers never see a boilerplate passage: the quote's links would lead nowhere.
            errors = {
                "status": f"Passage ¶{passage.number} is marked as boilerplate (hidden from "
                "readers): unmark it before publishing a quote from it."
            }
        if errors:
            raise ValidationError(errors)


def source_date(source) -> tuple[datetime.date | None, str]:
    """A source's date as a ``said_on`` and its precision (its year alone when that is all)."""
    if source.published:
        return source.published, DatePrecision.DAY
    if source.year:
        return datetime.date(source.year, 1, 1), DatePrecision.YEAR
    return None, DatePrecision.YEAR


class StatementGroup(models.Model):
    """Quotes that say the same words (or nearly) in several sources or on several occasions.

    Made by ``kb.statements.group_statements`` (after an import, or ``manage.py
    group_statements``); an editor confirms a group (the grouping never takes a quote out of
    a confirmed group again) or splits it (a quote taken out is ``kept_apart``).
    """

    confirmed = models.BooleanField(
        default=False, help_text="An editor checked these are the same statement."
    )
    note = models.TextField("editor's note", blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    history = CuratedHistory()

    class Meta:
        ordering = ["-updated", "pk"]
        verbose_name = "statement group"

    def __str__(self):
        first = self.quotes.order_by("pk").first()
        return f"#{self.pk}: {first}" if first else f"#{self.pk} (empty)"


class PrincipleQuerySet(RedirectingQuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def live(self):
        """Everything but the archived (what "delete" in the admin leaves)."""
        return self.exclude(status=Status.ARCHIVED)

    def visible_to(self, user):
        """Published principles for readers; staff also see drafts, never the archived."""
        if can_see_unpublished(user):
            return self.live()
        return self.published()

    def with_evidence_years(self):
        """Annotate ``first_evidence`` and ``latest_evidence``: the years of the oldest and
        newest sources its claims cite (a timeline's principles, in one query)."""
        return self.annotate(
            first_evidence=Min("claims__passage__source__year"),
            latest_evidence=Max("claims__passage__source__year"),
        )


class Principle(RedirectsOldSlugs):
    """A rule of conduct that the sources back, made of ordered claims with evidence."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    summary = models.TextField(blank=True)
    themes = models.ManyToManyField(Theme, blank=True, related_name="principles")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = PrincipleQuerySet.as_manager()
    history = tracked(m2m_fields=["themes"])

    class Meta:
        ordering = ["title"]
        permissions = [
            ("publish_principle", "Can publish and reject principles"),
            ("purge_principle", "Can delete principles for good (not archive them)"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("kb:principle", args=[self.slug])

    def clean(self):
        if self.status == Status.PUBLISHED and self.pk:
            if self.claims.filter(passage__isnull=True).exists():
                raise ValidationError(
                    {"status": "A principle with a claim lacking evidence cannot be published."}
                )

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = name_slug(Principle, self.title, prefix="principle", exclude_pk=self.pk)
        super().save(*args, **kwargs)

    def source_count(self) -> int:
        return len({claim.passage.source_id for claim in self.claims.all() if claim.passage_id})

    def first_and_latest_evidence(self):
        """``(first, latest)`` claims of this principle by their source's date (None, None
        without dated evidence): how long the sources back it."""
        dated = (
            Claim.objects.filter(principle=self, passage__source__year__isnull=False)
            .select_related("passage__source")
            .defer("passage__source__text")
        )
        said = F("passage__source__published")
        oldest = dated.order_by("passage__source__year", said.asc(nulls_last=True), "pk")
        newest = dated.order_by("-passage__source__year", said.desc(nulls_last=True), "-pk")
        return oldest.first(), newest.first()


class Claim(models.Model):
    """A sentence in the editor's words, backed by a span of a passage (its evidence)."""

    principle = models.ForeignKey(Principle, on_delete=models.CASCADE, related_name="claims")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.TextField("claim")
    # The evidence: nullable while a draft claim still lacks it (then it cannot be published).
    passage = models.ForeignKey(
        Passage, null=True, blank=True, on_delete=models.PROTECT, related_name="claims"
    )
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)

    history = CuratedHistory()

    class Meta:
        ordering = ["principle", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(passage__isnull=True, start__isnull=True, end__isnull=True)
                    | Q(passage__isnull=False, start__lt=F("end"))
                ),
                name="claim_evidence_is_a_span",
            ),
        ]

    def __str__(self):
        return self.text

    @property
    def has_evidence(self) -> bool:
        return self.passage_id is not None

    @property
    def evidence_text(self) -> str:
        if not self.has_evidence:
            return ""
        # The passage is an exact span of the source, so slicing it needs no whole source text.
        offset = self.passage.start
        return self.passage.text[self.start - offset : self.end - offset]

    def get_absolute_url(self):
        return self.passage.get_absolute_url() if self.passage_id else ""

    def clean(self):
        if self.passage_id is None:
            if self.start is not None or self.end is not None:
                raise ValidationError("A span needs a passage.")
            if self.principle_id and self.principle.status == Status.PUBLISHED:
                raise ValidationError(
                    {
                        "passage": "A claim of a published principle needs its evidence: keep a "
                        "passage, start and end, or put the principle back in draft first."
                    }
                )
            return
        if self.start is None or self.end is None or self.start >= self.end:
            raise ValidationError("Evidence needs start < end.")
        passage = existing_passage(self)
        errors = span_errors(passage.source, passage, self.start, self.end, None)
        if errors:
            raise ValidationError(errors)


class SearchAlias(models.Model):
    """A search term and what it means (Millet ⇄ Xiaomi): queries are expanded with it."""

    term = models.CharField(max_length=100)
    means = models.CharField(max_length=100)
    two_way = models.BooleanField(default=True, help_text="Also expand the meaning to the term.")

    history = CuratedHistory()

    class Meta:
        ordering = ["term"]
        verbose_name_plural = "search aliases"
        constraints = [
            models.UniqueConstraint(fields=["term", "means"], name="alias_unique_pair"),
        ]

    def __str__(self):
        arrow = "⇄" if self.two_way else "→"
        return f"{self.term} {arrow} {self.means}"

    def clean(self):
        # The other pairs saying the same words are refused by the admin's form
        # (kb.admin.taxonomy.SearchAliasForm), which compares them as the search reads them:
        # the models do not import the search.
        if " ".join(self.term.split()) == " ".join(self.means.split()):
            raise ValidationError({"means": "A term cannot mean itself."})


class ContentVersion(models.Model):
    """One row whose token changes with every change to the content (``kb.cache``).

    Cached page fragments and ETags are keyed by the token, so an edit or a publication
    shows on the next request in every worker, whatever cache backend each one has. The
    token is written in the same transaction as the change it follows: other connections
    see the new token exactly when they can see the change.
    """

    token = models.CharField(max_length=32)
    changed = models.DateTimeField()

    def __str__(self):
        return f"content version {self.token} ({self.changed:%Y-%m-%d %H:%M:%S})"


class SearchOutbox(models.Model):
    """A change the search index has yet to apply: the table a searchable row changed in
    (``kind``: source, passage, quote, principle, claim, theme, person, alias) and its id.

    Written by database triggers (migration 0014) in the writer's own transaction, so no
    write escapes it, ``QuerySet.update()`` and raw SQL included; a rolled-back write leaves
    no row. The indexer (kb.search.indexer) applies the rows in id order and deletes them.
    """

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=16)
    object_id = models.BigIntegerField()
    created = models.DateTimeField(db_default=Now())

    class Meta:
        # The primary key is the index the indexer reads by (ORDER BY id LIMIT n).
        ordering = ["id"]
        verbose_name = "search outbox row"

    def __str__(self):
        return f"{self.kind} {self.object_id}"
