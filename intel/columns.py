"""Column building blocks of the importer (:mod:`intel.ingest`).

A million-row import spends its time on columns, not on rules, so the rules in
:func:`intel.ingest.prepare` are written over whole columns built here:

* **Arrow-backed text.** The CSV reader hands over pandas ``str`` columns backed by Arrow;
  they stay Arrow from the reader to DuckDB (:func:`text_column`, :func:`record_ids`, :func:`_tstr`,
  :func:`const_text`, :func:`text_where`): no Python string per cell. Object columns (XLSX,
  GeoJSON, ...) take the original per-value helpers (:func:`text_objects`, :func:`clean_id`) and give
  the same values.
* **Once per distinct value.** Nomenclature lookups run on the distinct values of a column
  and are spread back over the rows by integer codes (:class:`Coded`, :func:`by_value`,
  :func:`map_value`); flags become row masks through the codes.
* **Reasons as masks.** Reason codes are boolean masks per code (:class:`Reasons`); the
  per-row lists are built once, shared by the rows with the same combination
  (:func:`row_reason_lists`).
* **Raw values as JSON text** built by Arrow kernels, one slice per core on threads
  (:func:`raw_field_json`), with exactly the text ``json.dumps(..., ensure_ascii=False)``
  gives (:func:`_raw_field_json`, the reference).
"""
from __future__ import annotations

import json
import re
from functools import lru_cache

import numpy as np
import pandas as pd

from intel import parse
from intel.h3cells import to_hex
from intel.threads import map_threads, slices


def mapped_column(frame: pd.DataFrame, mapping: dict, name: str) -> pd.Series | None:
    c = mapping.get(name)
    if c is None or c not in frame.columns:
        return None
    return frame[c]


def nones(n: int) -> pd.Series:
    """An object Series of ``n`` None (``pd.Series([None] * n, dtype=object)``, built faster)."""
    return pd.Series(np.full(n, None, dtype=object), dtype=object)


def text_objects(s: pd.Series | None, n: int) -> pd.Series:
    if s is None:
        return nones(n)
    out = s.astype(object).where(s.notna(), None)
    return out.map(lambda v: None if v is None else (str(v).strip() or None))


def clean_id(s: pd.Series) -> pd.Series:
    """Record ids written as floats by spreadsheet tools ('3460425857.0') back to their digits."""
    return s.map(lambda v: None if v is None else re.sub(r"^(\d+)\.0+$", r"\1", str(v)))


class Reasons:
    """Per-row reason codes kept as boolean masks (fast for millions of rows)."""

    def __init__(self, n: int):
        self.n = n
        self.masks: dict[str, np.ndarray] = {}

    def add(self, code: str, mask) -> None:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            self.masks[code] = self.masks.get(code, np.zeros(self.n, bool)) | mask

    def any(self, codes: set[str]) -> np.ndarray:
        out = np.zeros(self.n, bool)
        for c, m in self.masks.items():
            if c in codes:
                out |= m
        return out


# ---- fast column helpers used by prepare() (Arrow-backed CSV columns; object columns take
# the original per-value helpers above, so results are the same either way)

_EMPTY: list = []   # shared by every row without a reason (reason lists are read-only)


def arrow_text(s):
    """pyarrow string array of a string-dtype Series (readers' CSV columns), else None."""
    return parse.arrow_str(s) if s is not None else None


def _pa_trim(a):
    """``str(v).strip() or None`` of Arrow strings, as Arrow strings."""
    import pyarrow.compute as pc

    t = parse.pa_strip(a)
    return pc.if_else(pc.equal(t, ""), None, t)


def _tstr(a) -> pd.Series:
    """Arrow text as a pandas ``str`` Series (the text buffers are not copied)."""
    import pyarrow as pa

    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    if not pa.types.is_large_string(a.type):
        a = a.cast(pa.large_string())
    return pd.Series(pd.array(a, dtype=_STR))


