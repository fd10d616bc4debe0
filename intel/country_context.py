"""Country context for managers: UNODC's country-year figures beside the store's own registers.

Part of the analyses (the Trends page, the briefing PDF and the CLI call these, through
:mod:`intel.trends`, which re-exports them). Pure functions of a DuckDB connection and plain
values, returning pandas DataFrames with documented columns.

UNODC country context (:func:`country_context`, :func:`country_coverage`,
:func:`country_indicator`, :func:`country_group_totals`)
    UNODC Illicit Arms Flows Questionnaire (IAFQ) country-year indicators in the store's
    ``country_stats`` table: arms seized (total) and arms seized by location (land borders,
    planes and airports, vessels and harbours, national territory, other, unknown). The grid
    is complete (every country and year asked for); a year a country did not report is a
    missing value with ``reported = False``, never a zero and never interpolated. Mali does
    not appear in this source at all, and the coverage table says so.

Registers (:func:`register_totals`, :func:`register_marking`)
    Firearms in the store's own seizure registers (records, and counts per area and month such
    as Rio de Janeiro's precinct areas) per country and year, beside UNODC's figure, and the
    marking of an export of them (from the releasability of the records and batches used).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from intel.export import records_marking
from intel.hexbin import Filters
from intel.store import events_sql

KAFO = ("BFA", "CIV", "MLI")
"""Operation KAFO countries: Burkina Faso, Cote d'Ivoire, Mali."""

TRIGGER_DEFAULT = ("ARG", "BOL", "BRA", "CHL", "COL", "CRI", "ECU", "SLV", "GTM", "HND", "MEX", "PAN",
                   "PRY", "PER", "URY")
"""Editable default list of Operation Trigger countries (Trigger IX, 2023: 15 Latin American
countries around the Foz do Iguacu tri-border hub). Pages and the CLI let the user change it."""

LOCATION_CATEGORIES: dict[str, str] = {
    "land borders": "land_border",
    "planes and airports": "airport",
    "vessels and harbours": "harbour",
    "national territory": "national_territory",
    "other": "other",
    "unknown": "unknown",
}
"""UNODC 'Arms seized' / 'by location' categories and the column names used here."""

UNODC_CITATION = "UNODC, Illicit Arms Flows Questionnaire (IAFQ), data export of 26/08/2024"


def _names(con, iso3s) -> dict[str, str]:
    iso3s = list(iso3s)
    if not iso3s:
        return {}
    ph = ", ".join("?" for _ in iso3s)
    names = dict(con.execute(f"SELECT iso3, name FROM countries WHERE iso3 IN ({ph})", iso3s).fetchall())
    names.update(dict(con.execute(
        f"SELECT iso3, any_value(country) FROM country_stats WHERE iso3 IN ({ph}) GROUP BY iso3", iso3s).fetchall()))
    return {i: names.get(i, i) for i in iso3s}


def country_indicator(con, iso3s, indicator: str = "Arms seized", dimension: str = "Total",
                      categories=("Total",), years: tuple[int, int] | None = None) -> pd.DataFrame:
    """A UNODC indicator on a complete country x year x category grid, gaps kept.

    Parameters
    ----------
    iso3s : sequence of str
        ISO 3166-1 alpha-3 codes (in the order wanted).
    indicator, dimension : str
        As in ``country_stats`` (e.g. 'Arms seized', 'by location').
    categories : sequence of str
        Categories of the dimension.
    years : (int, int), optional
        First and last calendar year (inclusive). Default: the years any of the countries
        reported this indicator.

    Returns
    -------
    pandas.DataFrame
        Columns ``iso3``, ``country``, ``year`` (int), ``category``, ``value`` (float, arms
        counted; NaN when not reported), ``reported`` (bool), ``rows`` (int: source rows
        summed; more than 1 means the source lists the same cell twice). Sex and age
        breakdowns are not used (only their 'na'/'Total' rows).
    """
    iso3s = [str(i).upper() for i in iso3s]
    categories = list(categories)
    cols = ["iso3", "country", "year", "category", "value", "reported", "rows"]
    if not iso3s or not categories:
        return pd.DataFrame(columns=cols)
    ph = ", ".join("?" for _ in iso3s)
    pc = ", ".join("?" for _ in categories)
    got = con.execute(
        f"""SELECT iso3, year, category, sum(value) AS value, count(*) AS rows FROM country_stats
            WHERE iso3 IN ({ph}) AND indicator = ? AND dimension = ? AND category IN ({pc})
              AND coalesce(sex, 'na') IN ('na', 'Total') AND coalesce(age, 'na') IN ('na', 'Total')
              AND value IS NOT NULL
            GROUP BY iso3, year, category""", [*iso3s, indicator, dimension, *categories]).df()
    if years is None:
        if got.empty:
            return pd.DataFrame(columns=cols)
        years = (int(got["year"].min()), int(got["year"].max()))
    grid = pd.MultiIndex.from_product([iso3s, range(int(years[0]), int(years[1]) + 1), categories],
                                      names=["iso3", "year", "category"]).to_frame(index=False)
    got["year"] = got["year"].astype(int)
    df = grid.merge(got, on=["iso3", "year", "category"], how="left")
    df["reported"] = df["value"].notna()
    df["rows"] = df["rows"].fillna(0).astype(int)
    names = _names(con, iso3s)
    df["country"] = df["iso3"].map(names)
    return df[cols]


