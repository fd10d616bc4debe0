"""Whole-file structure of a table: header row, totals, blank and second-header rows.

Part of :mod:`intel.readers`, shared by the CSV and XLSX readers. :func:`find_header` picks the
header row under title rows (the row whose names map the most standard fields, a two-row header
of group headings combined into one name per column); :func:`tidy_rows` then skips blank and
total lines, drops trailing unnamed empty columns and reads rows under a second header with
another column order under their own header. Each repair is reported in the table's warnings.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pyarrow as pa

from intel.mapping import suggest_mapping
from intel.readers.raw import RawTable


# --------------------------------------------------------------------------------------------
# whole-file structure: blank and total lines, a second header with another column order
# --------------------------------------------------------------------------------------------

_TOTAL = re.compile(
    r"^\s*(grand\s*|sub\s*-?\s*|sous\s*-?\s*)?(total|totales?|totaux|totals|suma|somme|summe|gesamt|ukupno)"
    r"(\s+g[ée]n[ée]ral|\s+general)?\s*:?\s*$", re.IGNORECASE)


def _null_mask(col: pd.Series) -> np.ndarray:
    return col.isna().to_numpy(dtype=bool)


def _blank_cells(col: pd.Series) -> np.ndarray:
    """Cells that are empty, null or only whitespace (a line of ``"  ;  ;;"`` is a blank line)."""
    if isinstance(col.dtype, pd.StringDtype) and col.dtype.storage == "pyarrow":
        import pyarrow.compute as pc

        arr = col.array.__arrow_array__()
        space = pc.or_(pc.equal(pc.utf8_length(arr), 0), pc.utf8_is_space(arr))
        return (pc.fill_null(space, True)).to_numpy(zero_copy_only=False)
    out = col.isna().to_numpy(dtype=bool).copy()
    for i in np.flatnonzero(~out):
        v = col.iat[i]
        out[i] = isinstance(v, str) and not v.strip()
    return out


def _total_rows(frame: pd.DataFrame, cols: list, sparse: np.ndarray) -> np.ndarray:
    """Positions (of ``sparse``) whose row holds a total label (``TOTAL``, ``Total général``...)
    in any column: a total line labels its sum in the id column or next to the count."""
    hit = np.zeros(len(sparse), dtype=bool)
    if not len(sparse):
        return hit
    for c in cols:
        sub = frame[c].iloc[sparse]
        if sub.dtype == object:
            m = np.fromiter((isinstance(v, str) and _TOTAL.match(v) is not None for v in sub), bool, len(sub))
        else:
            m = sub.astype("string").str.match(_TOTAL).fillna(False).to_numpy(dtype=bool)
        hit |= m
    return hit


def _positions_in(col: pd.Series, values: list[str]) -> np.ndarray:
    """Positions of the cells of ``col`` equal to one of ``values`` (Arrow kernels on Arrow text)."""
    if isinstance(col.dtype, pd.StringDtype) and col.dtype.storage == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = col.array.__arrow_array__()
        hit = np.zeros(len(col), dtype=bool)
        for v in values:   # one vectorised comparison per name: cheaper than a hash set over every cell
            eq = pc.fill_null(pc.equal(arr, pa.scalar(v, arr.type)), False)
            hit |= eq.to_numpy(zero_copy_only=False)
        return np.flatnonzero(hit)
    return np.flatnonzero(col.isin(values).to_numpy(dtype=bool))


def _rebuild(frame: pd.DataFrame, values: dict[str, list]) -> pd.DataFrame:
    """A frame of the same kind (Arrow text or object columns) from per-column value lists."""
    arrow = all(isinstance(frame[c].dtype, pd.StringDtype) for c in frame.columns) and len(frame.columns) > 0
    if arrow:
        return pd.DataFrame({c: pd.Series(v, dtype=pd.StringDtype("pyarrow")) for c, v in values.items()})
    return pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in values.items()})


def tidy_rows(raw: RawTable) -> RawTable:
    """Skip blank (delimiter-only) lines and total lines, drop trailing unnamed empty columns,
    and read the rows of a second header with another column order under their own header.

    Every skipped line is reported in ``raw.warnings`` with its row number (and the values of
    a total line). A second header line in the same column order is left in place: the
    importer rejects it as ``REPEATED_HEADER`` (with its raw values). A second header in
    another order (two exports concatenated) is rewritten in the first header's order, and
    the rows under it, up to the next header, are read under their own column names; names
    the first header does not have become new columns.
    """
    frame, rows = raw.frame, np.asarray(raw.row_numbers)
    cols = [c for c in frame.columns if not str(c).startswith("__")]
    if not len(frame) or not cols:
        return raw
    # trailing columns with no name and no value (a formatted range wider than the data)
    drop_cols = []
    for i in range(len(frame.columns) - 1, -1, -1):
        c = frame.columns[i]
        if c == f"column_{i + 1}" and _null_mask(frame[c]).all():
            drop_cols.append(c)
        else:
            break
    if drop_cols and len(drop_cols) < len(frame.columns):
        frame = frame.drop(columns=drop_cols)
        cols = [c for c in cols if c not in drop_cols]
        raw.warnings.append(f"{len(drop_cols)} trailing column(s) with no name and no value were ignored.")
    nulls = [_null_mask(frame[c]) for c in cols]
    filled = len(cols) - np.add.reduce(nulls, dtype=np.int32)
    # a blank line has every cell empty or only spaces; only lines whose first cell is blank can be
    # one, so the other columns are looked at on those lines only (cheap at a million rows)
    cand = np.flatnonzero(_blank_cells(frame[cols[0]]))
    blank = np.ones(len(cand), dtype=bool)
    for c in cols[1:]:
        if not len(cand):
            break
        blank &= _blank_cells(frame[c].iloc[cand])
    empty = np.zeros(len(frame), dtype=bool)
    empty[cand[blank]] = True
    total = np.zeros(len(frame), dtype=bool)
    sparse = np.flatnonzero((filled <= max(2, len(cols) // 2)) & ~empty)   # a total line is mostly empty
    total[sparse] = _total_rows(frame, cols, sparse)
    notes = []
    if empty.any():
        rn = rows[empty]
        notes.append(f"{len(rn)} blank or delimiter-only line(s) were skipped, not records (row(s) "
                     f"{', '.join(str(int(r)) for r in rn[:20])}{'...' if len(rn) > 20 else ''}).")
    if total.any():
        shown = []
        for p in np.flatnonzero(total)[:5]:
            vals = {c: frame[c].iloc[p] for c in cols}
            vals = {c: v for c, v in vals.items() if v is not None and v is not pd.NA}
            shown.append(f"row {int(rows[p])}: {json.dumps(vals, ensure_ascii=False, default=str)}")
        notes.append(f"{int(total.sum())} total line(s) were skipped, not seizures ({'; '.join(shown)}).")
    keep = ~(empty | total)
    if not keep.all():
        frame = frame[keep].reset_index(drop=True)
        rows = rows[keep]
        raw.warnings.extend(notes)
    raw.frame, raw.row_numbers = frame, rows
    return _realign_second_headers(raw, cols)


def _realign_second_headers(raw: RawTable, cols: list) -> RawTable:
    frame, rows = raw.frame, raw.row_numbers
    names = {str(c): c for c in cols}
    cand = _positions_in(frame[cols[0]], list(names))
    headers = []
    for p in cand:
        vals = [frame[c].iloc[p] for c in cols]
        vals = [None if v is None or v is pd.NA else v for v in vals]
        hits = sum(isinstance(v, str) and v.strip() in names for v in vals)
        if hits < max(2, len(cols) // 2):
            continue
        same = sum(isinstance(v, str) and v.strip() == str(c) for v, c in zip(vals, cols))
        headers.append((p, vals, same == hits))
    if not any(not same for _, _, same in headers):
        return raw
    values = {c: frame[c].astype(object).tolist() for c in frame.columns}
    for c in values:
        values[c] = [None if v is pd.NA else v for v in values[c]]
    bounds = [p for p, _, _ in headers] + [len(frame)]
    moved = []
    for k, (p, hdr, same) in enumerate(headers):
        if same:
            continue
        own = [str(v).strip() if v is not None else None for v in hdr]
        for name in own:
            if name is not None and name not in values:
                values[name] = [None] * len(frame)
        for r in range(p, bounds[k + 1]):
            row = [values[c][r] for c in cols]
            for c in cols:
                values[c][r] = None
            for name, v in zip(own, row):
                if name is not None:
                    values[name][r] = v
        moved.append(f"row {int(rows[p])} (rows {int(rows[p])}-{int(rows[bounds[k + 1] - 1])})")
    new = _rebuild(frame, values)
    raw.frame = new
    raw.warnings.append("A second header with another column order was found at " + ", ".join(moved)
                        + " (two exports joined in one file): the rows under it were read under their own "
                        "header; the header line itself is listed as a repeated header.")
    return raw
HEADER_SCAN_ROWS = 30            # non-empty rows searched for the header
_RECORD_FIELDS = {"event_date", "latitude", "longitude", "point", "place"}
"""A sheet or layer holds records when its header maps at least two fields, one of them these."""


def known_fields(names: list) -> set[str]:
    """Standard fields that :func:`intel.mapping.suggest_mapping` finds among ``names``."""
    return set(suggest_mapping([str(n).strip() for n in names if isinstance(n, str) and n.strip()]))


def _is_header_like(vals: list) -> bool:
    texts = [v for v in vals if v is not None]
    return len(texts) >= 2 and all(isinstance(v, str) for v in texts)


def holds_records(fields: set[str]) -> bool:
    return len(fields) >= 2 and bool(fields & _RECORD_FIELDS)


def _combine_header(upper: list, lower: list) -> list:
    """One name per column from a two-row header: the lower name, or the upper one where the
    lower cell is empty (a name merged down); a lower name repeated under several groups
    is prefixed with its group (the upper name, carried across its merged cells)."""
    width = max(len(upper), len(lower))
    upper = upper + [None] * (width - len(upper))
    lower = lower + [None] * (width - len(lower))
    group, filled = None, []
    for u in upper:
        group = u if u is not None else group
        filled.append(group)
    counts: dict[str, int] = {}
    for v in lower:
        if v is not None:
            k = str(v).strip().lower()
            counts[k] = counts.get(k, 0) + 1
    out = []
    for j, v in enumerate(lower):
        if v is None:
            out.append(upper[j])
        elif counts[str(v).strip().lower()] > 1 and filled[j] is not None:
            out.append(f"{str(filled[j]).strip()} {str(v).strip()}")
        else:
            out.append(v)
    return out


def find_header(top: list[tuple[int, list]]) -> tuple[int, list, list[str]]:
    """Header of a sheet from its first non-empty rows.

    Parameters
    ----------
    top : list of (row number, values)
        The first non-empty rows of the sheet (1-based row numbers).

    Returns
    -------
    (int, list, list of str)
        Position in ``top`` of the (last) header row, the header names (one per column; a
        two-row header combined), and plain-English notes on what was skipped or combined.

    Notes
    -----
    The header is the row whose names map the most standard fields (at least two); title rows
    above it are skipped. A row directly above it with at least two text cells and fewer
    known names (group headings over merged cells, e.g. ``Identification | Localisation``)
    makes a two-row header: each column takes its name from the lower row, or from the upper
    row where the lower cell is empty (a vertically merged name); names repeated in the lower
    row are prefixed with their group. Without a row mapping two fields the first non-empty
    row is the header, as written.
    """
    notes: list[str] = []
    best, best_n = 0, 1
    for i, (_, vals) in enumerate(top):
        if _is_header_like(vals):
            k = len(known_fields(vals))
            if k > best_n:
                best, best_n = i, k
    rn, header = top[best]
    header = list(header)
    if best_n < 2:   # no row of known names: the first non-empty row, as written
        if rn != 1:
            notes.append(f"The header was found on row {rn}, not row 1.")
        return best, header, notes
    first = best
    below = top[best + 1] if best + 1 < len(top) else None
    above = top[best - 1] if best > 0 else None
    if below is not None and below[0] == rn + 1 and _is_header_like(below[1]) and any(
            (j >= len(header) or header[j] is None) and v is not None for j, v in enumerate(below[1])):
        # the known names are group headings over merged cells; the column names are below
        header = _combine_header(header, list(below[1]))
        notes.append(f"Rows {rn}-{below[0]} form a two-row header: group headings on row {rn}, column names "
                     f"on row {below[0]}.")
        best += 1
    elif (above is not None and above[0] == rn - 1 and _is_header_like(above[1])
          and len(known_fields(above[1])) < best_n
          and sum(v is not None for v in above[1]) < sum(v is not None for v in header)):
        header = _combine_header(list(above[1]), header)
        groups = [str(u).strip() for u in above[1] if u is not None]
        notes.append(f"Rows {above[0]}-{rn} form a two-row header: group headings on row {above[0]} "
                     f"({', '.join(groups)}), column names on row {rn}.")
        first = best - 1
    skipped = top[:first]
    if skipped:
        shown = "; ".join(repr(" ".join(str(v) for v in vals if v is not None)[:60]) for _, vals in skipped[:3])
        notes.append(f"The header was found on row {top[best][0]}: row(s) {', '.join(str(r) for r, _ in skipped)} "
                     f"above it were skipped as titles ({shown}).")
    elif top[first][0] != 1:
        notes.append(f"The header was found on row {top[first][0]}, not row 1.")
    return best, header, notes
