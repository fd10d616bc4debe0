"""The named queries pages need: data range, filter options, provenance, place lists,
quarantine outcomes.

Pages never write SQL (see ``/work/shared/DESIGN.md``): each small read a page makes is a
named function here, taking a DuckDB connection (or cursor) and plain parameters and
returning a DataFrame or a small frozen dataclass. The page layer caches them
(``pages/common.py``) keyed by plain values.

Who sees what: these functions read the tables by their plain names (``events``,
``batches``, ``quarantine``, ``country_stats`` ...). On a signed-in user's cursor those
names are temporary views restricted to the rows the user's releasability allows
(:func:`intel.auth.apply_visibility`), so passing that cursor is what restricts the answer;
nothing here widens it. ``countries`` and ``admin1`` are reference tables every user may read.

All SQL is parameterised; no argument is ever formatted into SQL text.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from intel import auth

__all__ = ["DataRange", "FilterOptions", "data_range", "filter_options", "batches", "source_ranges",
           "quarantine_outcomes", "countries", "admin1_units", "reporting_countries"]

ACCEPTED = "status = 'accepted'"
"""Records every map and filter works on (quarantined, unlocated, rejected and duplicate rows excluded)."""


@dataclass(frozen=True)
class DataRange:
    """First and last event date (UTC calendar days, inclusive) of the accepted records.

    Both are ``None`` when the store holds no dated accepted record.
    """
    lo: date | None
    hi: date | None

    @property
    def empty(self) -> bool:
        return self.lo is None


@dataclass(frozen=True)
class FilterOptions:
    """Values the sidebar filters offer.

    Attributes
    ----------
    range : DataRange
        Dates of the accepted records.
    kinds, categories, countries : tuple of str
        Distinct non-null ``kind``, ``coalesce(firearm_type, category)`` and ``country_iso3``
        (ISO 3166-1 alpha-3) of accepted records, sorted.
    sources : tuple of str
        Distinct ``source`` of every stored record (any status), sorted.
    """
    range: DataRange
    kinds: tuple[str, ...]
    categories: tuple[str, ...]
    countries: tuple[str, ...]
    sources: tuple[str, ...]


def _day(v) -> date | None:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    return pd.Timestamp(v).date()


def data_range(con) -> DataRange:
    """First and last ``event_date`` of the accepted records (inclusive days).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection or (restricted) cursor on the store.

    Returns
    -------
    DataRange
        ``DataRange(None, None)`` when no accepted record has a date.
    """
    lo, hi = con.execute(f"SELECT min(event_date), max(event_date) FROM events WHERE {ACCEPTED}").fetchone()
    return DataRange(_day(lo), _day(hi))


def _distinct(con, expr: str, where: str) -> tuple[str, ...]:
    # expr and where are constants of this module, never user input
    rows = con.execute(f"SELECT DISTINCT {expr} AS v FROM events WHERE {where} AND {expr} IS NOT NULL "
                       "ORDER BY 1").fetchall()
    return tuple(str(r[0]) for r in rows)


def filter_options(con) -> FilterOptions:
    """Everything the shared sidebar filters offer, read in one call.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection or (restricted) cursor on the store.

    Returns
    -------
    FilterOptions
    """
    return FilterOptions(
        range=data_range(con),
        kinds=_distinct(con, "kind", ACCEPTED),
        categories=_distinct(con, "coalesce(firearm_type, category)", ACCEPTED),
        countries=_distinct(con, "country_iso3", ACCEPTED),
        sources=_distinct(con, "source", "TRUE"),
    )


def batches(con) -> pd.DataFrame:
    """The import batches, oldest first (provenance).

    Returns
    -------
    pandas.DataFrame
        Columns ``source``, ``file_name``, ``imported`` (text 'YYYY-MM-DD HH:MM', UTC),
        ``rows_read``, ``rows_accepted``, ``rows_quarantined``, ``rows_rejected``. On a cursor
        restricted by :func:`intel.auth.apply_visibility` the counts are those of the input rows
        the user may see (:data:`intel.auth.BATCH_COUNTS_VIEW`): rows marked for others are
        neither shown nor counted; on an unrestricted cursor, the counts stored at import.
    """
    restricted = con.execute("SELECT count(*) FROM duckdb_views() WHERE temporary AND view_name = ?",
                             [auth.BATCH_COUNTS_VIEW]).fetchone()[0] > 0
    counts = (f"JOIN {auth.BATCH_COUNTS_VIEW} c ON c.batch_id = b.batch_id" if restricted else "")
    pre = "c." if restricted else "b."
    return con.execute(
        f"""SELECT b.source, b.file_name, strftime(b.imported_at, '%Y-%m-%d %H:%M') AS imported,
                   {pre}rows_read, {pre}rows_accepted, {pre}rows_quarantined, {pre}rows_rejected
            FROM batches b {counts} ORDER BY b.batch_id""").df()


def source_ranges(con) -> pd.DataFrame:
    """Per source: first and last event date and the number of accepted records (provenance).

    Returns
    -------
    pandas.DataFrame
        Columns ``source``, ``first``, ``last`` (dates), ``records`` (accepted rows, not
        events: an incident of several items counts each item), sorted by source.
    """
    return con.execute(
        f"""SELECT source, min(event_date) AS first, max(event_date) AS last, count(*) AS records
            FROM events WHERE {ACCEPTED} GROUP BY source ORDER BY source""").df()


def quarantine_outcomes(con) -> pd.DataFrame:
    """Rows of the quarantine per import outcome.

    Returns
    -------
    pandas.DataFrame
        Columns ``outcome`` ('quarantined' or 'rejected') and ``n`` (rows), sorted by outcome;
        no row for an outcome that does not occur.
    """
    return con.execute("SELECT outcome, count(*) AS n FROM quarantine GROUP BY outcome ORDER BY outcome").df()


def countries(con) -> pd.DataFrame:
    """The reference countries.

    Returns
    -------
    pandas.DataFrame
        Columns ``iso3`` (ISO 3166-1 alpha-3) and ``name`` (the code when no name is known),
        sorted by code.
    """
    return con.execute("SELECT iso3, coalesce(name, iso3) AS name FROM countries ORDER BY iso3").df()


def admin1_units(con, country_iso3: str) -> pd.DataFrame:
    """The admin-1 units (states, provinces, regions) of one country.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    country_iso3 : str
        ISO 3166-1 alpha-3 code.

    Returns
    -------
    pandas.DataFrame
        Columns ``admin1_id`` and ``name`` (the id when no name is known), sorted by name;
        empty for a country with no units in the reference.
    """
    return con.execute("SELECT admin1_id, coalesce(name, admin1_id) AS name FROM admin1 "
                       "WHERE country_iso3 = ? ORDER BY name, admin1_id", [str(country_iso3)]).df()


def reporting_countries(con) -> tuple[str, ...]:
    """ISO 3166-1 alpha-3 codes of the countries with statistics in ``country_stats``, sorted."""
    rows = con.execute("SELECT DISTINCT iso3 FROM country_stats WHERE iso3 IS NOT NULL ORDER BY 1").fetchall()
    return tuple(str(r[0]) for r in rows)