def country_context(con, iso3s, years: tuple[int, int] | None = None) -> pd.DataFrame:
    """Arms seized and arms seized by location, one row per country and year, gaps kept.

    Returns
    -------
    pandas.DataFrame
        Columns ``iso3``, ``country``, ``year``, ``arms_seized`` (UNODC 'Arms seized' /
        'Total', arms), then one column per :data:`LOCATION_CATEGORIES` value
        (``land_border``, ``airport``, ``harbour``, ``national_territory``, ``other``,
        ``unknown``; arms seized at that kind of place), ``location_total`` (the source's
        'by location' total), ``reported`` (bool: any of these reported that year). NaN
        means "not reported", never zero.
    """
    iso3s = [str(i).upper() for i in iso3s]
    tot = country_indicator(con, iso3s, "Arms seized", "Total", ("Total",))
    cats = list(LOCATION_CATEGORIES) + ["Total"]
    loc = country_indicator(con, iso3s, "Arms seized", "by location", cats)
    if years is None:
        ys = pd.concat([tot.loc[tot["reported"], "year"], loc.loc[loc["reported"], "year"]])
        if ys.empty:
            years = (2016, 2023)
        else:
            years = (int(ys.min()), int(ys.max()))
    grid = pd.MultiIndex.from_product([iso3s, range(years[0], years[1] + 1)], names=["iso3", "year"]).to_frame(index=False)
    t = tot[["iso3", "year", "value"]].rename(columns={"value": "arms_seized"})
    w = loc.pivot_table(index=["iso3", "year"], columns="category", values="value", aggfunc="first", dropna=False)
    w = w.rename(columns={**LOCATION_CATEGORIES, "Total": "location_total"}).reset_index()
    df = grid.merge(t, on=["iso3", "year"], how="left").merge(w, on=["iso3", "year"], how="left")
    loc_cols = list(LOCATION_CATEGORIES.values()) + ["location_total"]
    for c in loc_cols:
        if c not in df:
            df[c] = np.nan
    df["reported"] = df[["arms_seized", *loc_cols]].notna().any(axis=1)
    df["country"] = df["iso3"].map(_names(con, iso3s))
    return df[["iso3", "country", "year", "arms_seized", *loc_cols, "reported"]]


def country_coverage(con, iso3s, indicator: str = "Arms seized") -> pd.DataFrame:
    """Which countries report an indicator in this source, and when.

    Returns
    -------
    pandas.DataFrame
        Columns ``iso3``, ``country``, ``years_reported`` (int), ``first_year``,
        ``last_year`` (int or NaN), ``latest_value`` (float, arms; the 'Total' of the latest
        year), ``note`` (str: "no data in this source" for a country that never reports).
    """
    iso3s = [str(i).upper() for i in iso3s]
    cols = ["iso3", "country", "years_reported", "first_year", "last_year", "latest_value", "note"]
    if not iso3s:
        return pd.DataFrame(columns=cols)
    d = country_indicator(con, iso3s, indicator, "Total", ("Total",))
    names = _names(con, iso3s)
    rows = []
    for i in iso3s:
        r = d[(d["iso3"] == i) & d["reported"]] if len(d) else d
        if r is None or r.empty:
            rows.append(dict(iso3=i, country=names.get(i, i), years_reported=0, first_year=np.nan, last_year=np.nan,
                             latest_value=np.nan, note=f"no data in this source ({indicator})"))
            continue
        span = int(r["year"].max()) - int(r["year"].min()) + 1
        gaps = span - len(r)
        note = f"{gaps} year(s) missing between first and last report" if gaps else "reported every year in its span"
        rows.append(dict(iso3=i, country=names.get(i, i), years_reported=len(r), first_year=int(r["year"].min()),
                         last_year=int(r["year"].max()),
                         latest_value=float(r.sort_values("year")["value"].iloc[-1]), note=note))
    return pd.DataFrame(rows, columns=cols)


def country_group_totals(con, groups: dict[str, list[str]], years: tuple[int, int] | None = None) -> pd.DataFrame:
    """Arms seized per year summed over each country group, with how many countries reported.

    Parameters
    ----------
    groups : dict
        Group name -> list of ISO3 codes (e.g. ``{"KAFO": KAFO, "Trigger": TRIGGER_DEFAULT}``).

    Returns
    -------
    pandas.DataFrame
        Columns ``group``, ``year``, ``arms_seized`` (sum over the countries that reported;
        NaN when none did), ``countries_reported`` (int), ``countries`` (int, group size).
        A sum over fewer reporting countries is not comparable with a fuller year: read it
        with ``countries_reported``.
    """
    rows = []
    for name, codes in groups.items():
        d = country_indicator(con, codes, "Arms seized", "Total", ("Total",), years)
        if d.empty:
            continue
        g = d.groupby("year").agg(arms_seized=("value", lambda s: s.sum(min_count=1)),
                                  countries_reported=("reported", "sum")).reset_index()
        g["group"] = name
        g["countries"] = len(codes)
        rows.append(g)
    if not rows:
        return pd.DataFrame(columns=["group", "year", "arms_seized", "countries_reported", "countries"])
    out = pd.concat(rows, ignore_index=True)
    out["countries_reported"] = out["countries_reported"].astype(int)
    return out[["group", "year", "arms_seized", "countries_reported", "countries"]]


