"""Target package: the planner's target list as CSV, GeoJSON and a PDF to take away.

Overview
--------
* :func:`to_csv` - the target table (:data:`intel.risk.TARGET_COLUMNS`), one row per target,
  cell ids as hex strings, distances in km.
* :func:`to_geojson` - a FeatureCollection of the target cells as polygons in
  **[longitude, latitude]** order (RFC 7946; ``h3.cell_to_boundary`` returns (lat, lng) and is
  converted here), with the table's columns as properties.
* :func:`to_pdf` - an A4 landscape PDF drawn with matplotlib (no network): page 1 a static map
  of the area over the web map's geography (:func:`intel.render.paper.draw_basemap`: Natural
  Earth land, lakes, admin-1 lines and borders, place names) with the target cells and their
  ranks in the Planner page's score classes and colours, with its legend (:func:`target_rgb`), labels placed clear of each other (:mod:`intel.render.labels`, leader lines when pushed
  away); then two tables drawn to fit the page: **where** (:data:`WHERE_COLUMNS`: latitude and
  longitude in decimal degrees, DMS and MGRS (:mod:`intel.gridref`), the evidence, the nearest
  town and the official crossing of the cell's own border, or the note saying none is known
  there) and **why** (:data:`WHY_COLUMNS`: the score and its parts). Column widths are measured
  from their text, headers are whole words wrapped at spaces, long names wrap, and the type
  shrinks (8.5 pt down to 4.5 pt) until the table fits the page width: nothing is cut. Then the method and the data provenance. The
  marking line (setting ``marking``) is printed at the top and bottom of every page.
* :func:`write` - one of the three by the file's extension (the CLI's ``--out``).

Coordinates are WGS84 degrees; distances geodesic km. This module never imports Streamlit.
"""
from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from intel import auth, settings
from intel.backtest import summary_sentence
from intel.briefing import marking_line
from intel.export import json_value
from intel.h3cells import cell_ring
from intel.hexbin import Filters
from intel.render.labels import place_labels
from intel.render.palettes import score_colour, score_legend
from intel.render.paper import draw_basemap, draw_place_labels
from intel.risk import COMPONENTS, TARGET_COLUMNS, Plan, method_text
from intel.safety import csv_bytes


FORMATS = ("csv", "geojson", "pdf")

def table(p: Plan) -> pd.DataFrame:
    """The export table: :data:`intel.risk.TARGET_COLUMNS` of the plan's targets."""
    return p.targets[[c for c in TARGET_COLUMNS if c in p.targets.columns]].copy()

def to_csv(p: Plan) -> bytes:
    """Target table as UTF-8 CSV."""
    return csv_bytes(table(p))

def to_geojson(p: Plan) -> bytes:
    """Target cells as a GeoJSON FeatureCollection (polygons, [longitude, latitude])."""
    feats = []
    for rec in table(p).to_dict(orient="records"):
        feats.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [cell_ring(rec["h3"])]},
                      "properties": {k: json_value(v) for k, v in rec.items()}})
    fc = {"type": "FeatureCollection", "features": feats,
          "properties": {"title": p.title(), "res": p.res, "period": list(p.period), "weights": p.weights,
                         "ranking": p.scores.attrs.get("ranking_choice")}}
    return json.dumps(fc, ensure_ascii=False).encode("utf-8")

def _extent(p: Plan) -> tuple[float, float, float, float]:
    if p.area is not None and p.area.kind == "bbox":
        w, s, e, n = p.area.bbox
    elif len(p.targets):
        lat, lon = p.targets["latitude"].to_numpy(float), p.targets["longitude"].to_numpy(float)
        w, e, s, n = lon.min(), lon.max(), lat.min(), lat.max()
    else:
        w, s, e, n = -180, -60, 180, 85
    dx, dy = max(e - w, 0.05), max(n - s, 0.05)
    return w - 0.15 * dx, s - 0.15 * dy, e + 0.15 * dx, n + 0.15 * dy

def _mark(fig, marking: str) -> None:
    if marking:
        fig.text(0.5, 0.975, marking, ha="center", va="top", fontsize=11, fontweight="bold", color="#a00000")
        fig.text(0.5, 0.015, marking, ha="center", va="bottom", fontsize=11, fontweight="bold", color="#a00000")

