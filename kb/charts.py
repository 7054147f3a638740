"""Server-rendered SVG charts (no JavaScript): statements per year, stacked by theme.

``statements_chart`` is a pure function of the rows ``QuoteQuerySet.per_year()`` returns;
the SVG is accessible on its own: ``role="img"`` with a ``<title>`` and a ``<desc>`` that
says the figures in words, a text label under every bar and its total above it, and a
legend naming each colour (the page also has the same figures as a table). It scales to
the width of its container (``viewBox``, no fixed width), so it reads on a 375 px phone.
Every text is escaped here: the result is safe to insert in a page as is.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape

# Eight colours told apart with the common colour-vision deficiencies (Okabe & Ito); the
# quotes without a theme are grey.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
NO_THEME = "#999999"
NO_THEME_LABEL = "No theme"
MAX_THEMES = len(PALETTE)  # more are drawn together as "Other themes"
OTHER_LABEL = "Other themes"
OTHER = "#666666"

BAR, GAP = 28, 10
TOP, BOTTOM, LEFT = 24, 28, 8
HEIGHT = 160  # of the tallest bar
# The narrowest drawing: a year or two still get room for the legend, and the chart scales
# by at most 1.4 into the page's column (--measure) and down to a 375 px phone.
MIN_WIDTH = 480


def _series(rows, names: dict[str, str]):
    """Years (oldest first, every year between the first and last), the themes in the
    chart's order (most statements first) and ``counts[year][label]``."""
    totals: dict[str | None, int] = defaultdict(int)
    for _, slug, count in rows:
        totals[slug] += count
    ranked = sorted((s for s in totals if s is not None), key=lambda s: (-totals[s], s))
    kept, folded = ranked, set()
    if len(ranked) > MAX_THEMES:  # the last colour goes to the rest, drawn together
        kept, folded = ranked[: MAX_THEMES - 1], set(ranked[MAX_THEMES - 1 :])
    labels = [(names.get(s, s), PALETTE[i]) for i, s in enumerate(kept)]
    if folded:
        labels.append((OTHER_LABEL, OTHER))
    if None in totals:
        labels.append((NO_THEME_LABEL, NO_THEME))
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for year, slug, count in rows:
        if slug is None:
            label = NO_THEME_LABEL
        elif slug in folded:
            label = OTHER_LABEL
        else:
            label = names.get(slug, slug)
        counts[year][label] += count
    years = list(range(min(counts), max(counts) + 1)) if counts else []
    return years, labels, counts


def statements_chart(
    rows, *, theme_names: dict[str, str] | None = None, title: str, totals=None
) -> str:
    """An SVG bar chart of statements per year, each bar stacked by theme.

    ``rows`` are ``(year, theme slug or None, count)``; ``theme_names`` maps slugs to the
    names shown; ``totals`` (``{year: n}``) is the number of statements a year when a quote
    with several themes must count once in the bar's label (else the sum of the segments).
    """
    names = theme_names or {}
    years, labels, counts = _series(rows, names)
    if not years:
        return ""
    totals = totals or {year: sum(counts[year].values()) for year in years}
    tallest = max(sum(counts[year].values()) for year in years) or 1
    width = max(MIN_WIDTH, LEFT * 2 + len(years) * (BAR + GAP))
    legend_rows = len(labels)
    legend_top = TOP + HEIGHT + BOTTOM + 8
    height = legend_top + legend_rows * 18 + 4
    described = "; ".join(
        f"{year}: {totals.get(year, 0)}"
        + (
            " (" + ", ".join(f"{label} {n}" for label, n in sorted(counts[year].items()) if n) + ")"
            if counts[year]
            else ""
        )
        for year in years
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="100%" '
        f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">Statements per year, {years[0]}–{years[-1]}: '
        f"{escape(described)}.</desc>",
    ]
    for i, year in enumerate(years):
        x = LEFT + i * (BAR + GAP)
        base = TOP + HEIGHT
        for label, colour in labels:
            n = counts[year].get(label, 0)
            if not n:
                continue
            h = n * HEIGHT / tallest
            base -= h
            parts.append(
                f'<rect x="{x}" y="{base:.1f}" width="{BAR}" height="{h:.1f}" fill="{colour}">'
                f"<title>{year}, {escape(label)}: {n}</title></rect>"
            )
        if counts[year]:
            parts.append(
                f'<text x="{x + BAR / 2}" y="{base - 4:.1f}" text-anchor="middle" '
                f'font-size="11">{totals.get(year, 0)}</text>'
            )
        parts.append(
            f'<text x="{x + BAR / 2}" y="{TOP + HEIGHT + 16}" text-anchor="middle" '
            f'font-size="10">{year}</text>'
        )
    for row, (label, colour) in enumerate(labels):
        y = legend_top + row * 18
        parts.append(
            f'<rect x="{LEFT}" y="{y}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{LEFT + 18}" y="{y + 10}" font-size="11">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
