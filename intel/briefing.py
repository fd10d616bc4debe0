"""Briefing pack: a PDF for managers, rendered on the server with matplotlib (offline, no
browser), and a PNG of every figure.

Overview
--------
:func:`make_briefing` reads the store through the same analysis functions as the pages
(:mod:`intel.trends`, :mod:`intel.hexbin`, :func:`intel.hotspots.hotspots_from_store`) and
draws landscape A4 pages with matplotlib's ``PdfPages``:

1. **Summary** - period, as-of dates, the "more or less than last year" sentences, and the KPI
   table (:func:`intel.trends.kpis`: last 28 days or last month, year to date, year over year).
2. **Map** - a static map drawn from the same data as the Explore map, over the web map's
   geography (:func:`intel.render.paper.draw_basemap`: land, lakes, admin-1 lines, borders and
   place names from the same bundled files), H3 cells at the map resolution (coloured by events with the
   same quantile classes as :mod:`intel.render.palettes`), records too coarse for that resolution as
   hollow circles at their place, and Gi* hot spots (95 % and 99 %) outlined.
3. **Trends** - events per month by source, firearms and ammunition per month, and the
   year-over-year change by unit (where the change happened).
4. **Hot spots and targets** - the top hot spot cells when they are computable (otherwise the
   sentence "not computable" and why) and the planner targets (:func:`intel.risk.plan`), each with the
   official crossing of its own border or the note that none is known there.
5. **Country context** - UNODC arms seized for the KAFO and Trigger countries, with the gaps
   shown as gaps.
6. **Methods and provenance** - definitions, sources, batches, licences and the plain
   statement of what the data cannot show.

Every page carries the marking line at its top and bottom: the classification line (setting
``marking``, empty by default, e.g. ``RESTRICTED``, or the text given) and, after ``//``, the most restrictive
releasability of the records the briefing holds (:func:`marking_line`), so a briefing of
``NOFORN`` records says ``NOFORN`` whatever the text box says. Text that comes from records (place names, units, categories) is drawn as plain text:
TeX is off and ``$`` is escaped, so mathtext never parses it. Periods are half-open
``[date_from, date_to)`` of UTC days.

The result (:class:`Briefing`) holds the PDF and the PNGs as bytes; :meth:`Briefing.write`
puts ``NAME.pdf`` and ``NAME_<figure>.png`` side by side, :meth:`Briefing.png_zip` gives a zip.
"""
from __future__ import annotations

import io
import os
import textwrap
import zipfile
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import h3
import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from intel import auth, h3cells, hexbin, hotspots, risk, settings, store, trends
from intel.borders.crossings import crossing_text
from intel.h3cells import parent_sql
from intel.hexbin import Filters
from intel.render import palettes, paper


PAGE_SIZE = (11.69, 8.27)
"""A4 landscape, inches."""

DPI_PNG = 130
"""Resolution of the PNG copies, dots per inch."""

MARK_COLOUR = "#b00020"

GAP_STATEMENT = ("The bundled data is a North American case study (Toronto firearm-discharge incidents, U.S. CBP "
                 "weapons and ammunition seizures by area of responsibility, ATF trace flows), three Latin American "
                 "registers (Colombian National Police seizures of Q1 2019 by municipality and day, Ecuador's 2023 "
                 "seizures by province, Rio de Janeiro's monthly seizures per precinct area) and worldwide UNODC "
                 "country statistics. No municipality-level seizure register was found for West Africa: KAFO "
                 "countries appear through UNODC statistics and through records an analyst imports.")