def _map_page(p: Plan, marking: str):
    import matplotlib.pyplot as plt
    from matplotlib.patches import Polygon as MplPolygon

    fig = plt.figure(figsize=(11.69, 8.27))
    _mark(fig, marking)
    ax = fig.add_axes([0.06, 0.1, 0.8, 0.78])   # the legend of the score classes on its right
    w, s, e, n = _extent(p)
    draw_basemap(ax, (w, s, e, n), places=0)  # the web map's geography; place names after the ranks
    scores = p.targets["score"].to_numpy(float) if len(p.targets) else np.zeros(0)
    # the Planner page's classes and colours (intel.render.hexagons.target_layers): six equal classes
    # of [0, top score] in YlOrRd, so a target is the same colour on the page and on paper
    top = max(float(scores.max()) if scores.size else 1.0, 1e-9)
    for rec in p.targets.itertuples():
        ring = cell_ring(rec.h3)
        colour = target_rgb(rec.score, top)
        ax.add_patch(MplPolygon(ring, closed=True, facecolor=colour, edgecolor="#400000", linewidth=0.8, alpha=0.9,
                                zorder=3))
        # a marker of a fixed size in the score colour: at a country's extent the cell is smaller than a dot
        ax.plot(rec.longitude, rec.latitude, "o", ms=2 * MARKER_PT, mfc=colour, mec="#400000", mew=0.8, zorder=4)
    ranks = _rank_labels(ax, fig, p.targets.sort_values("rank", kind="stable"))
    # place names keep clear of the targets and of their rank labels
    avoid = p.targets[["longitude", "latitude"]].to_numpy(float) if len(p.targets) else None
    draw_place_labels(ax, (w, s, e, n), max_labels=12, avoid=avoid, avoid_artists=ranks, zorder=4.5)
    if len(p.targets):
        handles = [MplPolygon([(0, 0), (1, 0), (1, 1)], closed=True, facecolor=tuple(v / 255 for v in rgb),
                              edgecolor="#400000", linewidth=0.6, label=text) for rgb, text in score_legend(top)]
        ax.legend(handles=handles, title="Target score", loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  fontsize=8, title_fontsize=9, frameon=False, handlelength=1.4)
    ax.set_xlabel("longitude (degrees)")
    ax.set_ylabel("latitude (degrees)")
    df, dt = p.period
    ax.set_title(f"{p.title()}\n{len(p.targets)} targets, H3 resolution {p.res}, period {df} to {dt} (half-open), "
                 f"minimum spacing {p.min_spacing_km:g} km", fontsize=11)
    return fig

def target_rgb(score: float, top: float) -> tuple[float, float, float]:
    """Matplotlib RGB (0-1) of a target's score: the class colour of the Planner page's map and legend
    (:func:`intel.render.palettes.score_colour`, six equal classes of ``[0, top]``)."""
    return tuple(v / 255 for v in score_colour(score, top)[:3])


MARKER_PT = 3.0
"""Radius of a target's marker on the PDF map, points (a disc in the score colour, dark edge)."""


def _rank_labels(ax, fig, t: pd.DataFrame, size: float = 9.0) -> list:
    """Rank labels placed clear of each other and of every point (:mod:`intel.render.labels`),
    in points (dpi-free); a label pushed away from its point gets a leader line. Returns the
    label artists."""
    if not len(t):
        return []
    ax.apply_aspect()
    xy = ax.transData.transform(np.column_stack([t["longitude"].to_numpy(float), t["latitude"].to_numpy(float)]))
    xy = xy * 72.0 / fig.dpi                                   # display pixels -> points
    labels = [str(r) for r in t["rank"]]
    wid = [_text_w(s, size, bold=True) + 5.0 for s in labels]  # + the box's padding
    # beside the markers, never on one: every marker's square kept clear, the first ring just outside it
    dx, dy, lead = place_labels(xy[:, 0], xy[:, 1], wid, size + 5.0, gap=MARKER_PT + 2.0, point_r=MARKER_PT + 0.5)
    out = []
    for (lon, lat), lab, ox, oy, ld in zip(zip(t["longitude"], t["latitude"]), labels, dx, dy, lead):
        out.append(ax.annotate(lab, (lon, lat), xytext=(ox, oy), textcoords="offset points", ha="center", va="center",
                    fontsize=size, fontweight="bold", zorder=5,
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="#400000", lw=0.5, alpha=0.9),
                    arrowprops=dict(arrowstyle="-", color="#400000", lw=0.6, shrinkA=0, shrinkB=2) if ld else None))
    return out


