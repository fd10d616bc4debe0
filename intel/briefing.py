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

One module per part of the pack:

- this module: :func:`make_briefing` (reads the store into the pages' context, frames and saves
  each page), the hot spot and target tables, :func:`marking_line` and :class:`Briefing`;
- :mod:`intel.briefing_pages`: the six pages, one function each (``page_summary`` ...
  ``page_methods``), with the map's helpers and :data:`~intel.briefing_pages.GAP_STATEMENT`;
- :mod:`intel.briefing_draw`: the drawing helpers (page, frame, text blocks, tables,
  :func:`~intel.briefing_draw.plain`) and the tables as printed (``kpi_display``,
  ``provenance_display``, ``shared_prefix_note``).

Every public name of the two is named here too.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import h3
import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages

from intel import auth, hexbin, hotspots, risk, settings, store, trends
from intel.borders.crossings import crossing_text
# the drawing helpers and the pages, named here too: ``from intel.briefing import plain`` keeps working
from intel.briefing_draw import (DPI_PNG, MARK_COLOUR, PAGE_SIZE, draw_table, frame_page, kpi_display,  # noqa: F401
                                 page_figure, plain, provenance_display, shared_prefix_note, text_block)
from intel.briefing_pages import (GAP_STATEMENT, page_country, page_hotspots, page_map, page_methods,  # noqa: F401
                                  page_summary, page_trends)
from intel.h3cells import parent_sql
from intel.hexbin import Filters


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


def where_line(source: str, d: pd.DataFrame, by: str = "unit") -> str | None:
    """The "Where" sentence of one source: its largest rises and falls by ``by``, year over year.

    Parameters
    ----------
    source : str
        The source's name, at the head of the sentence.
    d : pandas.DataFrame
        :func:`intel.trends.kpi_breakdown` of the source (columns ``group``, ``change``, ``covered``).
    by : str
        The dimension's name as printed (``'unit'``).

    Returns
    -------
    str or None
        ``"cbp, events by unit, year over year: largest rises A (+137), ...; largest falls B (-467)."``;
        ``"...: no earlier data to compare."`` when the source's data do not cover the previous
        period (its every "rise" would only be its start); records without a value of ``by``
        (:data:`intel.trends.NOT_RECORDED`) are named "records without a unit"; None when nothing changed.
    """
    head = f"{source}, events by {by}, year over year: "
    if d.empty:
        return None
    if "covered" in d and not bool(d["covered"].iloc[0]):
        return head + f"{trends.NO_EARLIER_DATA} to compare."
    name = {trends.NOT_RECORDED: f"records without a {by}"}
    parts = []
    for label, sel in (("largest rises", d[d["change"] > 0]), ("largest falls", d[d["change"] < 0])):
        sel = sel.head(3)
        if len(sel):
            parts.append(f"{label} " + ", ".join(f"{name.get(g, g)} ({c:+,.0f})" for g, c in zip(sel["group"], sel["change"])))
    return head + "; ".join(parts) + "." if parts else None


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
            line = where_line(src, d)
            if line:
                where_lines.append(line)
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
               precision=prec, hot_cells=hot_cells, hotspot_res=hotspot_res, hotspot_k=hotspot_k, map_note=map_note,
               series=trends.series(con, "month", "source", filters), where_tables=where_tables,
               hotspots=hs_table, hotspot_msg=hs_msg, targets=targets, targets_msg=targets_msg,
               coverage=pd.concat(cov, ignore_index=True),
               group_totals=trends.country_group_totals(con, {"KAFO": list(kafo), "Trigger": list(trigger)}),
               kafo_context=trends.country_context(con, kafo), trigger=list(trigger), provenance=prov.astype(object).fillna("-"),
               snapshot=snapshot)

    plan = [("summary", f"{title}: summary", page_summary), ("map", "Map of the selection", page_map),
            ("trends", "Trends and where the change happened", page_trends),
            ("hotspots", "Hot spots and targets", page_hotspots),
            ("country_context", "Country context (UNODC)", page_country),
            ("methods", "Methods and provenance", page_methods)]
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    pngs: dict[str, bytes] = {}
    buf = io.BytesIO()
    with matplotlib.rc_context({"text.usetex": False, "font.family": "DejaVu Sans", "pdf.fonttype": 42,
                                "axes.unicode_minus": False}):
        with PdfPages(buf, metadata={"Title": plain(title), "Subject": marking, "Creator": "intel.briefing",
                                     "Keywords": marking}) as pdf:
            for i, (name, page_title, draw) in enumerate(plan, 1):
                fig = page_figure()
                try:
                    draw(fig, ctx)
                except Exception as e:  # noqa: BLE001 - a page that fails says so instead of breaking the pack
                    fig.clear()
                    ax = fig.add_axes([0.05, 0.1, 0.9, 0.75])
                    text_block(ax, [f"This page could not be drawn: {e}"])
                    notes.append(f"{page_title}: could not be drawn ({e}).")
                frame_page(fig, marking, page_title, i, len(plan), stamp)
                pdf.savefig(fig)
                png = io.BytesIO()
                fig.savefig(png, format="png", dpi=DPI_PNG)
                pngs[name] = png.getvalue()
    return Briefing(pdf=buf.getvalue(), pngs=pngs, pages=len(plan), marking=marking, notes=notes, kpis=k,
                    hotspots=hs_table, snapshot=snapshot)

