"""Value parsers of the importer: the machinery they share, and numbers.

Every parser takes whole columns (pandas Series of raw values from :mod:`intel.readers`)
and returns whole columns, so an import of a million rows costs a few vectorised passes.
Each parser has a *fast path* for the plain forms (decimal numbers, ISO 8601 dates) done by
pandas/NumPy/Arrow in C, and a *slow path* that handles the remaining forms (DMS coordinates,
day-month dates, serial dates, month names) one **distinct** value at a time, so its cost
grows with the number of distinct odd values, not with the number of rows.

Nothing here guesses silently. A value that cannot be read, or can be read two ways, comes
back as NaN/NaT with a reason code; the raw value is never modified (callers keep it).

Shared by every parser: **placeholders** (:data:`PLACEHOLDERS`: ``N/A``, ``-``, ``?``, ``N/D``,
``S/N``, ``OBLITERATED``, ``ILLISIBLE``, ``BORRADO``, ``sin dato``...) are missing values in any
column, never serial numbers, while a real code that spells one stays a value where the
column says so (``NA`` is Namibia in a country column); **numerals** of every script are read
(:func:`ascii_numerals`); the decimal and thousands marks of a number column are decided once
for the column from its values (:func:`parse_numbers`), never per row.

One module per kind of value:

- this module: :func:`parse_numbers`, and the low-level pieces every parser uses -- the
  helpers for object columns (:func:`blank_mask`, :func:`reason_column`...) and the
  placeholders and numerals above;
- :mod:`intel.arrowtext`: the Arrow fast-path helpers (text, masks, byte looks,
  :func:`~intel.arrowtext.per_distinct`), named here too;
- :mod:`intel.coords`: coordinates (``parse_coordinates``, ``convert_projected``,
  ``parse_point_text``), the country polygons (``load_country_geoms``) and the lat/lon swap
  check (``check_swaps``);
- :mod:`intel.dates`: dates (``parse_dates``, ``DateResult``; one distinct text is read by
  :mod:`intel.datetext`);
- :mod:`intel.serials`: serial numbers (``serial_text``, ``serial_key``, ``serial_flags``).
"""
from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# the Arrow fast paths, named here too: the parsers import them from intel.parse
from intel.arrowtext import (arrow_str, bool_mask, has_byte, pa_bytes, pa_decimals, pa_is_ascii,  # noqa: F401
                             pa_objarr, pa_objects, pa_replace_byte, pa_strip, per_distinct, str_column)

__all__ = ["parse_numbers", "is_placeholder", "placeholder_mask", "without_placeholders", "ascii_numerals",
           "PLACEHOLDERS"]


def is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def is_missing(v) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def as_object(s) -> pd.Series:
    s = s if isinstance(s, pd.Series) else pd.Series(s)
    return s.astype(object) if s.dtype != object else s


def blank_mask(s: pd.Series) -> np.ndarray:
    """True where the raw value is missing or whitespace-only text."""
    isna = pd.isna(s).to_numpy()
    is_str = (s.map(type).to_numpy(dtype=object) == str) & ~isna
    blank_str = np.zeros(len(s), dtype=bool)
    if is_str.any():
        blank_str[is_str] = s[is_str].astype(str).str.strip().eq("").to_numpy(dtype=bool)
    return isna | blank_str


EMPTY_REASONS: list = []
"""Shared by every row without a reason in the reason columns built here: treat reason lists
as read-only (a million distinct empty lists cost a second of allocation and GC)."""


def reason_column(n: int, flagged: list) -> np.ndarray:
    """Object array of reason lists from ``(mask, code)`` pairs, codes in the given order;
    rows without a reason share :data:`EMPTY_REASONS`."""
    out = np.empty(n, dtype=object)
    out.fill(EMPTY_REASONS)
    if flagged:
        anyf = np.zeros(n, dtype=bool)
        for mask, _ in flagged:
            anyf |= mask
        for i in np.flatnonzero(anyf):
            out[i] = [code for mask, code in flagged if mask[i]]
    return out


# --------------------------------------------------------------------------------------------
# placeholders: the words agencies write for "no value"
# --------------------------------------------------------------------------------------------

