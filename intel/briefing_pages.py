"""The pages of the briefing pack: one function per page, each drawing on a matplotlib figure
from the context :func:`intel.briefing.make_briefing` gathered.

Part of the briefing pack (:mod:`intel.briefing` reads the store, builds the context ``ctx``, a
dict of the tables and sentences the pages show, and frames and saves each page; the drawing
helpers are in :mod:`intel.briefing_draw`). A page function draws only inside the frame: the
marking line, title and page number are added after it by :func:`intel.briefing_draw.frame_page`.
The six pages, in order: :func:`page_summary`, :func:`page_map` (with the map's bounds and
basemap helpers), :func:`page_trends`, :func:`page_hotspots`, :func:`page_country` and
:func:`page_methods` (with :data:`GAP_STATEMENT`, the plain statement of what the data cannot show).
"""
from __future__ import annotations

import textwrap

import h3
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.collections import PolyCollection
from matplotlib.patches import Patch, Rectangle

from intel import h3cells, store, trends
from intel.briefing_draw import draw_table, kpi_display, plain, provenance_display, shared_prefix_note, text_block
from intel.render import palettes, paper

__all__ = ["GAP_STATEMENT", "partial_months", "page_summary", "page_map", "page_trends", "page_hotspots", "page_country",
           "page_methods"]

GAP_STATEMENT = ("The bundled data is a North American case study (Toronto firearm-discharge incidents, U.S. CBP "
                 "weapons and ammunition seizures by area of responsibility, ATF trace flows), three Latin American "
                 "registers (Colombian National Police seizures of Q1 2019 by municipality and day, Ecuador's 2023 "
                 "seizures by province, Rio de Janeiro's monthly seizures per precinct area) and worldwide UNODC "
                 "country statistics. No municipality-level seizure register was found for West Africa: KAFO "
                 "countries appear through UNODC statistics and through records an analyst imports.")


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


def page_summary(fig, ctx) -> None:
    """Page 1, summary: the period, the headline sentences and the KPI table (``ctx`` keys ``period``,
    ``sources_text``, ``headline``, ``where``, ``precision_notes``, ``kpis``)."""
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
    y = text_block(ax, lines, fontsize=8.5, step=0.043)
    # the table starts below the last line of text, however many sources the headline lists
    top = min(0.45, 0.47 + 0.42 * y - 0.035)
    ax2 = fig.add_axes([0.04, 0.05, 0.92, max(0.2, top - 0.05)])
    kd = kpi_display(ctx["kpis"]) if len(ctx["kpis"]) else pd.DataFrame()
    draw_table(ax2, kd, fontsize=7, title="Key figures: current period vs previous period (change in %)")


def page_map(fig, ctx) -> None:
    """Page 2, map: an overview of everything located and a detail of the finely located cells, with the
    coarse places as hollow circles and the Gi* hot spots outlined (``ctx`` keys ``cells``, ``coarse``,
    ``hot_cells``, ``map_res``, ``hotspot_res``, ``map_note``)."""
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


