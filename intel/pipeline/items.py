"""Stages 6-8 of the import pipeline: what was seized, how many, its markings and route.

Part of :mod:`intel.pipeline`. :func:`describe_items` reads category, firearm type, calibre, make,
context and serial numbers (:mod:`intel.nomenclature`, :mod:`intel.serials`);
:func:`read_counts` reads quantity, firearms and ammunition; :func:`read_markings_and_route`
reads the releasability markings (:func:`intel.auth.parse_releasability`), the direction
(:data:`DIRECTIONS`) and the other countries of the route.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow.compute as pac

from intel import nomenclature, parse, serials
from intel.auth import parse_releasability
from intel.columns import (Coded, add_reason_lists, by_value, const_text, equal_mask, map_value, null_text,
                           text_column)
from intel.pipeline.rows import Rows

DIRECTIONS = {"inbound": "inbound", "in": "inbound", "entrada": "inbound", "import": "inbound", "entrant": "inbound",
              "outbound": "outbound", "out": "outbound", "salida": "outbound", "export": "outbound", "sortant": "outbound"}
"""Direction words of several languages -> ``inbound`` / ``outbound``."""


# --------------------------------------------------------------------------------------------
# 6-8. items, counts, markings and route
# --------------------------------------------------------------------------------------------

@dataclass
class Items:
    """What was seized, per row: ``item`` (description as written), ``category``, ``ftype``
    (firearm type), ``calibre``, ``make``, ``ctx`` (criminal context), ``serial`` and
    ``serial_key`` (:mod:`intel.serials`), and whether a firearm type column is mapped."""

    item: pd.Series
    category: pd.Series
    ftype: pd.Series
    calibre: pd.Series
    make: pd.Series
    ctx: pd.Series
    serial: pd.Series
    serial_key: object
    type_mapped: bool


def describe_items(rows: Rows) -> Items:
    """Category and firearm type (the profile's ``item_map`` of descriptions, the mapped type
    column through the nomenclature), calibre, make, criminal context and serial numbers, with
    their flags (``FIREARM_TYPE_UNKNOWN``, ``CALIBRE_ASSUMED``, ``SERIAL_...``)."""
    n, R, profile = rows.n, rows.R, rows.profile
    item = text_column(rows.clean_col("item_description"), n)
    category = rows.const_or(rows.col("category"), rows.consts.get("category"))
    ftype = null_text(n)
    if profile.get("item_map"):
        imap = profile["item_map"]
        category = item.map(lambda v: (imap.get(v) or [None, None])[0]).where(item.notna(), category)
        ftype = item.map(lambda v: (imap.get(v) or [None, None])[1])
    ft_s = rows.col("firearm_type")
    if ft_s is not None:
        rows.raw_vals["firearm_type"] = ft_s
        fm = by_value(ft_s, n, nomenclature.match_firearm_types, ["firearm_type", "category", "type_flag"])
        f_type, f_cat = fm.col("firearm_type"), fm.col("category")
        ftype = f_type.where(f_type.notna(), ftype)
        category = f_cat.where(f_cat.notna(), category)
        fm.add_flags(R, "type_flag")
    if profile.get("item_map") and profile.get("item_map_last"):
        # the item map decides the category over the type (Ecuador: a blank-firing "PISTOLA" is
        # not a firearm); its firearm type, where it gives one, too
        imap = profile["item_map"]
        cat2 = item.map(lambda v: (imap.get(v) or [None, None])[0])
        typ2 = item.map(lambda v: (imap.get(v) or [None, None])[1])
        category = cat2.where(cat2.notna(), category)
        ftype = typ2.where(typ2.notna(), ftype)
    cal_s = rows.col("calibre")
    calibre = null_text(n)
    if cal_s is not None:
        rows.raw_vals["calibre"] = cal_s
        cm = by_value(cal_s, n, nomenclature.match_calibres, ["calibre", "calibre_flag"])
        calibre = cm.col("calibre")
        cm.add_flags(R, "calibre_flag")
    make_s = rows.clean_col("make")
    make = text_column(make_s, n)
    if make_s is not None:
        make = map_value(make, lambda v: None if v is None else (nomenclature.match_make(v)[0] or v))
    ctx_s = rows.col("criminal_context")   # "n/a" is its context "unknown"
    ctx = text_column(ctx_s, n)
    if ctx_s is not None:
        ctx = map_value(ctx, lambda v: None if v is None else (nomenclature.match_criminal_context(v)[0] or v))
    ser_raw = rows.col("serial_number")
    # 'S/N', 'OBLITERATED', 'N/A': no usable serial -- never a match key, never a re-seizure lead
    ser_s = parse.without_placeholders(ser_raw) if ser_raw is not None else None
    serial = serials.serial_text(ser_s) if ser_s is not None else null_text(n)
    serial_key = serials.serial_key(ser_s) if ser_s is not None else serial  # = key of serial_text
    if ser_s is not None:
        rows.raw_vals["serial_number"] = ser_raw
        add_reason_lists(R, serials.serial_flags(ser_s))
    return Items(item, category, ftype, calibre, make, ctx, serial, serial_key, ft_s is not None)


def read_counts(rows: Rows, items: Items) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(quantity, firearms, ammunition) per row as floats: quantity 1 where no column is mapped
    (NaN where a mapped cell is blank), firearms the quantity of firearm rows (NaN for discharge
    incidents, which count events, not guns), ammunition the quantity of ammunition rows when
    no ammunition column says otherwise. Counts not written as plain digits keep their raw text."""
    n = rows.n
    dec = rows.decimal
    thou = getattr(rows.raw, "thousands", None)
    qty_s = rows.col("quantity")
    quantity = (parse.parse_numbers(qty_s, dec, thou, integer=True).to_numpy(dtype=float) if qty_s is not None
                else np.ones(n))
    quantity = np.where(np.isnan(quantity), 1.0 if qty_s is None else np.nan, quantity)
    ammo_s = rows.col("ammunition")
    ammo = (parse.parse_numbers(ammo_s, dec, thou, integer=True).to_numpy(dtype=float) if ammo_s is not None
            else np.full(n, np.nan))
    # counts written other than as plain digits ('1.500', '١٢', 'N/A') keep their raw text
    for name, col in (("quantity", qty_s), ("ammunition", ammo_s)):
        if col is not None and not plain_digits(col):
            rows.raw_vals[name] = col
    category, ftype = items.category, items.ftype
    is_firearm = equal_mask(category, "firearm") | (category.isna().to_numpy() & ftype.notna().to_numpy()
                                                    & items.type_mapped)
    firearms = np.where(is_firearm, np.nan_to_num(quantity, nan=1.0), 0.0)
    if rows.profile.get("kind") == "discharge incident":
        firearms = np.full(n, np.nan)
    ammo = np.where(np.isnan(ammo) & equal_mask(category, "ammunition"), quantity, ammo)
    return quantity, firearms, ammo


