"""Drawing helpers of the briefing pack: the page, its frame, text blocks, tables and the
tables as printed.

Part of the briefing pack (:mod:`intel.briefing` renders it and names every public function
here too, so ``from intel.briefing import plain`` keeps working; the pages themselves are in
:mod:`intel.briefing_pages`). The pieces: the page size and PNG resolution (:data:`PAGE_SIZE`,
:data:`DPI_PNG`), :func:`plain` (record text made safe for matplotlib), an empty page
(:func:`page_figure`) and its frame (:func:`frame_page`: the marking line at top and bottom in
:data:`MARK_COLOUR`, the title, the page number and the generation stamp), lines of text
(:func:`text_block`) and grid tables (:func:`draw_table`), and the tables as printed: the KPIs
(:func:`kpi_display`), the sources and batches (:func:`provenance_display`) and a column's shared
prefix taken out as a note (:func:`shared_prefix_note`).

Text that comes from records is drawn as plain text: :func:`plain` escapes ``$`` so mathtext never
parses it (TeX is off while the pack is drawn).
"""
from __future__ import annotations

import os
import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from intel import trends

__all__ = ["PAGE_SIZE", "DPI_PNG", "MARK_COLOUR", "plain", "page_figure", "frame_page", "text_block", "draw_table",
           "provenance_display", "kpi_display", "shared_prefix_note"]


PAGE_SIZE = (11.69, 8.27)
"""A4 landscape, inches."""

DPI_PNG = 130
"""Resolution of the PNG copies, dots per inch."""

MARK_COLOUR = "#b00020"