def _date_axis(ax, periods=None) -> str:
    """Date ticks that name each tick once (years, then months within a year: matplotlib's concise
    formatter); a year-only format repeated the year on every tick of a short series.

    The formatter's offset text (e.g. "2019-Mar" at the axis' lower right) is never drawn: it hung
    below a small panel into the next one. For a series of monthly ``periods`` spanning less than
    two years the ticks are whole months (never mid-month days such as "15") and the years are
    returned, to go into the panel's title ("" otherwise)."""
    per = pd.to_datetime(pd.Series(periods)) if periods is not None and len(periods) else None
    if per is not None and (per.max() - per.min()).days < 730:
        months = (per.max().year - per.min().year) * 12 + per.max().month - per.min().month + 1
        loc = mdates.MonthLocator(bymonthday=1, interval=max(1, -(-months // 6)))
        y0, y1 = per.min().year, per.max().year
        years = str(y0) if y0 == y1 else f"{y0}-{y1}"
    else:
        loc = mdates.AutoDateLocator(minticks=3, maxticks=8)
        years = ""
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc, show_offset=False))
    return years


def partial_months(periods, first_date, last_date) -> np.ndarray:
    """Which months of a monthly series the source's data cover only in part: the first month when
    the data start after its first day, the last when they end before its last day.

    Parameters
    ----------
    periods : sequence of date-like
        First days of the months.
    first_date, last_date : date-like
        The source's first and last event dates (UTC days).

    Returns
    -------
    numpy.ndarray of bool
        One flag per period. Ecuador's 2023 register holds two records of 2022-12-31: December 2022
        is 2 events from one day, drawn as a hollow point with its value, not as a collapse to 0.
    """
    p = pd.to_datetime(pd.Series(periods)).reset_index(drop=True)
    if not len(p) or pd.isna(first_date) or pd.isna(last_date):
        return np.zeros(len(p), dtype=bool)
    first, last = pd.Timestamp(first_date).normalize(), pd.Timestamp(last_date).normalize()
    month_end = p + pd.offsets.MonthEnd(0)
    return (((p < first) & (month_end >= first)) | ((month_end > last) & (p <= last))).to_numpy()


def _lines(text: str, width: int, most: int) -> str:
    """``text`` wrapped to ``width`` characters, at most ``most`` lines, the last ending in an
    ellipsis when the text goes on."""
    w = textwrap.wrap(text, width)
    if len(w) > most:
        w = w[:most]
        w[-1] = w[-1].rstrip(" .,;") + " ... (in full on the Planner page)"
    return "\n".join(w)


def page_trends(fig, ctx) -> None:
    """Page 3, trends: events per month by source, firearms and ammunition per month, and the
    year-over-year change by unit (``ctx`` keys ``series``, ``where_tables``)."""
    s = ctx["series"]
    srcs = list(dict.fromkeys(s["group"])) if len(s) else []
    pr = ctx.get("precision")
    spans = ({r.source: (r.first_date, r.last_date, r.date_precision) for r in pr.itertuples()}
             if pr is not None and len(pr) else {})
    n = max(len(srcs), 1)
    top = 0.86
    gap = 0.06
    h = (0.36 - gap * (n - 1)) / n
    for i, src in enumerate(srcs):
        ax = fig.add_axes([0.06, top - (i + 1) * h - i * gap, 0.42, h])
        d = s[s["group"] == src]
        ax.plot(d["period"], d["events"], color="#3465a4", lw=1)
        sp = spans.get(src)
        part = (partial_months(d["period"], sp[0], sp[1]) if sp is not None and sp[2] == "day"
                else np.zeros(len(d), dtype=bool))
        if part.any():
            ax.scatter(d["period"][part], d["events"][part], s=14, facecolors="white", edgecolors="#3465a4",
                       linewidths=1, zorder=3)
            for x, v in zip(d["period"][part], d["events"][part]):
                ax.annotate(f"{v:,.0f} (part month)", (x, v), fontsize=6.5, xytext=(4, 2), textcoords="offset points")
        ax.tick_params(labelsize=7)
        years = _date_axis(ax, d["period"])
        ax.set_title(plain(f"{src}: events per month" + (f" ({years})" if years else "")), fontsize=9,
                     loc="left")
        ax.grid(alpha=0.3)
    if not srcs:
        ax = fig.add_axes([0.06, 0.5, 0.42, 0.36])
        ax.set_axis_off()
        ax.text(0, 0.5, "No dated records in this selection.", fontsize=10)
    # firearms and ammunition where recorded
    axf = fig.add_axes([0.56, 0.61, 0.40, 0.25])
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
        # below the axes, outside them: inside, the box covered a line (Colombia's 2019 firearms)
        axf.legend(h1 + h2, l1 + l2, fontsize=6.5, loc="upper left", bbox_to_anchor=(0.0, -0.1), ncol=2,
                   frameon=False, borderaxespad=0.0)
    else:
        axf.text(0.5, 0.5, "No source in this selection records firearm counts.", ha="center",
                 transform=axf.transAxes, fontsize=8)
    _date_axis(axf)
    # where: year-over-year change by unit, per source
    # a source without units (every row "(not recorded)") has no "where" to draw
    # and a source whose data do not cover the previous period has no change to draw, only its start
    wb = {src: d[d["group"].astype(str) != trends.NOT_RECORDED] for src, d in (ctx["where_tables"] or {}).items()
          if "covered" not in d or d["covered"].all()}
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


def page_hotspots(fig, ctx) -> None:
    """Page 4, hot spots and targets: the top Gi* cells or the sentence why not, and the planner's
    targets (``ctx`` keys ``hotspots``, ``hotspot_msg``, ``hotspot_res``, ``hotspot_k``, ``targets``,
    ``targets_msg``)."""
    ax = fig.add_axes([0.04, 0.5, 0.92, 0.38])
    hs = ctx["hotspots"]
    if hs is None or hs.empty:
        text_block(ax, [f"## Top hot spots (Gi*, resolution {ctx['hotspot_res']})", ctx["hotspot_msg"]])
    else:
        ax.set_axis_off()
        draw_table(ax, hs, fontsize=7.5, col_widths=[0.04, 0.11, 0.27, 0.07, 0.08, 0.06, 0.05, 0.07, 0.2], title=f"Top hot spots: Getis-Ord Gi* at H3 resolution {ctx['hotspot_res']}, "
                                           f"k = {ctx['hotspot_k']}, FDR-corrected; period as above")
        fig.text(0.04, 0.47, plain("\n".join(textwrap.wrap(ctx["hotspot_msg"], 200)[:4])), fontsize=7.5, va="top")
    ax2 = fig.add_axes([0.04, 0.1, 0.92, 0.26])
    tg = ctx["targets"]
    if tg is None or tg.empty:
        text_block(ax2, ["## Targets (planner)", ctx["targets_msg"]])
    else:
        tg, note = shared_prefix_note(tg, "official crossing")
        widths = [0.04, 0.11, 0.22, 0.06, 0.07, 0.05, 0.06, 0.05, 0.34][:len(tg.columns)]
        draw_table(ax2, tg, fontsize=7, col_widths=[w / sum(widths) for w in widths],
               title="Targets proposed by the planner (top 10)")
        msg = (f"Official crossing, every target: {note}. " if note else "") + ctx["targets_msg"]
        fig.text(0.04, 0.078, plain(_lines(msg, 210, 3)), fontsize=6.5, va="top")


def page_country(fig, ctx) -> None:
    """Page 5, country context: which countries report UNODC arms seized and when, the group totals
    per year and the KAFO countries by location (``ctx`` keys ``coverage``, ``group_totals``,
    ``kafo_context``, ``trigger``)."""
    cov = ctx["coverage"]
    ax = fig.add_axes([0.04, 0.45, 0.52, 0.40])   # its title clear of the page's heading
    show = cov.copy()
    if len(show):
        for c in ("first_year", "last_year"):
            show[c] = show[c].map(lambda v: "-" if pd.isna(v) else str(int(v)))
        show["latest_value"] = show["latest_value"].map(lambda v: "no report" if pd.isna(v) else f"{v:,.0f}")
        show["country"] = show["country"].map(lambda v: str(v)[:22])
        show = show[["group", "iso3", "country", "years_reported", "first_year", "last_year", "latest_value", "note"]]
        show.columns = ["group", "iso3", "country", "years", "first", "last", "latest", "note"]
    draw_table(ax, show, fontsize=6, col_widths=[0.07, 0.05, 0.22, 0.06, 0.06, 0.06, 0.08, 0.4], row_scale=1.0,
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
        draw_table(ax3, t, fontsize=6.5, col_widths=[0.06, 0.14] + [w] * len(years), row_scale=1.0,
               title="KAFO countries: arms seized, total and by location, per year ('-' = not reported, never zero)")
    fig.text(0.04, 0.038, plain(f"Source: {trends.UNODC_CITATION}. Trigger list is an editable default "
                               f"({', '.join(ctx['trigger'])})."), fontsize=7)


def page_methods(fig, ctx) -> None:
    """Page 6, methods and provenance: definitions, what the data cannot show, and the sources and
    batches with the store snapshot (``ctx`` keys ``map_res``, ``snapshot``, ``provenance``)."""
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
    text_block(ax, lines, fontsize=8.5, step=0.045)
    # heading and snapshot line are the table's title, so they can never run into the table's header
    read_from = (f"Sources and batches in the store. Read from: {ctx.get('snapshot') or store.EMBEDDED_SNAPSHOT}"
                 + (f" (reproduce with intel briefing --as-of {ctx['snapshot'].split()[-1]})."
                    if str(ctx.get('snapshot', '')).startswith("DuckLake") else "."))
    ax2 = fig.add_axes([0.04, 0.06, 0.92, 0.32])
    draw_table(ax2, provenance_display(ctx["provenance"]), fontsize=6.5, title=read_from)