PLACEHOLDERS = frozenset({
    # no value / not available / not given (en, fr, es, pt)
    "n/a", "n.a.", "n/a.", "n/d", "n.d.", "nd", "n/r", "n/c", "na", "nan", "none", "null", "nil", "-", "--",
    "---", "?", "??", "???", ".", "..", "...", "/", "unknown", "unk", "not known",
    "not available", "not applicable", "not recorded", "no data", "no info", "missing",
    "inconnu", "inconnue", "non disponible", "non renseigne", "non renseignee", "nr", "neant", "sans objet",
    "desconocido", "desconocida", "sin dato", "sin datos", "s/d", "s/dato", "sin informacion", "no disponible",
    "no aplica", "no consta", "ninguno", "ninguna", "se desconoce", "ignorado", "ignorada", "nao informado",
    "nao informada", "sem informacao", "sem dados", "desconhecido", "desconhecida",
    # no (usable) serial number: "sin numero", "sans numero", obliterated, unreadable, filed off
    "s/n", "s/n.", "s/no", "s/nro", "s/nº", "s/n°", "s.n.", "sn", "n/s", "no serial", "no serial number",
    "sin serie", "sin numero", "sin numero de serie", "sans numero", "sans serie", "sem numero", "sem serie",
    "obliterated", "obliterado", "obliterada", "oblitere", "obliteree", "illisible", "illegible", "ilegible",
    "unreadable", "borrado", "borrada", "limado", "limada", "raspado", "raspada", "suprimido", "efface", "effacee",
    "gratte", "defaced", "removed", "erased", "filed off", "ground off", "not visible",
})
"""Texts that mean "no value" in any column (compared without case, accents and surrounding
space; inner spaces collapsed). None of them holds a digit. A real code that spells one of
them (``NA`` Namibia, ``SN`` Senegal in a country column) is kept by passing ``keep``."""

_PH_KEEP_NONE: frozenset = frozenset()


def placeholder_key(t: str) -> str:
    import unicodedata

    t = unicodedata.normalize("NFKD", t)
    t = "".join(c for c in t if not unicodedata.combining(c))
    return " ".join(t.split()).casefold()


def is_placeholder(v, keep: frozenset = _PH_KEEP_NONE) -> bool:
    """Whether one raw value is a placeholder for "no value" (:data:`PLACEHOLDERS`).

    Parameters
    ----------
    v : object
        Raw value; only text can be a placeholder.
    keep : frozenset of str, optional
        Keys (lower case) that are real values in this column (``{"na"}`` in a country column).

    Returns
    -------
    bool
    """
    if not isinstance(v, str) or len(v) > 40:
        return False
    k = placeholder_key(v)
    return k in PLACEHOLDERS and k not in keep


def _ph_variants() -> list[str]:
    out = set()
    for p in PLACEHOLDERS:
        out |= {p, p.upper(), p.title(), p.capitalize()}
    return sorted(out)


_PH_VARIANTS: list[str] | None = None


def placeholder_mask(s: pd.Series, keep: frozenset = _PH_KEEP_NONE) -> np.ndarray:
    """Per row: True where the raw value is a placeholder (:func:`is_placeholder`).

    Arrow text columns are matched in one hash pass against the usual spellings (lower,
    upper, title case) and only the rows that could be an unusual spelling (short, no digit)
    are looked at one distinct text at a time.

    Parameters
    ----------
    s : pandas.Series, shape (n,)
    keep : frozenset of str, optional
        Keys that are real values in this column (see :func:`is_placeholder`).

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
    """
    global _PH_VARIANTS
    a = arrow_str(s)
    if a is None:
        s = as_object(s)
        return np.fromiter((is_placeholder(v, keep) for v in s), dtype=bool, count=len(s))
    if _PH_VARIANTS is None:
        _PH_VARIANTS = _ph_variants()
    t = pa_strip(a)
    hit = bool_mask(pc.is_in(t, value_set=pa.array(_PH_VARIANTS, t.type)))
    if keep and hit.any():
        hit &= ~bool_mask(pc.is_in(pc.utf8_lower(t), value_set=pa.array(sorted(keep), t.type)))
    # other spellings ("N / A", "Sin Dato", accents): short texts without a digit, once each
    odd = ~hit & bool_mask(pc.less_equal(pc.utf8_length(t), 40)) & ~bool_mask(pc.match_substring_regex(t, "[0-9]")) \
        & bool_mask(pc.is_valid(t))
    rows = np.flatnonzero(odd)
    if len(rows):
        (r,) = per_distinct(a, rows, lambda u: (np.array([is_placeholder(x, keep) for x in u.to_pylist()], bool),))
        hit[rows] = r
    return hit


def without_placeholders(s: pd.Series, keep: frozenset = _PH_KEEP_NONE) -> pd.Series:
    """``s`` with its placeholders (:func:`placeholder_mask`) made missing; ``s`` itself (same
    object) when it holds none. The caller keeps ``s`` as the raw values."""
    if s is None:
        return s
    m = placeholder_mask(s, keep)
    if not m.any():
        return s
    return s.mask(pd.Series(m, index=s.index))


