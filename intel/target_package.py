"""Target package: the planner's target list as CSV, GeoJSON and a PDF to take away.

Overview
--------
* :func:`to_csv` - the target table (:data:`intel.risk.TARGET_COLUMNS`), one row per target,
  cell ids as hex strings, distances in km.
* :func:`to_geojson` - a FeatureCollection of the target cells as polygons in
  **[longitude, latitude]** order (RFC 7946; ``h3.cell_to_boundary`` returns (lat, lng) and is
  converted here), with the table's columns as properties.
* :func:`to_pdf` - an A4 landscape PDF drawn with matplotlib (no network): page 1 a static map
  of the area (Natural Earth 1:10m generalised countries from
  ``data/sources/boundaries/ne_10m_generalised_world_map.gpkg``) with the target cells and their
  ranks; then the table with the score parts, the nearest town and the official crossing of the
  cell's own border, or the note saying none is known there (``crossing_note``); then the method and the data provenance. The
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

from intel.config import NATURAL_EARTH_GPKG
from intel.export import json_value
from intel.h3cells import cell_ring
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
          "properties": {"title": p.title(), "res": p.res, "period": list(p.period), "weights": p.weights}}
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
    import geopandas as gpd
    import matplotlib.pyplot as plt
    from matplotlib.patches import Polygon as MplPolygon

    fig = plt.figure(figsize=(11.69, 8.27))
    _mark(fig, marking)
    ax = fig.add_axes([0.07, 0.1, 0.88, 0.78])
    w, s, e, n = _extent(p)
    try:
        world = gpd.read_file(NATURAL_EARTH_GPKG, layer="countries", bbox=(w, s, e, n))
        world.plot(ax=ax, color="#e2e2da", edgecolor="white", linewidth=0.8)
    except Exception:  # noqa: BLE001 - a missing basemap must not block the package
        ax.text(0.5, 0.5, "(basemap unavailable)", transform=ax.transAxes, ha="center", color="grey")
    ax.set_facecolor("#c5d9e8")
    scores = p.targets["score"].to_numpy(float) if len(p.targets) else np.zeros(0)
    cmap = plt.get_cmap("YlOrRd")
    top = max(float(scores.max()) if scores.size else 1.0, 1e-9)
    for rec in p.targets.itertuples():
        ring = cell_ring(rec.h3)
        ax.add_patch(MplPolygon(ring, closed=True, facecolor=cmap(0.35 + 0.65 * rec.score / top),
                                edgecolor="#400000", linewidth=0.8, alpha=0.9, zorder=3))
        ax.annotate(str(rec.rank), (rec.longitude, rec.latitude), xytext=(4, 4), textcoords="offset points",
                    fontsize=9, fontweight="bold", zorder=4,
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="#400000", lw=0.5, alpha=0.85))
        ax.plot(rec.longitude, rec.latitude, "o", ms=2.5, color="#400000", zorder=4)
    ax.set_xlim(w, e)
    ax.set_ylim(s, n)
    ax.set_aspect(1.0 / max(np.cos(np.radians((s + n) / 2)), 0.1))
    ax.set_xlabel("longitude (degrees)")
    ax.set_ylabel("latitude (degrees)")
    df, dt = p.period
    ax.set_title(f"{p.title()}\n{len(p.targets)} targets, H3 resolution {p.res}, period {df} to {dt} (half-open), "
                 f"minimum spacing {p.min_spacing_km:g} km", fontsize=11)
    return fig

def _table_pages(p: Plan, marking: str, rows_per_page: int = 22):
    import matplotlib.pyplot as plt

    cols = ["rank", "h3", "score"] + [f"{c}_pts" for c in COMPONENTS] + ["events", "nearest_town", "town_km",
                                                                          "nearest_crossing", "crossing_km",
                                                                          "crossing_note"]
    heads = ["#", "cell (H3)", "score"] + [c[:6] for c in COMPONENTS] + ["events", "nearest town", "km",
                                                                         "crossing on own border", "km",
                                                                         "crossing note"]
    # narrow number columns, room for the names and the note (which is wrapped, never cut)
    widths = [0.025, 0.085, 0.04] + [0.04] * len(COMPONENTS) + [0.04, 0.1, 0.035, 0.11, 0.035]
    widths.append(max(0.05, 0.98 - sum(widths)))
    t = p.targets
    notes = "crossing_note" in t and t["crossing_note"].map(lambda v: isinstance(v, str) and bool(v)).any()
    if notes:   # two-line notes take taller rows: fewer per page
        rows_per_page = max(1, (rows_per_page * 2) // 3)
    figs = []
    for start in range(0, max(len(t), 1), rows_per_page):
        fig = plt.figure(figsize=(11.69, 8.27))
        _mark(fig, marking)
        ax = fig.add_axes([0.03, 0.08, 0.94, 0.82])
        ax.axis("off")
        ax.set_title("Targets and the parts of their score (parts add up to the score)", fontsize=11)
        chunk = t.iloc[start:start + rows_per_page]
        cells = []
        for rec in chunk.to_dict(orient="records"):
            row = []
            for c in cols:
                v = rec.get(c)
                if c == "crossing_note":
                    row.append("\n".join(textwrap.wrap(str(v), 34)) if isinstance(v, str) and v else "")
                elif isinstance(v, (float, np.floating)):
                    row.append("" if not np.isfinite(v) else (f"{v:.1f}" if c.endswith("km") else f"{v:.3f}"))
                else:
                    row.append(textwrap.shorten(str(v), 28, placeholder="...") if v is not None else "")
            cells.append(row)
        if not cells:
            cells = [["" for _ in cols]]
        tab = ax.table(cellText=cells, colLabels=heads, colWidths=widths, loc="upper center", cellLoc="left")
        tab.auto_set_font_size(False)
        tab.set_fontsize(6.5)
        tab.scale(1, 1.35)
        if notes:
            for (i, _), cell in tab.get_celld().items():
                if i > 0:
                    cell.set_height(cell.get_height() * 1.5)
        figs.append(fig)
    return figs

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

def to_pdf(p: Plan, marking: str | None = None, con=None, backtest: pd.DataFrame | None = None) -> bytes:
    """The target package as PDF: map, table, method, provenance; marking line on every page.

    Parameters
    ----------
    p : intel.risk.Plan
    marking : str, optional
        Marking line; default the setting ``marking`` (read from ``con`` when given).
    con : DuckDB connection, optional
    backtest : pandas.DataFrame, optional
        :func:`intel.backtest.backtest` result to include with the method.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    from intel import settings

    marking = marking if marking is not None else str(settings.get("marking", con))
    method = method_text(p)
    if backtest is not None and len(backtest):
        from intel.backtest import summary_sentence

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