def plain(text) -> str:
    """Record text made safe for matplotlib: ``$`` escaped so mathtext never parses it."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    return str(text).replace("$", r"\$")


@dataclass
class Briefing:
    """A rendered briefing pack.

    Attributes
    ----------
    pdf : bytes
        The PDF.
    pngs : dict of str to bytes
        One PNG per figure (page), keyed by figure name (``summary``, ``map``, ...).
    pages : int
        Number of PDF pages.
    marking : str
        The marking line printed on every page.
    notes : list of str
        Plain sentences on what could not be shown (e.g. hot spots not computable).
    kpis : pandas.DataFrame
        The :func:`intel.trends.kpis` table used.
    hotspots : pandas.DataFrame or None
        The top hot spot cells shown, or None.
    snapshot : str
        The store snapshot it was made from (:func:`intel.store.snapshot_label`: ``DuckLake
        snapshot 12``, reproduced by ``intel briefing --as-of 12``, or ``embedded store, no
        snapshots``), printed on the methods and provenance page.
    """

    pdf: bytes
    pngs: dict[str, bytes]
    pages: int
    marking: str
    notes: list[str] = field(default_factory=list)
    kpis: pd.DataFrame | None = None
    hotspots: pd.DataFrame | None = None
    snapshot: str = ""

    def write(self, pdf_path: str | Path) -> list[Path]:
        """Write the PDF and, next to it, ``<stem>_<figure>.png`` for every figure.

        Returns
        -------
        list of Path
            The PDF first, then the PNGs.
        """
        pdf_path = Path(pdf_path)
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        pdf_path.write_bytes(self.pdf)
        out = [pdf_path]
        for name, data in self.pngs.items():
            p = pdf_path.with_name(f"{pdf_path.stem}_{name}.png")
            p.write_bytes(data)
            out.append(p)
        return out

    def png_zip(self) -> bytes:
        """A zip of the PNGs (``<n>_<figure>.png``)."""
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for i, (name, data) in enumerate(self.pngs.items(), 1):
                z.writestr(f"{i:02d}_{name}.png", data)
        return buf.getvalue()


# --------------------------------------------------------------------------------------
# drawing helpers
# --------------------------------------------------------------------------------------

def _figure():
    return Figure(figsize=PAGE_SIZE)


def _frame(fig, marking: str, title: str, page: int, pages: int, stamp: str) -> None:
    """Marking line at top and bottom, page title, page number and generation stamp."""
    m = plain(marking)
    kw = dict(ha="center", fontsize=12, fontweight="bold", color=MARK_COLOUR)
    fig.text(0.5, 0.975, m, va="top", **kw)
    fig.text(0.5, 0.012, m, va="bottom", **kw)
    fig.text(0.04, 0.935, plain(title), fontsize=16, fontweight="bold", va="top")
    fig.text(0.96, 0.012, f"page {page} of {pages}", ha="right", va="bottom", fontsize=8, color="#444")
    fig.text(0.04, 0.012, f"generated {stamp}", ha="left", va="bottom", fontsize=8, color="#444")


def _text_block(ax, lines: list[str], fontsize: float = 9.5, top: float = 1.0, step: float | None = None) -> float:
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


def _table(ax, df: pd.DataFrame, fontsize: float = 8, col_widths=None, title: str | None = None,
           row_scale: float = 1.25) -> None:
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


def _fmt(v, pct: bool = False) -> str:
    if v is None or pd.isna(v):
        return "n/a"
    return f"{v:+.1f} %" if pct else f"{v:,.0f}"


def kpi_display(k: pd.DataFrame) -> pd.DataFrame:
    """The KPI table as printed: one row per source and comparison.

    Returns
    -------
    pandas.DataFrame
        Columns ``Source``, ``Comparison``, ``Current [from, to)``, ``Previous [from, to)``,
        ``Events``, ``Firearms``, ``Ammunition (rounds)``; each measure as
        ``"current vs previous (change %)"`` or ``"not recorded"``.
    """
    rows = []
    for (src, comp), g in k.groupby(["source", "comparison"], sort=False):
        r0 = g.iloc[0]
        row = {"Source": src, "Comparison": comp,
               "Current [from, to)": f"{r0.current_from.date()} - {r0.current_to.date()}",
               "Previous [from, to)": f"{r0.previous_from.date()} - {r0.previous_to.date()}"}
        for m, label in (("events", "Events"), ("firearms", "Firearms"), ("ammunition", "Ammunition (rounds)")):
            r = g[g["measure"] == m]
            if r.empty or pd.isna(r.iloc[0]["current"]):
                row[label] = "not recorded"
            else:
                r = r.iloc[0]
                row[label] = f"{_fmt(r.current)} vs {_fmt(r.previous)} ({_fmt(r.change_pct, True)})"
        rows.append(row)
    return pd.DataFrame(rows)


def _cell_polys(hexes) -> list[np.ndarray]:
    # h3 returns (lat, lng); matplotlib wants (x=lon, y=lat)
    return [np.array([(lng, lat) for lat, lng in h3.cell_to_boundary(h)]) for h in hexes]


def _draw_base(ax, bounds, places: int = 10) -> None:
    """The web map's geography (land, lakes, admin-1 lines, borders, place names) framed on
    ``bounds``: :func:`intel.render.paper.draw_basemap`."""
    paper.draw_basemap(ax, bounds, places=places)
    ax.tick_params(labelsize=7)
    ax.set_xlabel("longitude (degrees)", fontsize=7)
    ax.set_ylabel("latitude (degrees)", fontsize=7)


def _bounds(lon, lat, pad_frac: float = 0.08, min_span: float = 0.2, q: float = 0.0) -> tuple:
    lon = np.asarray(lon, float)
    lat = np.asarray(lat, float)
    if q > 0 and lon.size > 20:
        w, e = np.quantile(lon, [q, 1 - q])
        s, n = np.quantile(lat, [q, 1 - q])
    else:
        w, e, s, n = lon.min(), lon.max(), lat.min(), lat.max()
    span_x = max(e - w, min_span)
    span_y = max(n - s, min_span)
    cx, cy = (w + e) / 2, (s + n) / 2
    return (max(cx - span_x / 2 * (1 + pad_frac * 2), -180), max(cy - span_y / 2 * (1 + pad_frac * 2), -85),
            min(cx + span_x / 2 * (1 + pad_frac * 2), 180), min(cy + span_y / 2 * (1 + pad_frac * 2), 85))


# --------------------------------------------------------------------------------------
# pages
# --------------------------------------------------------------------------------------

def _page_summary(fig, ctx) -> None:
    ax = fig.add_axes([0.04, 0.47, 0.92, 0.42])
    lines = [f"## Period [{ctx['period'][0]}, {ctx['period'][1]}) (UTC days, end exclusive); sources: {ctx['sources_text']}"]
    lines.append("KPI 'as of' dates are the latest date in each source's filtered data, not today's date.")
    lines.append("## More or less than last year?")
    lines += ctx["headline"] or ["No dated records in this selection."]
    if ctx["where"]:
        lines.append("## Where")
        lines += ctx["where"]
    for n in ctx["precision_notes"]:
        lines.append(n)
    y = _text_block(ax, lines, fontsize=8.5, step=0.043)
    # the table starts below the last line of text, however many sources the headline lists
    top = min(0.45, 0.47 + 0.42 * y - 0.035)
    ax2 = fig.add_axes([0.04, 0.05, 0.92, max(0.2, top - 0.05)])
    kd = kpi_display(ctx["kpis"]) if len(ctx["kpis"]) else pd.DataFrame()
    _table(ax2, kd, fontsize=7, title="Key figures: current period vs previous period (change in %)")


def _page_map(fig, ctx) -> None:
    cells, coarse, hot = ctx["cells"], ctx["coarse"], ctx["hot_cells"]
    res = ctx["map_res"]
    ax1 = fig.add_axes([0.05, 0.1, 0.42, 0.76])
    ax2 = fig.add_axes([0.52, 0.1, 0.33, 0.76])
    lon_all, lat_all = [], []
    if len(cells):
        cen = np.array([h3.cell_to_latlng(h) for h in cells["h3"]])
        lat_all += list(cen[:, 0])
        lon_all += list(cen[:, 1])
    if len(coarse):
        ok = coarse["latitude"].notna()
        lat_all += list(coarse.loc[ok, "latitude"])
        lon_all += list(coarse.loc[ok, "longitude"])
    breaks = palettes.class_breaks(cells["events"].to_numpy()) if len(cells) else [1.0]
    if not lon_all:
        for ax in (ax1, ax2):
            _draw_base(ax, (-170, -60, 180, 80))
        ax1.set_title("No located records in this selection", fontsize=10)
        return
    # overview: everything located
    b1 = _bounds(lon_all, lat_all, min_span=2.0)
    _draw_base(ax1, b1)
    ax1.set_title(f"Overview: H3 cells (res {res}) and coarse places", fontsize=10)
    if len(coarse):
        sz = 20 + 180 * np.sqrt(coarse["events"].to_numpy() / max(coarse["events"].max(), 1))
        ax1.scatter(coarse["longitude"], coarse["latitude"], s=sz, facecolors=(0.24, 0.24, 0.63, 0.15),
                    edgecolors=(0.12, 0.12, 0.47), linewidths=1.2, zorder=3,
                    label=f"{len(coarse)} places too coarse for res {res} (size = events)")
    if len(cells):
        cols = np.array(palettes.colour_for(cells["events"].to_numpy(), breaks)) / 255.0
        polys = _cell_polys(cells["h3"])
        ax1.add_collection(PolyCollection(polys, facecolors=cols, edgecolors="none", zorder=4))
        # detail: the finely located cells (5-95 % of their centroids, so one outlier does not zoom out)
        b2 = _bounds(cen[:, 1], cen[:, 0], q=0.02, min_span=0.05)
        _draw_base(ax2, b2)
        ax2.add_collection(PolyCollection(polys, facecolors=cols, edgecolors=(0.3, 0.3, 0.3, 0.4), linewidths=0.2,
                                          zorder=4))
        ax2.set_title(f"Detail: events per H3 cell at resolution {res} (edge {h3cells.edge_km(res):.1f} km)",
                      fontsize=10)
        if hot is not None and len(hot):
            hp = _cell_polys(hot["h3"])
            ax2.add_collection(PolyCollection(hp, facecolors="none", edgecolors="black", linewidths=1.0, zorder=5))
        handles = [Patch(facecolor=np.array(c) / 255.0, label=plain(t)) for c, t in palettes.legend(breaks, "events")]
        if hot is not None and len(hot):
            handles.append(Patch(facecolor="none", edgecolor="black",
                                 label=f"Gi* hot spot\n95-99 %, res {ctx['hotspot_res']}"))
        ax2.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), framealpha=0.9)
        ax1.add_patch(Rectangle((b2[0], b2[1]), b2[2] - b2[0], b2[3] - b2[1], fill=False, edgecolor="black",
                                linewidth=1.2, zorder=6))
        ax1.annotate("detail", (b2[0], b2[3]), fontsize=7, xytext=(0, 3), textcoords="offset points")
    else:
        _draw_base(ax2, b1)
        ax2.text(0.5, 0.5, plain(f"No record is located finely enough for resolution {res} "
                                 f"(edge {h3cells.edge_km(res):.1f} km) in this selection:\nthis is not evidence of absence."),
                 ha="center", va="center", fontsize=9, transform=ax2.transAxes,
                 bbox=dict(facecolor="white", alpha=0.9))
    if len(coarse):
        ax1.legend(fontsize=7, loc="lower left", framealpha=0.9)
    fig.text(0.05, 0.055, plain(ctx["map_note"]), fontsize=8, va="top")


def _date_axis(ax) -> None:
    """Date ticks that name each tick once (years, then months within a year: matplotlib's concise
    formatter); a year-only format repeated the year on every tick of a short series."""
    loc = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))


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


def _lines(text: str, width: int, most: int) -> str:
    """``text`` wrapped to ``width`` characters, at most ``most`` lines, the last ending in an
    ellipsis when the text goes on."""
    w = textwrap.wrap(text, width)
    if len(w) > most:
        w = w[:most]
        w[-1] = w[-1].rstrip(" .,;") + " ... (in full on the Planner page)"
    return "\n".join(w)


def _page_trends(fig, ctx) -> None:
    s = ctx["series"]
    srcs = list(dict.fromkeys(s["group"])) if len(s) else []
    n = max(len(srcs), 1)
    top = 0.86
    gap = 0.06
    h = (0.36 - gap * (n - 1)) / n
    for i, src in enumerate(srcs):
        ax = fig.add_axes([0.06, top - (i + 1) * h - i * gap, 0.42, h])
        d = s[s["group"] == src]
        ax.plot(d["period"], d["events"], color="#3465a4", lw=1)
        ax.set_title(plain(f"{src}: events per month"), fontsize=9, loc="left")
        ax.tick_params(labelsize=7)
        _date_axis(ax)
        ax.grid(alpha=0.3)
    if not srcs:
        ax = fig.add_axes([0.06, 0.5, 0.42, 0.36])
        ax.set_axis_off()
        ax.text(0, 0.5, "No dated records in this selection.", fontsize=10)
    # firearms and ammunition where recorded
    axf = fig.add_axes([0.56, 0.55, 0.40, 0.31])
    any_f = False
    for src in srcs:
        d = s[s["group"] == src]
        if d["firearms"].notna().any():
            axf.plot(d["period"], d["firearms"], lw=1, label=plain(f"{src}: firearms"))
            any_f = True
    axa = axf.twinx()
    for src in srcs:
        d = s[s["group"] == src]
        if d["ammunition"].notna().any():
            axa.plot(d["period"], d["ammunition"] / 1000.0, lw=1, ls="--", color="#8f5902",
                     label=plain(f"{src}: ammunition (thousand rounds)"))
    axf.set_title("Firearms and ammunition per month (where the source records them)", fontsize=9, loc="left")
    axf.tick_params(labelsize=7)
    axa.tick_params(labelsize=7)
    axf.set_ylabel("firearms", fontsize=7)
    axa.set_ylabel("thousand rounds", fontsize=7)
    if any_f:
        h1, l1 = axf.get_legend_handles_labels()
        h2, l2 = axa.get_legend_handles_labels()
        axf.legend(h1 + h2, l1 + l2, fontsize=7, loc="upper left")
    else:
        axf.text(0.5, 0.5, "No source in this selection records firearm counts.", ha="center",
                 transform=axf.transAxes, fontsize=8)
    _date_axis(axf)
    # where: year-over-year change by unit, per source
    # a source without units (every row "(not recorded)") has no "where" to draw
    wb = {src: d[d["group"].astype(str) != "(not recorded)"] for src, d in (ctx["where_tables"] or {}).items()}
    wb = {src: d for src, d in wb.items() if len(d)}
    y0 = 0.13   # the bars' axis label (two lines) stays above the footer's marking line
    axw = fig.add_axes([0.06, y0, 0.9, 0.31])
    axw.set_axis_off()
    if not wb:
        axw.text(0, 0.9, "No comparison by unit is available for this selection.", fontsize=9)
        return
    k = len(wb)
    for i, (src, d) in enumerate(wb.items()):
        ax = fig.add_axes([0.06 + i * (0.9 / k) + 0.1, y0, 0.9 / k - 0.14, 0.29])
        d = d.head(8).iloc[::-1]
        colours = ["#cc0000" if c > 0 else "#3465a4" for c in d["change"]]
        ax.barh([plain(g) for g in d["group"]], d["change"], color=colours)
        ax.axvline(0, color="black", lw=0.6)
        width_chars = max(18, int(110 * (0.9 / k - 0.14)))
        ax.set_title(plain("\n".join(textwrap.wrap(f"{src}: change in events by unit, year over year", width_chars))),
                     fontsize=8.5 if k <= 2 else 7.5, loc="left")
        ax.tick_params(labelsize=7)
        ax.set_xlabel("\n".join(textwrap.wrap("events, last 12 months minus the 12 before (red = more)", width_chars)),
                      fontsize=7)


def _page_hotspots(fig, ctx) -> None:
    ax = fig.add_axes([0.04, 0.5, 0.92, 0.38])
    hs = ctx["hotspots"]
    if hs is None or hs.empty:
        _text_block(ax, [f"## Top hot spots (Gi*, resolution {ctx['hotspot_res']})", ctx["hotspot_msg"]])
    else:
        ax.set_axis_off()
        _table(ax, hs, fontsize=7.5, col_widths=[0.04, 0.11, 0.27, 0.07, 0.08, 0.06, 0.05, 0.07, 0.2], title=f"Top hot spots: Getis-Ord Gi* at H3 resolution {ctx['hotspot_res']}, "
                                           f"k = {ctx['hotspot_k']}, FDR-corrected; period as above")
        fig.text(0.04, 0.47, plain("\n".join(textwrap.wrap(ctx["hotspot_msg"], 200)[:4])), fontsize=7.5, va="top")
    ax2 = fig.add_axes([0.04, 0.1, 0.92, 0.26])
    tg = ctx["targets"]
    if tg is None or tg.empty:
        _text_block(ax2, ["## Targets (planner)", ctx["targets_msg"]])
    else:
        tg, note = shared_prefix_note(tg, "official crossing")
        widths = [0.04, 0.11, 0.22, 0.06, 0.07, 0.05, 0.06, 0.05, 0.34][:len(tg.columns)]
        _table(ax2, tg, fontsize=7, col_widths=[w / sum(widths) for w in widths],
               title="Targets proposed by the planner (top 10)")
        msg = (f"Official crossing, every target: {note}. " if note else "") + ctx["targets_msg"]
        fig.text(0.04, 0.078, plain(_lines(msg, 210, 3)), fontsize=6.5, va="top")


def _page_country(fig, ctx) -> None:
    cov = ctx["coverage"]
    ax = fig.add_axes([0.04, 0.45, 0.52, 0.44])
    show = cov.copy()
    if len(show):
        for c in ("first_year", "last_year"):
            show[c] = show[c].map(lambda v: "-" if pd.isna(v) else str(int(v)))
        show["latest_value"] = show["latest_value"].map(lambda v: "no report" if pd.isna(v) else f"{v:,.0f}")
        show["country"] = show["country"].map(lambda v: str(v)[:22])
        show = show[["group", "iso3", "country", "years_reported", "first_year", "last_year", "latest_value", "note"]]
        show.columns = ["group", "iso3", "country", "years", "first", "last", "latest", "note"]
    _table(ax, show, fontsize=6, col_widths=[0.07, 0.05, 0.22, 0.06, 0.06, 0.06, 0.08, 0.4], row_scale=1.0,
           title="UNODC arms seized: which countries report, and when")
    gt = ctx["group_totals"]
    axg = fig.add_axes([0.62, 0.5, 0.34, 0.36])
    for name, d in gt.groupby("group", sort=False):
        axg.plot(d["year"], d["arms_seized"], marker="o", lw=1, label=plain(f"{name} (sum over reporting countries)"))
        for r in d.itertuples():
            if pd.notna(r.arms_seized):
                axg.annotate(f"{r.countries_reported}/{r.countries}", (r.year, r.arms_seized), fontsize=5.5,
                             xytext=(0, 4), textcoords="offset points", ha="center")
    axg.set_title("Arms seized per year; label = countries reporting / in group", fontsize=8.5, loc="left")
    axg.tick_params(labelsize=7)
    axg.xaxis.get_major_locator().set_params(integer=True)
    axg.legend(fontsize=7)
    axg.grid(alpha=0.3)
    loc = ctx["kafo_context"]
    ax3 = fig.add_axes([0.04, 0.1, 0.92, 0.3])
    if len(loc):
        labels = {"arms_seized": "arms seized (total)", "land_border": "at land borders", "airport": "at airports",
                  "harbour": "at harbours", "national_territory": "in national territory"}
        years = sorted(loc["year"].unique())
        rows = []
        for iso in dict.fromkeys(loc["iso3"]):
            d = loc[loc["iso3"] == iso].set_index("year")
            for col, lab in labels.items():
                rows.append({"country": iso, "indicator": lab,
                             **{str(y): ("-" if pd.isna(d.at[y, col]) else f"{d.at[y, col]:,.0f}") for y in years}})
        t = pd.DataFrame(rows)
        w = 0.62 / max(len(years), 1)
        _table(ax3, t, fontsize=6.5, col_widths=[0.06, 0.14] + [w] * len(years), row_scale=1.0,
               title="KAFO countries: arms seized, total and by location, per year ('-' = not reported, never zero)")
    fig.text(0.04, 0.038, plain(f"Source: {trends.UNODC_CITATION}. Trigger list is an editable default "
                               f"({', '.join(ctx['trigger'])})."), fontsize=7)


def _page_methods(fig, ctx) -> None:
    ax = fig.add_axes([0.04, 0.42, 0.92, 0.48])
    lines = [
        "## Definitions",
        "Events = distinct incidents (source and incident key: two agencies never share one); firearms = sum of firearms; ammunition = sum of "
        "rounds. Accepted records only; quarantined rows never enter a figure.",
        "Periods are half-open [from, to) of UTC calendar days. The 'as of' date of each KPI is the latest date in that "
        "source's filtered data, not today's date.",
        "Comparisons: last 28 days against the 28 days before; year to date against the same days a year before; "
        "the 12 months up to the as-of date against the 12 months before. Sources dated only to the month (CBP: first "
        "of the month) are compared on whole months ('last month' replaces the 28-day window, which would be misleading).",
        f"Map: H3 cells at resolution {ctx['map_res']} are the parents of the stored resolution-9 cells; records "
        f"located more coarsely than the cell size are drawn as hollow circles at their place, not as cells. Basemap: "
        "Natural Earth 1:10m generalised (public domain).",
        "Hot spots: Getis-Ord Gi* on H3 cells over the land of the places with records (per country and region cluster, never across an ocean) including empty cells, binary k-ring weights, "
        "p-values by conditional permutation (Anselin 1995; the method line on the hot spot page names the number "
        "of permutations) with Benjamini-Hochberg false discovery rate correction (Getis & Ord 1992; Ord & Getis 1995).",
        "## What the data cannot show",
        GAP_STATEMENT,
        f"Country statistics: {trends.UNODC_CITATION}. Gaps are years a country did not report; Mali does not "
        "report in this source.",
    ]
    _text_block(ax, lines, fontsize=8.5, step=0.045)
    # heading and snapshot line are the table's title, so they can never run into the table's header
    read_from = (f"Sources and batches in the store. Read from: {ctx.get('snapshot') or store.EMBEDDED_SNAPSHOT}"
                 + (f" (reproduce with intel briefing --as-of {ctx['snapshot'].split()[-1]})."
                    if str(ctx.get('snapshot', '')).startswith("DuckLake") else "."))
    ax2 = fig.add_axes([0.04, 0.06, 0.92, 0.32])
    _table(ax2, provenance_display(ctx["provenance"]), fontsize=6.5, title=read_from)


# --------------------------------------------------------------------------------------
# the pack
# --------------------------------------------------------------------------------------

def _hotspot_table(con, filters: Filters, res: int, k: int, n: int = 10):
    try:
        df, g = hotspots.hotspots_from_store(con, res, k, "events", fdr=bool(settings.get("fdr", con)),
                                             alpha=float(settings.get("significance", con)), filters=filters,
                                             method=settings.get("hotspot_method", con),
                                             permutations=int(settings.get("hotspot_permutations", con)))
    except Exception as e:  # noqa: BLE001 - any failure is reported as a sentence in the PDF
        return None, None, f"Hot spots: not computable for this selection. {e}"
    hot = df[df["bin"] >= 2]
    msg = " ".join([g.method_text] + g.messages)
    if g.unreliable:
        msg = "Read as description only. " + msg
    if hot.empty:
        return None, hot, "No cell is a hot spot at 95 % confidence or more. " + msg
    top = hot.head(n).copy()
    cells = [int(c) for c in top["cell"]]
    where, params = filters.where("e")
    ph = ", ".join("?" for _ in cells)
    names = con.execute(
        f"""SELECT cell, mode(location_name) AS place FROM (
               SELECT {parent_sql('e.h3_cell', res)} AS cell, e.location_name FROM events e
               WHERE {where} AND e.h3_cell IS NOT NULL) WHERE cell IN ({ph}) GROUP BY cell""",
        params + cells).df()
    names = dict(zip(names["cell"].astype("uint64"), names["place"]))
    ll = [h3.cell_to_latlng(h) for h in top["h3"]]
    out = pd.DataFrame({
        "rank": range(1, len(top) + 1), "H3 cell": top["h3"], "place (most frequent)": [names.get(np.uint64(c), "") for c in cells],
        "lat": [f"{a:.4f}" for a, _ in ll], "lon": [f"{b:.4f}" for _, b in ll],
        "events": top["value"].map(lambda v: f"{v:,.0f}"), "z": top["z"].map(lambda v: f"{v:.2f}"),
        "p (FDR)": top["p_fdr"].map(lambda v: f"{v:.1e}"), "confidence": top["confidence"].astype(str)})
    return out, hot, msg


def _targets(con, filters: Filters, res: int):
    """Top targets from the planner (:func:`intel.risk.plan`), or a sentence saying why there are none."""
    try:
        p = risk.plan(con, res, None, (filters.date_from, filters.date_to))
        t = p.targets.head(10)
        out = pd.DataFrame({
            "rank": t["rank"], "H3 cell": t["h3"], "nearest town": t.get("nearest_town", ""),
            "lat": t["latitude"].map(lambda v: f"{v:.4f}"), "lon": t["longitude"].map(lambda v: f"{v:.4f}"),
            "score": t["score"].map(lambda v: f"{v:.2f}"), "events": t["events"].map(lambda v: f"{v:,.0f}"),
            "Gi* bin": t.get("gi_bin", ""),
            # the crossing of the cell's own border, or the note that none is known there (crossing_on_border)
            "official crossing": [crossing_text(a, b, c) for a, b, c in
                                  zip(t["nearest_crossing"], t["crossing_km"], t["crossing_note"])]})
        note = (f"Planner (intel.risk) at H3 resolution {res} over the land of the places with records and the briefing period; "
                "scores and their parts are explained on the Planner page. " + " ".join(p.notes))
        return out, note
    except Exception as e:  # noqa: BLE001 - not computable is a sentence, not a crash
        return None, f"Targets: not computable for this selection. {e}"


def marking_line(classification, data_marking: str) -> str:
    """The marking line of a PDF: the given classification line (text box, setting ``marking`` or
    ``--marking``), then ``//`` and the releasability of the records the document holds
    (:func:`intel.auth.export_marking`), which the classification line can never replace.

    Parameters
    ----------
    classification : str or None
        E.g. ``'RESTRICTED'``; empty or ``None`` for none.
    data_marking : str
        E.g. ``'REL TO BFA, CIV, MLI'`` or ``'NOFORN'``.

    Returns
    -------
    str
        ``'RESTRICTED // NOFORN'``, or ``data_marking`` alone without a classification.
    """
    c = str(classification or "").strip()
    return f"{c} // {data_marking}" if c else data_marking


def make_briefing(con, date_from: str | None = None, date_to: str | None = None, *, marking: str | None = None,
                  sources=(), filters: Filters | None = None, map_res: int | None = None,
                  hotspot_res: int | None = None, with_hotspots: bool = True,
                  trigger=trends.TRIGGER_DEFAULT, kafo=trends.KAFO,
                  title: str = "Firearms-trafficking briefing") -> Briefing:
    """Render the briefing pack from the store.

    Parameters
    ----------
    con : DuckDB connection to the store (read-only is enough).
    date_from, date_to : str, optional
        Half-open period [date_from, date_to) of UTC days (ISO dates); default: all data.
        They override the dates of ``filters``.
    marking : str, optional
        Classification line on every page; default the setting ``marking`` (empty by default: the
        records' releasability alone, e.g. 'UNRESTRICTED (public sources)').
        The line printed is :func:`marking_line`: this, then the releasability of the records
        the briefing holds (the events ``con`` sees under ``filters``).
    sources : sequence of str
        Restrict to these sources (empty: all); added to ``filters``.
    filters : intel.hexbin.Filters, optional
        Further record filters (kind, category, country, border zone), as on the pages.
    map_res : int, optional
        H3 resolution of the map; default the setting ``map_resolution``.
    hotspot_res : int, optional
        H3 resolution of the Gi* hot spots; default the setting ``hotspot_resolution``.
    with_hotspots : bool
        Compute hot spots (about a second on the bundled data).
    trigger, kafo : sequence of str
        ISO3 country lists for the country context page.

    Returns
    -------
    Briefing
        PDF bytes, one PNG per page, and notes on what could not be shown.
    """
    filters = filters or Filters()
    if sources:
        filters = replace(filters, sources=tuple(sources))
    if date_from is not None or date_to is not None:
        filters = replace(filters, date_from=date_from or filters.date_from, date_to=date_to or filters.date_to)
    marking = marking_line(marking if marking is not None else settings.get("marking", con),
                           auth.export_marking(con, filters))
    map_res = int(map_res if map_res is not None else settings.get("map_resolution", con))
    hotspot_res = int(hotspot_res if hotspot_res is not None else settings.get("hotspot_resolution", con))
    hotspot_k = int(settings.get("hotspot_k", con))
    lo, hi = trends.data_period(con, filters)
    period = (filters.date_from or lo or "-", filters.date_to or hi or "-")
    notes: list[str] = []
    snapshot = store.snapshot_label(con)

    prec = trends.date_precision(con, filters)
    k = trends.kpis(con, filters)
    headline = trends.headline(k, "year over year", "events")
    headline += [h for h in trends.headline(k, "year over year", "firearms") if "does not record" not in h]
    where_tables, where_lines = {}, []
    for src in prec["source"] if len(prec) else []:
        try:
            d = trends.kpi_breakdown(con, "unit", "year over year", "events", filters, source=src)
        except Exception:  # noqa: BLE001
            continue
        if len(d):
            where_tables[src] = d
            up = d[d["change"] > 0].head(3)
            down = d[d["change"] < 0].head(3)
            parts = []
            if len(up):
                parts.append("largest rises " + ", ".join(f"{g} ({c:+,.0f})" for g, c in zip(up["group"], up["change"])))
            if len(down):
                parts.append("largest falls " + ", ".join(f"{g} ({c:+,.0f})" for g, c in zip(down["group"], down["change"])))
            if parts:
                where_lines.append(f"{src}, events by unit, year over year: " + "; ".join(parts) + ".")
    precision_notes = [f"{r.source}: dates are {r.date_precision}s only; compared on whole months, no 28-day figure."
                       for r in prec.itertuples() if r.date_precision != "day"]

    cells = hexbin.aggregate(con, map_res, filters)
    coarse = hexbin.left_out(con, map_res, filters)
    hs_table, hot_cells, hs_msg = (None, None, "Hot spots were not requested.")
    if with_hotspots:
        hs_table, hot_cells, hs_msg = _hotspot_table(con, filters, hotspot_res, hotspot_k)
        if hs_table is None:
            notes.append(hs_msg)
    targets, targets_msg = _targets(con, filters, hotspot_res)
    if targets is None:
        notes.append(targets_msg)
    n_coarse = int(coarse["records"].sum()) if len(coarse) else 0
    map_note = (f"{int(cells['events'].sum()) if len(cells) else 0:,} events in {len(cells):,} cells at resolution {map_res}; "
                f"{n_coarse:,} records located only to town, admin-1 or country precision are shown as hollow circles "
                "(never as cells).")
    cov = []
    for name, codes in (("KAFO", kafo), ("Trigger", trigger)):
        c = trends.country_coverage(con, codes)
        c.insert(0, "group", name)
        cov.append(c)
    prov = con.execute("""SELECT b.source, b.file_name, substr(b.sha256, 1, 12) AS sha256_12,
                                 strftime(b.imported_at, '%Y-%m-%d') AS imported, b.rows_read, b.rows_accepted,
                                 b.rows_quarantined, b.rows_rejected
                          FROM batches b ORDER BY b.batch_id""").df()
    pe = prec[["source", "date_precision", "first_date", "last_date", "events"]].copy() if len(prec) else pd.DataFrame()
    if len(pe):
        pe["first_date"] = pe["first_date"].dt.date.astype(str)
        pe["last_date"] = pe["last_date"].dt.date.astype(str)
        prov = prov.merge(pe, on="source", how="left") if len(prov) else pe
    ctx = dict(period=period, sources_text=", ".join(filters.sources) or "all", kpis=k, headline=headline,
               where=where_lines, precision_notes=precision_notes, cells=cells, coarse=coarse, map_res=map_res,
               hot_cells=hot_cells, hotspot_res=hotspot_res, hotspot_k=hotspot_k, map_note=map_note,
               series=trends.series(con, "month", "source", filters), where_tables=where_tables,
               hotspots=hs_table, hotspot_msg=hs_msg, targets=targets, targets_msg=targets_msg,
               coverage=pd.concat(cov, ignore_index=True),
               group_totals=trends.country_group_totals(con, {"KAFO": list(kafo), "Trigger": list(trigger)}),
               kafo_context=trends.country_context(con, kafo), trigger=list(trigger), provenance=prov.astype(object).fillna("-"),
               snapshot=snapshot)

    plan = [("summary", f"{title}: summary", _page_summary), ("map", "Map of the selection", _page_map),
            ("trends", "Trends and where the change happened", _page_trends),
            ("hotspots", "Hot spots and targets", _page_hotspots),
            ("country_context", "Country context (UNODC)", _page_country),
            ("methods", "Methods and provenance", _page_methods)]
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    pngs: dict[str, bytes] = {}
    buf = io.BytesIO()
    with matplotlib.rc_context({"text.usetex": False, "font.family": "DejaVu Sans", "pdf.fonttype": 42,
                                "axes.unicode_minus": False}):
        with PdfPages(buf, metadata={"Title": plain(title), "Subject": marking, "Creator": "intel.briefing",
                                     "Keywords": marking}) as pdf:
            for i, (name, page_title, draw) in enumerate(plan, 1):
                fig = _figure()
                try:
                    draw(fig, ctx)
                except Exception as e:  # noqa: BLE001 - a page that fails says so instead of breaking the pack
                    fig.clear()
                    ax = fig.add_axes([0.05, 0.1, 0.9, 0.75])
                    _text_block(ax, [f"This page could not be drawn: {e}"])
                    notes.append(f"{page_title}: could not be drawn ({e}).")
                _frame(fig, marking, page_title, i, len(plan), stamp)
                pdf.savefig(fig)
                png = io.BytesIO()
                fig.savefig(png, format="png", dpi=DPI_PNG)
                pngs[name] = png.getvalue()
    return Briefing(pdf=buf.getvalue(), pngs=pngs, pages=len(plan), marking=marking, notes=notes, kpis=k,
                    hotspots=hs_table, snapshot=snapshot)