# Unicode numerals: digits of every script (category Nd) and the separators written with them
_NUM_SEPARATORS = {
    "\u066b": ".",      # ARABIC DECIMAL SEPARATOR
    "\u066c": "\u2009",  # ARABIC THOUSANDS SEPARATOR -> a thin space (a group separator below)
    "\u060c": ",",      # ARABIC COMMA
    "\u2212": "-", "\u2013": "-", "\u2012": "-", "\ufe63": "-", "\uff0d": "-",
    "\u200e": "", "\u200f": "", "\u061c": "", "\u202a": "", "\u202b": "", "\u202c": "", "\u2066": "",
    "\u2067": "", "\u2068": "", "\u2069": "",   # direction marks around Arabic and Hebrew numbers
    "\u2019": "'", "\u02bc": "'",
}


def ascii_numerals(t: str) -> str:
    """Text with the digits of every script (Arabic-Indic, Persian, Devanagari, full-width...)
    as ASCII digits, the Arabic decimal separator U+066B as ``.``, the Arabic thousands
    separator U+066C as a thin space (read as a group separator), Unicode minus signs as
    ``-`` and direction marks removed. Full-width punctuation is folded by NFKC. ASCII text is
    returned as it is."""
    if t.isascii():
        return t
    import unicodedata

    t = unicodedata.normalize("NFKC", t)
    out = []
    for c in t:
        if c in _NUM_SEPARATORS:
            out.append(_NUM_SEPARATORS[c])
        elif not c.isascii() and c.isdecimal():
            out.append(str(unicodedata.decimal(c)))
        else:
            out.append(c)
    return "".join(out)


# ============================================================================================
# numbers
# ============================================================================================

def parse_numbers(s: pd.Series, decimal: str = ".", thousands: str | None = None, integer: bool = False,
                  _decided: bool = False) -> pd.Series:
    """Parse numeric text into floats; decimal and thousands marks decided per column.

    The marks are decided once for the whole column from its values, never per row: a mark
    that occurs twice in a value (``1.500.000``), or before the other mark (``1.500,25``), is a
    thousands separator; a mark followed by other than three digits (``4.7110``, ``2,5``) is a
    decimal mark. A value such as ``1.500`` (one group of three digits) can be read both ways:
    in a column of counts (``integer=True``: rounds, firearms) it is 1500 unless another
    value of the column shows the mark is decimal; otherwise the file's marks (``decimal``,
    ``thousands``) decide. Digits of every script (Arabic-Indic, Persian, full-width...),
    the Arabic decimal and thousands separators (U+066B, U+066C), spaces, no-break, thin and
    narrow spaces and apostrophes between digit groups are read (:func:`ascii_numerals`).
    Placeholders (:data:`PLACEHOLDERS`: ``N/A``, ``-``...) are missing values.

    Parameters
    ----------
    s : pandas.Series, shape (n,)
        Raw values: text, Python/NumPy numbers (passed through), ``None``.
    decimal : {".", ","}
        Decimal mark of the file (the default where the column does not decide).
    thousands : str, optional
        Thousands separator of the file. With ``decimal=","`` it defaults to ``"."``
        (``1.250`` -> 1250). Groups must have three digits (``1.5`` is not read as 15).
    integer : bool
        The column holds counts (whole numbers): a lone three-digit group is a thousands group.

    Returns
    -------
    pandas.Series of float64, shape (n,)
        NaN where the value is missing, a placeholder or unreadable (also ``inf``/``nan``
        text). Unit: that of the column.
    """
    if decimal == "," and thousands is None:
        thousands = "."
    a = arrow_str(s)
    if a is None:
        return _parse_numbers_obj(s, decimal, thousands, integer, _decided)
    t = pa_strip(a)
    blank = ~bool_mask(pc.is_valid(t)) | bool_mask(pc.equal(t, ""))
    ok, vals = pa_decimals(t, blank, "." if decimal == "." else ",")
    out = np.full(len(a), np.nan)
    if vals is None:
        ok[:] = False
    else:
        out[ok] = vals
    rest = np.flatnonzero(~ok & bool_mask(pc.is_valid(a)))
    uniq = None
    if len(rest):
        enc = pc.dictionary_encode(a.take(pa.array(rest, pa.int64())))
        uniq = [ascii_numerals(x).strip() for x in enc.dictionary.to_pylist()]
    if not _decided:
        ev = _mark_evidence(uniq or [])
        if ok.any() and has_byte(pa_bytes(t), decimal):   # plain decimals holding the file's mark
            has = bool_mask(pc.match_substring(t, decimal)) & ok
            if has.any():
                amb = has & bool_mask(pc.match_substring_regex(
                    t, r"^[+-]?[0-9]{1,3}" + re.escape(decimal) + r"[0-9]{3}$"))
                ev[decimal][0] += int((has & ~amb).sum())
                ev[decimal][2] += int(amb.sum())
        dec2, thou2 = _decide_marks(ev, decimal, thousands, integer)
        if (dec2, thou2) != (decimal, thousands):
            return parse_numbers(s, dec2, thou2 or "", integer, _decided=True)
    if uniq is not None:   # each distinct other text once
        codes = enc.indices.to_numpy(zero_copy_only=False)
        v = np.array([_slow_number(x, decimal, thousands) for x in uniq], dtype=float)
        out[rest] = v[codes]
    out[~np.isfinite(out)] = np.nan
    return pd.Series(out, index=s.index, dtype="float64")