def _text_w(text: str, size: float, bold: bool = False) -> float:
    """Width of ``text`` (widest line) in points at ``size`` pt in matplotlib's default font."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    prop = FontProperties(size=size, weight="bold" if bold else "normal")
    ttp = TextToPath()
    return max((ttp.get_text_width_height_descent(line, prop, ismath=False)[0] for line in str(text).split("\n")),
               default=0.0)


def _wrap(text: str, chars: int | None) -> str:
    return "\n".join(textwrap.wrap(text, chars, break_long_words=False, break_on_hyphens=False) or [""]) if chars \
        else text


def _fmt(v, kind: str) -> str:
    if v is None or (isinstance(v, (float, np.floating)) and not np.isfinite(v)):
        return ""
    if isinstance(v, str):
        return v
    if kind == "int":
        return f"{int(v):,}"
    if kind == "deg":
        return f"{float(v):.5f}"
    if kind == "km":
        return f"{float(v):.1f}"
    if kind == "pts":
        return f"{float(v):.3f}"
    return str(v)


# (column, header, format, wrap at characters); headers are full words, wrapped at spaces, never cut
WHERE_COLUMNS = [("rank", "#", "int", None), ("h3", "cell (H3)", "str", None), ("latitude", "latitude", "deg", None),
                 ("longitude", "longitude", "deg", None), ("dms", "DMS", "str", None), ("mgrs", "MGRS", "str", None),
                 ("evidence", "evidence", "str", 24), ("nearest_town", "nearest town", "str", 22),
                 ("town_km", "town km", "km", None), ("nearest_crossing", "crossing on own border", "str", 30),
                 ("crossing_km", "crossing km", "km", None), ("crossing_note", "crossing note", "str", 34)]
"""Columns of the PDF's 'where' table: position in three forms, evidence, nearest town and crossing."""
WHY_COLUMNS = ([("rank", "#", "int", None), ("h3", "cell (H3)", "str", None), ("score", "score", "pts", None),
                ("counts_pts", "counts", "pts", None), ("decayed_pts", "decayed counts", "pts", None),
                ("density_pts", "kernel density", "pts", None)]
               + [(f"{c}_pts", c, "pts", None) for c in COMPONENTS] + [("risk_score", "risk score", "pts", None)]
               + [("events", "events", "int", None), ("firearms", "firearms", "int", None),
                  ("gi_bin", "Gi* bin", "int", None), ("emerging_category", "emerging category", "str", 24)])
"""Columns of the PDF's 'why' table: the score and its parts (they add up to the score)."""

PAGE_W_PT, PAGE_H_PT = 11.69 * 72, 8.27 * 72


def _layout(t: pd.DataFrame, columns, size: float):
    """Cell texts, header texts and column widths (points) measured from the text at ``size``."""
    cols = [c for c in columns if c[0] in t.columns]
    body = [[_wrap(_fmt(rec.get(k), fmt), wrap) for k, _, fmt, wrap in cols] for rec in t.to_dict(orient="records")]
    pad = 0.9 * size
    widths, heads = [], []
    for j, (_, head, _, _) in enumerate(cols):
        data_w = max([_text_w(r[j], size) for r in body] + [0.0])
        word_w = max(_text_w(wd, size, bold=True) for wd in head.split())
        inner = max(data_w, word_w)
        # header words on as few lines as fit the column (never cut inside a word)
        lines, cur = [], ""
        for wd in head.split():
            trial = f"{cur} {wd}".strip()
            if cur and _text_w(trial, size, bold=True) > inner:
                lines.append(cur)
                cur = wd
            else:
                cur = trial
        lines.append(cur)
        heads.append("\n".join(lines))
        widths.append(inner + pad)
    return cols, heads, body, widths