def const_text(value: str | None, n: int) -> pd.Series:
    """A ``str`` Series of ``n`` times ``value`` (missing when None)."""
    import pyarrow as pa

    if value is None:
        return null_text(n)
    return _tstr(pa.repeat(pa.scalar(str(value), pa.large_string()), n))


def text_where(mask: np.ndarray, yes: str | None, no: str | None) -> pd.Series:
    """A ``str`` Series: ``yes`` where ``mask``, else ``no`` (None: missing)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return _tstr(pc.if_else(pa.array(np.asarray(mask, dtype=bool)), pa.scalar(yes, pa.large_string()),
                            pa.scalar(no, pa.large_string())))


def null_text(n: int) -> pd.Series:
    """A ``str`` Series of ``n`` missing values (a field the file does not have); the Arrow
    array (immutable) is shared by the calls of one import."""
    return _tstr(_null_array(n))


@lru_cache(maxsize=1)
def _null_array(n: int):
    import pyarrow as pa

    return pa.nulls(n, pa.large_string())


def frame_values(s: pd.Series):
    """A column for the events frame: Arrow-backed text as it is, anything else as NumPy."""
    return s.array if arrow_text(s) is not None else s.to_numpy()


def object_values(s: pd.Series) -> np.ndarray:
    """Values as an object array of str / None (missing as None, not NaN): report and
    quarantine columns."""
    a = arrow_text(s)
    if a is not None:
        return parse.pa_objarr(a)
    v = s.to_numpy(dtype=object)
    miss = pd.isna(v)
    if miss.any():
        v = v.copy()
        v[miss] = None
    return v


def equal_mask(s: pd.Series, value: str) -> np.ndarray:
    """Rows of a text Series equal to ``value`` (missing: False), as NumPy bool."""
    return (s == value).fillna(False).to_numpy(dtype=bool)


def text_column(s: pd.Series | None, n: int) -> pd.Series:
    """:func:`text_objects` (stripped text, missing for blank); Arrow-backed ``str`` for Arrow columns
    and for absent ones."""
    if s is None:
        return null_text(n)
    a = arrow_text(s)
    if a is None:
        return text_objects(s, n)
    return _tstr(_pa_trim(a))


def record_ids(s: pd.Series | None, n: int) -> pd.Series:
    """:func:`clean_id` of :func:`text_objects`, fast for Arrow-backed columns."""
    a = arrow_text(s)
    if a is None:
        return clean_id(text_objects(s, n))
    import pyarrow.compute as pc

    import pyarrow as pa

    t = _pa_trim(a)
    ascii_ = parse.bool_mask(pc.string_is_ascii(t))
    out = pc.replace_substring_regex(t, r"^([0-9]+)\.0+$", r"\1")
    other = np.flatnonzero(~ascii_ & parse.bool_mask(pc.is_valid(t)))
    if len(other):   # Unicode digits: the Python rule decides
        vals = parse.pa_objarr(out)
        vals[other] = clean_id(pd.Series(parse.pa_objarr(t, other), dtype=object)).to_numpy()
        out = pa.array(vals, pa.large_string(), from_pandas=True)
    return _tstr(out)


class Coded:
    """Per-row results of a function evaluated once per distinct value: ``codes`` (row ->
    position in ``table``) and ``table`` (one row per distinct value, the last for missing)."""

    def __init__(self, codes: np.ndarray, table: pd.DataFrame):
        self.codes = codes
        self.table = table

    def col(self, name: str) -> pd.Series:
        """The column ``name`` spread over the rows: Arrow-backed ``str`` when its values are
        text or missing, else an object Series."""
        import pyarrow as pa

        u = self.table[name].to_numpy(dtype=object)
        try:
            ua = pa.array(u, pa.large_string(), from_pandas=True)
        except (pa.ArrowTypeError, pa.ArrowInvalid, TypeError):
            return pd.Series(u[self.codes], dtype=object)
        return _tstr(ua.take(pa.array(self.codes)))

    def add_flags(self, R: "Reasons", name: str, ok: np.ndarray | None = None) -> None:
        """Add the flag codes of column ``name`` (str or None per distinct value) to ``R``."""
        u = self.table[name].to_numpy(dtype=object)
        for f in dict.fromkeys(v for v in u if isinstance(v, str) and v):
            m = np.isin(self.codes, np.flatnonzero(u == f))
            R.add(f, m if ok is None else m & ok)


def by_value(s: pd.Series | None, n: int, fn, columns: list[str]) -> Coded:
    """``fn`` (Series of stripped text -> DataFrame with ``columns``) evaluated on the distinct
    values of ``s`` only (missing values get ``fn``'s result for None)."""
    a = arrow_text(s)
    if a is None:
        codes, uniq = pd.factorize(text_objects(s, n).to_numpy(dtype=object), use_na_sentinel=True)
        uniq = list(uniq) + [None]
        codes = codes.astype(np.int64)
    else:
        import pyarrow.compute as pc

        enc = pc.dictionary_encode(_pa_trim(a))
        codes = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        uniq = list(parse.pa_objarr(enc.dictionary)) + [None]
    u = fn(pd.Series(np.array(uniq, dtype=object), dtype=object)).reset_index(drop=True)
    codes[codes < 0] = len(uniq) - 1
    return Coded(codes, u[columns])


def map_value(s: pd.Series, fn) -> pd.Series:
    """``s.map(fn)`` over the distinct values of a text Series (``fn`` pure; missing values
    get ``fn(None)``); Arrow-backed ``str`` when every result is text or None."""
    import pyarrow as pa

    a = arrow_text(s)
    if a is not None:
        import pyarrow.compute as pc

        enc = pc.dictionary_encode(a)
        codes = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        uniq = list(parse.pa_objarr(enc.dictionary))
    else:
        codes, uniq = pd.factorize(s.to_numpy(dtype=object), use_na_sentinel=True)
    res = np.empty(len(uniq) + 1, dtype=object)
    res[:] = [fn(u) for u in uniq] + [fn(None)]
    idx = np.where(codes < 0, len(uniq), codes)
    try:
        ra = pa.array(res, pa.large_string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid, TypeError):
        return pd.Series(res[idx], index=s.index, dtype=object)
    out = _tstr(ra.take(pa.array(idx)))
    out.index = s.index
    return out


def add_reason_lists(R: "Reasons", lists, ok: np.ndarray | None = None) -> None:
    """``R.add_lists`` visiting only the rows that have reasons."""
    arr = np.asarray(lists.to_numpy() if isinstance(lists, pd.Series) else lists, dtype=object)
    for i in np.flatnonzero(np.fromiter(map(bool, arr), dtype=bool, count=len(arr))):
        if ok is not None and not ok[i]:
            continue
        for c in arr[i]:
            m = R.masks.get(c)
            if m is None:
                m = R.masks[c] = np.zeros(R.n, bool)
            m[i] = True


def row_reason_lists(R: "Reasons") -> np.ndarray:
    """Each row's reason codes (sorted) as an object array of lists; rows with the same
    reasons share one list (read-only: callers replace a row's list, never append to it)."""
    out = np.empty(R.n, dtype=object)
    out.fill(_EMPTY)
    codes = sorted(R.masks)
    if not codes:
        return out
    anyr = np.zeros(R.n, bool)
    for c in codes:
        anyr |= R.masks[c]
    rows = np.flatnonzero(anyr)
    # each row's combination of reasons as one integer (a bit per code, in chunks of 63)
    keys = np.zeros((len(rows), (len(codes) + 62) // 63), dtype=np.int64)
    for j, c in enumerate(codes):
        keys[:, j // 63] |= R.masks[c][rows].astype(np.int64) << (j % 63)
    combos, inv = np.unique(keys, axis=0, return_inverse=True)
    lists = np.empty(len(combos), dtype=object)
    lists[:] = [[c for j, c in enumerate(codes) if (combo[j // 63] >> (j % 63)) & 1] for combo in combos]
    out[rows] = lists[inv.reshape(-1)]
    return out


_JSON_CTRL = r"[\x00-\x07\x0b\x0e-\x1f]"   # written by Python's json as \u001f (no short escape)


def _ctrl_rows(arrs, n: int) -> np.ndarray:
    """Rows where some text holds a control character that JSON writes as ``\\u00XX`` (left to
    Python by :func:`raw_field_json`); columns whose bytes hold no control character at
    all skip the per-row regex."""
    import pyarrow.compute as pc

    ctrl = np.zeros(n, bool)
    for a in arrs:
        bufs = a.buffers()
        buf = bufs[2] if len(bufs) >= 3 else None
        if buf is not None and not (np.frombuffer(buf, dtype=np.uint8) < 0x20).any():
            continue
        ctrl |= parse.bool_mask(pc.match_substring_regex(a, _JSON_CTRL))
    return ctrl


_JSON_SHORT = [("\\", "\\\\"), ('"', '\\"'), ("\b", "\\b"), ("\f", "\\f"), ("\n", "\\n"), ("\r", "\\r"),
               ("\t", "\\t")]
"""Replacements that make text a JSON string body as ``json.dumps(ensure_ascii=False)`` writes
it (backslash first); other control characters are left to Python (:func:`_ctrl_rows`)."""


def _json_object_arrow(keys: list[str], arrs: list):
    """``json.dumps({key: value, ...}, ensure_ascii=False)`` of each row of Arrow text columns,
    built by Arrow kernels (rows holding control characters other than \\b \\f \\n \\r
    \\t come out wrong: callers replace them, see :func:`_ctrl_rows`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts: list = []
    lit = "{"   # literal text before the next value
    for i, (k, a) in enumerate(zip(keys, arrs)):
        a = a.cast(pa.string()) if pa.types.is_large_string(a.type) else a
        bufs = a.buffers()
        data = np.frombuffer(bufs[2], dtype=np.uint8) if len(bufs) >= 3 and bufs[2] is not None else np.zeros(0, np.uint8)
        if len(data) and ((data < 0x20) | (data == 0x22) | (data == 0x5C)).any():
            present = np.bincount(data, minlength=256) > 0
            for ch, esc in _JSON_SHORT:   # only the characters the text holds
                if present[ord(ch)]:
                    a = pc.replace_substring(a, ch, esc)
        lit += ("" if i == 0 else ", ") + json.dumps(k, ensure_ascii=False) + ": "
        if a.null_count == 0:   # quotes joined into the literal text around the value
            parts += [lit + '"', a]
            lit = '"'
        else:
            quoted = pc.binary_join_element_wise('"', a, '"', "")
            parts += [lit, pc.if_else(pc.is_valid(a), quoted, pa.scalar("null", pa.string()))]
            lit = ""
    parts.append(lit + "}")
    out = pc.binary_join_element_wise(*parts, "")
    return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out


def _sliced(fn, n: int):
    """``fn(slice)`` (an Arrow array of the slice's rows) over ``n`` rows, one slice per core
    on threads (Arrow's kernels release the GIL; :mod:`intel.threads`), concatenated in order."""
    import pyarrow as pa

    parts = map_threads(fn, slices(n))
    return pa.concat_arrays([p.combine_chunks() if isinstance(p, pa.ChunkedArray) else p for p in parts])


def raw_field_json(raw_vals: dict[str, pd.Series], n: int):
    """:func:`_raw_field_json` (same text) built by Arrow when every column is Arrow text."""
    arrs = {k: arrow_text(v) for k, v in raw_vals.items()}
    if not raw_vals or any(a is None for a in arrs.values()) or n == 0:
        out = np.empty(n, dtype=object)
        out[:] = _raw_field_json(raw_vals, n)
        return out
    import pyarrow as pa

    j = _sliced(lambda sl: _json_object_arrow(list(arrs), [a.slice(sl.start, sl.stop - sl.start) for a in arrs.values()]),
                n)
    ctrl = _ctrl_rows(arrs.values(), n)
    if ctrl.any():   # Python's escapes for control characters
        out = parse.pa_objarr(j)
        rows = np.flatnonzero(ctrl)
        sub = {k: pd.Series(parse.pa_objarr(a, rows), dtype=object) for k, a in arrs.items()}
        out[rows] = _raw_field_json(sub, len(rows))
        return out
    # Arrow text, as pandas would store these strings anyway (no Python string per row)
    return pd.array(j.cast(pa.large_string()), dtype=pd.StringDtype("pyarrow", na_value=np.nan))


_STR = pd.StringDtype("pyarrow", na_value=np.nan)   # pandas' default text dtype


def as_text_column(v, n: int):
    """A column value for ``pd.DataFrame({...})`` built without the constructor's per-value
    inference: NumPy text, a text scalar, or an object array of str/None (all missing
    included) become Arrow-backed ``str``; anything else is returned as is."""
    import pyarrow as pa

    if isinstance(v, str):
        return pd.array(pa.repeat(pa.scalar(v, pa.large_string()), n), dtype=_STR)
    if v is None:
        return pd.array(_null_array(n), dtype=_STR)
    if not isinstance(v, np.ndarray) or len(v) != n:
        return v
    if v.dtype.kind == "U":
        return pd.array(pa.array(v, pa.large_string()), dtype=_STR)
    if v.dtype != object:
        return v
    # all missing included: Arrow text of nulls (object columns would be copied into one 2-D
    # block by the DataFrame constructor, about 30 ms per column per million rows)
    if n and pd.isna(v[0]) and pd.isna(v).all():
        return pd.array(pa.nulls(n, pa.large_string()), dtype=_STR)
    try:
        a = pa.array(v, pa.large_string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid, TypeError):
        return v
    return pd.array(a, dtype=_STR)


def label_column(codes: np.ndarray, labels: list[str]):
    """Arrow-backed ``str`` array of ``labels[code]`` (as ``np.where`` of the labels would give)."""
    import pyarrow as pa

    d = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(labels, pa.large_string()))
    return pd.array(d.cast(pa.large_string()), dtype=_STR)


def iso_strings(dates) -> np.ndarray:
    """``pd.Timestamp(d).isoformat()`` of each date (None for NaT), formatted once per distinct date."""
    arr = pd.to_datetime(pd.Series(dates)).to_numpy(dtype="datetime64[ns]")
    codes, uniq = pd.factorize(arr, use_na_sentinel=True)
    u = np.empty(len(uniq) + 1, dtype=object)
    u[:] = [pd.Timestamp(d).isoformat() for d in uniq] + [None]
    return u[np.where(codes < 0, len(uniq), codes)]


def hex_strings(cells: np.ndarray) -> np.ndarray:
    """Hex text of H3 cells (None for 0, :func:`intel.h3cells.to_hex`), once per distinct cell."""
    codes, uniq = pd.factorize(np.asarray(cells, dtype="uint64"))
    u = np.empty(len(uniq), dtype=object)
    u[:] = to_hex(uniq)
    return u[codes]



def jsonable(v):
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (int, float, str, bool)):
        return v
    return str(v)


def _raw_field_json(raw_vals: dict[str, pd.Series], n: int) -> list:
    if not raw_vals:
        return [None] * n
    cols = {k: v.astype(object).where(v.notna(), None).to_numpy() for k, v in raw_vals.items()}
    keys = list(cols)
    return [json.dumps({k: jsonable(cols[k][i]) for k in keys}, ensure_ascii=False) for i in range(n)]