def plain_digits(s: pd.Series) -> bool:
    """Whether every non-missing value of ``s`` is ASCII digits only, or a whole number (a
    spreadsheet cell): nothing to convert, so no raw text to keep (Arrow text: one pass)."""
    a = parse.arrow_str(s)
    if a is None:
        def plain(v):
            if v is None or parse.is_missing(v):
                return True
            if isinstance(v, str):
                return v.isascii() and v.isdigit()
            return parse.is_number(v) and float(v).is_integer()
        return all(plain(v) for v in pd.unique(parse.as_object(s)))
    return bool(pac.all(pac.or_kleene(pac.ascii_is_decimal(a), pac.is_null(a))).as_py() is not False)


@dataclass
class Route:
    """Direction (inbound/outbound) and the countries of origin, destination, manufacture and
    last legal import (ISO 3166-1 alpha-3) of each row."""

    direction: pd.Series
    origin_iso3: pd.Series
    destination_iso3: pd.Series
    manufacture_iso3: pd.Series
    last_import_iso3: pd.Series


def read_markings_and_route(rows: Rows) -> Route:
    """Flag releasability markings nobody can read (``RELEASABILITY_UNREADABLE``: held back, not
    guessed; read on the values as written, not stripped: a cell of only spaces is unreadable,
    never "no marking"), then read direction and the other countries of each row."""
    n = rows.n
    rel_s = rows.col("releasability")
    if rel_s is not None:
        rel_codes, rel_uniq = pd.factorize(rel_s.astype(object).where(rel_s.notna(), None).to_numpy(dtype=object),
                                           use_na_sentinel=True)
        rel_codes = rel_codes.astype(np.int64)
        rel_codes[rel_codes < 0] = len(rel_uniq)
        rel_tab = releasability_flags(pd.Series(list(rel_uniq) + [None], dtype=object))
        Coded(rel_codes, rel_tab[["rel_flag"]]).add_flags(rows.R, "rel_flag")

    direction = map_value(text_column(rows.clean_col("direction"), n),
                          lambda v: None if v is None else DIRECTIONS.get(v.strip().lower()))

    def country_field(name):
        s = rows.col(name)
        if s is None:
            return null_text(n)
        rows.raw_vals[name] = s
        m = by_value(s, n, nomenclature.match_countries, ["iso3", "country_flag"])
        m.add_flags(rows.R, "country_flag")
        return m.col("iso3")

    return Route(direction, country_field("origin_country"), country_field("destination_country"),
                 country_field("country_of_manufacture"), country_field("last_legal_import_country"))


def own_marking(series: pd.Series | None, const, n: int) -> pd.Series:
    """Each record's own marking as written (surrounding spaces kept, so that a cell of only
    spaces stays unreadable); ``const`` (the batch's marking) where the cell is missing or empty."""
    if series is None:
        return const_text(const, n)
    t = series.astype(object).where(series.notna(), None)
    t = t.map(lambda v: None if v is None or str(v) == "" else str(v))
    return t.where(t.notna(), const) if const is not None else t


def releasability_flags(values: pd.Series) -> pd.DataFrame:
    """``rel_flag``: ``RELEASABILITY_UNREADABLE`` for each marking :func:`intel.auth.parse_releasability`
    cannot read, else None."""
    def flag(v):
        try:
            parse_releasability(v)
        except ValueError:
            return "RELEASABILITY_UNREADABLE"
        return None

    return pd.DataFrame({"rel_flag": [flag(v) for v in values]})