def _table_figs(t: pd.DataFrame, columns, title: str, marking: str, size: float = 8.5):
    """Pages of one table whose columns fit the page width, headers unclipped, rows wrapped."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    left, right, top, bottom = 24.0, 24.0, 62.0, 40.0
    avail = PAGE_W_PT - left - right
    while True:   # shrink the type until the widest table fits the page
        cols, heads, body, widths = _layout(t, columns, size)
        if sum(widths) <= avail or size <= 4.5:
            break
        size -= 0.5
    lh = size * 1.22

    def height(cells):
        return max(c.count("\n") + 1 for c in cells) * lh + 0.6 * size

    head_h = height(heads)
    figs, i = [], 0
    rows = body or [[""] * len(cols)]
    while i < len(rows):
        fig = plt.figure(figsize=(PAGE_W_PT / 72, PAGE_H_PT / 72))
        _mark(fig, marking)
        fig.text(left / PAGE_W_PT, 1 - (top - 18) / PAGE_H_PT, title, fontsize=11, va="bottom")

        def put(x, y, txt, bold=False):
            fig.text(x / PAGE_W_PT, 1 - y / PAGE_H_PT, txt, fontsize=size, va="top", ha="left",
                     fontweight="bold" if bold else "normal", linespacing=1.22)

        def rule(y, lw=0.4):
            fig.add_artist(Line2D([left / PAGE_W_PT, (left + sum(widths)) / PAGE_W_PT], [1 - y / PAGE_H_PT] * 2,
                                  lw=lw, color="#555555"))

        y = top
        fig.add_artist(Rectangle((left / PAGE_W_PT, 1 - (y + head_h) / PAGE_H_PT), sum(widths) / PAGE_W_PT,
                                 head_h / PAGE_H_PT, color="#e8e8e8", lw=0))
        x = left
        for hd, wd in zip(heads, widths):
            put(x + 0.45 * size, y + 0.3 * size, hd, bold=True)
            x += wd
        y += head_h
        rule(y, 0.8)
        while i < len(rows):
            rh = height(rows[i])
            if y + rh > PAGE_H_PT - bottom and y > top + head_h:
                break
            x = left
            for txt, wd in zip(rows[i], widths):
                put(x + 0.45 * size, y + 0.3 * size, txt)
                x += wd
            y += rh
            rule(y)
            i += 1
        figs.append(fig)
    return figs


def _table_pages(p: Plan, marking: str):
    """The 'where' table (positions, evidence, town, crossing) then the 'why' table (score parts)."""
    t = p.targets
    return (_table_figs(t, WHERE_COLUMNS, "Targets: where they are (WGS84 degrees, DMS, MGRS) and the evidence",
                        marking)
            + _table_figs(t, WHY_COLUMNS, "Targets: the parts of their score (parts add up to the score)", marking))


def _text_page(title: str, paragraphs: list[str], marking: str):
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(11.69, 8.27))
    _mark(fig, marking)
    y = 0.92
    fig.text(0.05, y, title, fontsize=13, fontweight="bold", va="top")
    y -= 0.05
    for para in paragraphs:
        for line in textwrap.wrap(para, 150) or [""]:
            if y < 0.06:
                break
            fig.text(0.05, y, line, fontsize=8.5, va="top")
            y -= 0.026
        y -= 0.008
    return fig

def to_pdf(p: Plan, marking: str | None = None, con=None, backtest: pd.DataFrame | None = None,
           data_marking: str | None = None) -> bytes:
    """The target package as PDF: map, table, method, provenance; marking line on every page.

    Parameters
    ----------
    p : intel.risk.Plan
    marking : str, optional
        Classification line; default the setting ``marking`` (read from ``con`` when given).
    con : DuckDB connection, optional
        The (user's) cursor the plan was computed from: the releasability of its events in the
        plan's period (:func:`intel.auth.export_marking`) is printed after the classification
        (:func:`intel.briefing.marking_line`), e.g. ``RESTRICTED // NOFORN``.
    backtest : pandas.DataFrame, optional
        :func:`intel.backtest.backtest` result to include with the method.
    data_marking : str, optional
        The records' releasability when known by the caller (it replaces the one read from
        ``con``); with neither, the classification line alone is printed.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    marking = marking if marking is not None else str(settings.get("marking", con))
    if data_marking is None and con is not None:
        a = getattr(p.scores, "attrs", {}) or {}
        data_marking = auth.export_marking(con, Filters(date_from=a.get("date_from"), date_to=a.get("date_to")))
    if data_marking is not None:
        marking = marking_line(marking, data_marking)
    method = method_text(p)
    if backtest is not None and len(backtest):
        method.append("Backtest (hit rate and PAI, Chainey, Tompson & Uhlig 2008): " + summary_sentence(backtest))
        for r in backtest.itertuples():
            method.append(f"  {r.method}, {r.area_pct:g} % of the area ({r.cells} cells): hit rate {r.hit_rate:.3f}, "
                          f"PAI {r.pai:.2f}")
    notes = list(p.notes) or ["No caveats were raised for this selection."]
    buf = io.BytesIO()
    with PdfPages(buf) as pdf:
        figs = [_map_page(p, marking), *_table_pages(p, marking),
                _text_page("Method", method + ["", "Caveats:"] + notes, marking),
                _text_page("Data provenance", p.provenance, marking)]
        for f in figs:
            pdf.savefig(f)
            plt.close(f)
        info = pdf.infodict()
        info["Title"] = p.title()
        info["Subject"] = marking
    return buf.getvalue()

def format_from_path(path) -> str:
    """``csv``, ``geojson`` or ``pdf`` from a file name's extension."""
    suf = Path(path).suffix.lower().lstrip(".")
    if suf == "json":
        suf = "geojson"
    if suf not in FORMATS:
        raise ValueError(f"cannot tell the format from {path}; use .csv, .geojson or .pdf")
    return suf

def write(p: Plan, path, con=None, marking: str | None = None, backtest: pd.DataFrame | None = None) -> bytes:
    """Write the package in the format given by ``path``'s extension; returns the bytes."""
    fmt = format_from_path(path)
    data = to_csv(p) if fmt == "csv" else to_geojson(p) if fmt == "geojson" else to_pdf(p, marking, con, backtest)
    Path(path).write_bytes(data)
    return data