_AMBIG_GROUP = re.compile(r"^\d{1,3}[.,]\d{3}$")
_NUMERIC_TEXT = re.compile(r"^[\d.,]+(?:[eE][+-]?\d+)?$")


def _mark_evidence(texts) -> dict:
    """Per mark (``.``/``,``): [values where it is a decimal mark, values where it groups
    thousands, values where it could be either] over ``texts`` (ASCII, stripped)."""
    ev = {".": [0, 0, 0], ",": [0, 0, 0]}
    for t in texts:
        u = re.sub(r"[\s']", "", t).lstrip("+-")
        if not u or not _NUMERIC_TEXT.match(u):
            continue
        has_d, has_c = "." in u, "," in u
        if has_d and has_c:
            last = "." if u.rfind(".") > u.rfind(",") else ","
            ev[last][0] += 1
            ev["," if last == "." else "."][1] += 1
        elif has_d or has_c:
            m = "." if has_d else ","
            if u.count(m) > 1:
                ev[m][1] += 1
            elif _AMBIG_GROUP.match(u):
                ev[m][2] += 1
            else:
                ev[m][0] += 1
    return ev


def _decide_marks(ev: dict, decimal: str, thousands: str | None, integer: bool) -> tuple[str, str | None]:
    """The column's (decimal, thousands) marks from :func:`_mark_evidence`; the file's marks
    where the column does not decide or contradicts itself."""
    role = {}
    for m in ".,":
        d, g, amb = ev[m]
        if d and g:
            return decimal, thousands   # the column contradicts itself: the file decides
        role[m] = "decimal" if d else "group" if g else ("group" if amb and integer else None)
    decs = [m for m in ".," if role[m] == "decimal"]
    grps = [m for m in ".," if role[m] == "group"]
    if len(decs) == 2 or len(grps) == 2:
        return decimal, thousands
    dec = decs[0] if decs else decimal
    thou = grps[0] if grps else thousands
    if grps and dec == grps[0]:
        dec = "," if grps[0] == "." else "."
    if thou == dec:
        thou = None
    return dec, thou


def _parse_numbers_obj(s, decimal: str, thousands: str | None, integer: bool = False,
                       _decided: bool = False) -> pd.Series:
    """:func:`parse_numbers` for object columns (per-value Python where needed)."""
    s = as_object(s)
    idx = s.index
    out = np.full(len(s), np.nan)
    is_str = (s.map(type).to_numpy(dtype=object) == str)
    num_mask = ~is_str & ~pd.isna(s).to_numpy()
    if num_mask.any():
        vals = pd.to_numeric(s[num_mask], errors="coerce").to_numpy(dtype=float)
        out[num_mask] = vals
    if is_str.any():
        t = s[is_str].astype(str).str.strip()
        uniq = pd.unique(t.to_numpy())
        if not _decided:
            dec2, thou2 = _decide_marks(_mark_evidence([ascii_numerals(u) for u in uniq]), decimal, thousands, integer)
            decimal, thousands = dec2, thou2
        table = {u: _slow_number(ascii_numerals(u), decimal, thousands) for u in uniq}
        out[is_str] = t.map(table).to_numpy(dtype=float)
    out[~np.isfinite(out)] = np.nan
    return pd.Series(out, index=idx, dtype="float64")


def _slow_number(t: str, decimal: str, thousands: str | None) -> float:
    t = ascii_numerals(t).strip()
    if is_placeholder(t):
        return math.nan
    for sp in ("\u00a0", "\u202f", "\u2009", "'"):
        t = t.replace(sp, " ")
    t = t.replace("\u2212", "-")
    if not t:
        return math.nan
    sign = ""
    if t[0] in "+-":
        sign, t = t[0], t[1:].strip()
    seps = [" "] + ([thousands] if thousands and thousands != " " else [])
    dec = re.escape(decimal)
    for sep in seps:
        pat = rf"^\d{{1,3}}(?:{re.escape(sep)}\d{{3}})+(?:{dec}\d+)?$"
        if re.match(pat, t):
            t = t.replace(sep, "")
            break
    if decimal == ",":
        if "." in t:
            return math.nan
        t = t.replace(",", ".")
    elif "," in t:
        return math.nan
    if not re.match(r"^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$", t):
        return math.nan
    v = float(sign + t)
    return v if math.isfinite(v) else math.nan