def plain(text) -> str:
    """Record text made safe for matplotlib: ``$`` escaped so mathtext never parses it."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    return str(text).replace("$", r"\$")


def page_figure():
    """An empty landscape A4 page (:data:`PAGE_SIZE`), not attached to pyplot."""
    return Figure(figsize=PAGE_SIZE)


def frame_page(fig, marking: str, title: str, page: int, pages: int, stamp: str) -> None:
    """Marking line at top and bottom, page title, page number and generation stamp."""
    m = plain(marking)
    kw = dict(ha="center", fontsize=12, fontweight="bold", color=MARK_COLOUR)
    fig.text(0.5, 0.975, m, va="top", **kw)
    fig.text(0.5, 0.012, m, va="bottom", **kw)
    fig.text(0.04, 0.935, plain(title), fontsize=16, fontweight="bold", va="top")
    fig.text(0.96, 0.012, f"page {page} of {pages}", ha="right", va="bottom", fontsize=8, color="#444")
    fig.text(0.04, 0.012, f"generated {stamp}", ha="left", va="bottom", fontsize=8, color="#444")


def text_block(ax, lines: list[str], fontsize: float = 9.5, top: float = 1.0, step: float | None = None) -> float:
    """Write lines top-down in axes coordinates; returns the y below the last line."""
    ax.set_axis_off()
    step = step or fontsize / 260
    y = top
    for line in lines:
        bold = line.startswith("## ")
        body = line[3:] if bold else line
        wrapped = textwrap.wrap(body, 150) or [""]
        for w in wrapped:
            ax.text(0, y, plain(w), fontsize=fontsize + (1.5 if bold else 0), fontweight="bold" if bold else "normal",
                    va="top", ha="left", transform=ax.transAxes)
            y -= step
        y -= step * 0.3
    return y


def draw_table(ax, df: pd.DataFrame, fontsize: float = 8, col_widths=None, title: str | None = None,
               row_scale: float = 1.25) -> None:
    """Draw ``df`` as a grid table at the top left of ``ax`` (axis hidden), every cell :func:`plain`.

    Parameters
    ----------
    ax : matplotlib Axes
    df : pandas.DataFrame or None
        The rows; None or empty draws the sentence "No rows.".
    fontsize : float
        Points.
    col_widths : sequence of float, optional
        Fractions of the axes' width; default from the longest text of each column, so no column
        is clipped.
    title : str, optional
        Bold title above the table.
    row_scale : float
        Vertical scale of the rows.
    """
    ax.set_axis_off()
    if title:
        ax.set_title(plain(title), loc="left", fontsize=10, fontweight="bold")
    if df is None or df.empty:
        ax.text(0, 0.9, "No rows.", fontsize=9, transform=ax.transAxes, va="top")
        return
    cells = [[plain(v) for v in row] for row in df.astype(str).values.tolist()]
    if col_widths is None:  # widths from the longest text of each column, so no column is clipped
        longest = [max([len(plain(c))] + [len(r[i]) for r in cells]) for i, c in enumerate(df.columns)]
        col_widths = [n / sum(longest) for n in longest]
    t = ax.table(cellText=cells, colLabels=[plain(c) for c in df.columns], loc="upper left", cellLoc="left",
                 colLoc="left", colWidths=col_widths)
    t.auto_set_font_size(False)
    t.set_fontsize(fontsize)
    t.scale(1, row_scale)
    for (r, _), cell in t.get_celld().items():
        cell.set_edgecolor("#bbbbbb")
        if r == 0:
            cell.set_facecolor("#e8e8e8")
            cell.get_text().set_fontweight("bold")


def provenance_display(prov: pd.DataFrame) -> pd.DataFrame:
    """The sources-and-batches table with short headers and values that fit a landscape page:
    file names cut to 34 characters, import time as a day, counts as whole numbers."""
    if prov is None or prov.empty:
        return prov
    d = prov.copy()
    short = {"file_name": "file", "sha256_12": "sha256", "imported": "imported", "rows_read": "read",
             "rows_accepted": "accepted", "rows_quarantined": "quarant.", "rows_rejected": "rejected",
             "date_precision": "dates to", "first_date": "first", "last_date": "last", "events": "events"}
    if "file_name" in d:
        d["file_name"] = d["file_name"].astype(str).map(lambda f: f if len(f) <= 34 else f[:31] + "...")
    if "imported" in d:
        d["imported"] = d["imported"].astype(str).str[:10]
    for c in ("rows_read", "rows_accepted", "rows_quarantined", "rows_rejected", "events"):
        if c in d:
            d[c] = d[c].map(lambda v: f"{int(v):,}" if isinstance(v, (int, float, np.integer, np.floating))
                            and np.isfinite(v) else str(v))
    return d.rename(columns=short)


def kpi_display(k: pd.DataFrame) -> pd.DataFrame:
    """The KPI table as printed: one row per source and comparison.

    Returns
    -------
    pandas.DataFrame
        Columns ``Source``, ``Comparison``, ``Current [from, to)``, ``Previous [from, to)``,
        ``Events``, ``Firearms``, ``Ammunition (rounds)``; each measure as
        ``"current vs previous (change %)"``, ``"current (no earlier data)"`` when the source's data
        do not cover the previous period, or ``"not recorded"`` (:func:`intel.trends.comparison_text`).
    """
    rows = []
    for (src, comp), g in k.groupby(["source", "comparison"], sort=False):
        r0 = g.iloc[0]
        row = {"Source": src, "Comparison": comp,
               "Current [from, to)": f"{r0.current_from.date()} - {r0.current_to.date()}",
               "Previous [from, to)": f"{r0.previous_from.date()} - {r0.previous_to.date()}"}
        for m, label in (("events", "Events"), ("firearms", "Firearms"), ("ammunition", "Ammunition (rounds)")):
            r = g[g["measure"] == m]
            if r.empty:
                row[label] = trends.NOT_RECORDED_TEXT
            else:
                r = r.iloc[0]
                row[label] = trends.comparison_text(r.current, r.previous, bool(r.covered), r.change_pct)
        rows.append(row)
    return pd.DataFrame(rows)


def shared_prefix_note(df: pd.DataFrame, column: str, min_chars: int = 25) -> tuple[pd.DataFrame, str | None]:
    """``df`` with the text every row of ``column`` starts with taken out, and that text; or ``df``
    and None when the rows share less than ``min_chars`` characters.

    The shared part ends at a ``": "`` or ``"; "`` (so a word is never cut); when nothing is left
    in any row the column is dropped. A table cell cannot wrap: the note that no land border lies
    within reach, the same on every target, was cut at the page's edge and hid the nearest crossing.

    Examples
    --------
    >>> d = pd.DataFrame({"c": ["no land border within reach; nearest: A, 9 km",
    ...                         "no land border within reach; nearest: B, 12 km"]})
    >>> out, note = shared_prefix_note(d, "c")
    >>> note, out["c"].tolist()
    ('no land border within reach; nearest', ['A, 9 km', 'B, 12 km'])
    """
    if column not in df or df.empty:
        return df, None
    vals = df[column].astype(str).tolist()
    common = os.path.commonprefix(vals)
    cut = max(common.rfind(": "), common.rfind("; "))
    if len(set(vals)) == 1:
        cut = len(common)
    if cut < min_chars:
        return df, None
    rest = [v[cut:].lstrip(":; ").strip() for v in vals]
    note = common[:cut].rstrip(":; ")
    if not any(rest):
        return df.drop(columns=column), note
    return df.assign(**{column: [r or "-" for r in rest]}), note