def _area_counts_of(n: int) -> str:
    """FROM and WHERE of the recorded counts per area of one measure in ``n`` countries (parameters:
    the measure, then the ``n`` ISO3 codes): the part of :func:`register_totals` and
    :func:`register_marking` that must select the same rows."""
    ph = ", ".join("?" for _ in range(n))
    return ("FROM area_counts c JOIN areas a ON a.source = c.source AND a.area_id = c.area_id "
            f"WHERE c.measure = ? AND c.status = 'recorded' AND a.country_iso3 IN ({ph})")


def register_totals(con, iso3s, area_measure: str = "arma_fogo_total") -> pd.DataFrame:
    """Firearms in the store's own seizure registers per country and year, beside UNODC's figure.

    Two kinds of register are summed: records (``events``, accepted, by the country they name;
    ``firearms`` summed, events counted) and counts per area and month (``area_counts``, e.g. Rio
    de Janeiro's precinct areas, measure ``area_measure``; months recorded only, placeholders and
    unpublished months left out, the country from the areas table). A register covers what its
    publisher covers (a city, a state, one quarter), so its total is not a national total: the
    ``months`` column says how much of the year it covers.

    Parameters
    ----------
    con : DuckDB connection (the user's view of the store).
    iso3s : list of str
        ISO 3166-1 alpha-3 codes.
    area_measure : str
        Measure of ``area_counts`` that counts firearms.

    Returns
    -------
    pandas.DataFrame
        Columns ``iso3``, ``year``, ``source``, ``kind`` ('records' or 'counts per area'),
        ``firearms`` (NaN when the register counts none), ``events`` (records; NaN for counts),
        ``months`` (distinct months with data that year), ``unodc_arms_seized`` (UNODC 'Arms
        seized' total of that country and year, NaN when not reported). Sorted by country, year,
        source.
    """
    iso3s = [str(i).upper() for i in iso3s]
    cols = ["iso3", "year", "source", "kind", "firearms", "events", "months", "unodc_arms_seized"]
    if not iso3s:
        return pd.DataFrame(columns=cols)
    ph = ", ".join("?" for _ in iso3s)
    ev = con.execute(
        f"""SELECT country_iso3 AS iso3, year(event_date) AS year, source, 'records' AS kind,
                   sum(firearms) AS firearms, {events_sql()} AS events,
                   count(DISTINCT date_trunc('month', event_date)) AS months
            FROM events WHERE status = 'accepted' AND event_date IS NOT NULL AND country_iso3 IN ({ph})
            GROUP BY ALL""", iso3s).df()
    ac = con.execute(
        f"""SELECT a.country_iso3 AS iso3, year(c.month) AS year, c.source, 'counts per area' AS kind,
                   sum(c.value) AS firearms, NULL::BIGINT AS events, count(DISTINCT c.month) AS months
            {_area_counts_of(len(iso3s))}
            GROUP BY ALL""", [area_measure, *iso3s]).df()
    df = pd.concat([d for d in (ev, ac) if len(d)], ignore_index=True) if len(ev) or len(ac) else pd.DataFrame(columns=cols[:-1])
    if df.empty:
        return pd.DataFrame(columns=cols)
    df["year"] = df["year"].astype(int)
    un = country_indicator(con, iso3s, "Arms seized", "Total", ("Total",))
    un = un.loc[un["reported"], ["iso3", "year", "value"]].rename(columns={"value": "unodc_arms_seized"})
    df = df.merge(un, on=["iso3", "year"], how="left")
    return df[cols].sort_values(["iso3", "year", "source"]).reset_index(drop=True)


def register_marking(con, iso3s, area_measure: str = "arma_fogo_total") -> str:
    """The marking of an export of :func:`register_totals` for the same countries.

    Parameters
    ----------
    con : DuckDB connection (the user's view of the store).
    iso3s : list of str
        ISO 3166-1 alpha-3 codes.
    area_measure : str
        Measure of ``area_counts`` that counts firearms.

    Returns
    -------
    str
        :func:`intel.export.records_marking` of the accepted events of those countries and of the
        import batches of their counts per area (UNODC figures are public and add nothing);
        unrestricted when ``iso3s`` is empty (the table is empty).
    """
    iso3s = tuple(str(i).upper() for i in iso3s)
    if not iso3s:
        return records_marking(con, None, (), events=False)
    batches = [r[0] for r in con.execute(f"SELECT DISTINCT c.batch_id {_area_counts_of(len(iso3s))}",
                                         [area_measure, *iso3s]).fetchall()]
    return records_marking(con, Filters(countries=iso3s), batches)
