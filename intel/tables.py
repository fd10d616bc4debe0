"""Arrow tables typed like the store's tables, for bulk inserts into DuckDB.

:func:`arrow_table` converts a DataFrame column by column to the store table's types (so
sparse columns are never type-guessed); :func:`arrow_table_fast` does the same without a
Python loop per value where the column allows it (Arrow-backed text is passed through);
:func:`dictionary_text` dictionary-encodes few-valued text columns, which DuckDB compresses in
about half the time. Imports hand DuckDB record batches of :data:`ROW_GROUP_ROWS` rows so that
it scans and compresses them on every core.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from intel import parse

ROW_GROUP_ROWS = 122_880
"""Rows of one DuckDB row group (its storage default): the size of the record batches an
import hands to DuckDB, so that each batch fills whole row groups."""

_ARROW = {"VARCHAR": "string", "DOUBLE": "float64", "UBIGINT": "uint64", "BIGINT": "int64", "INTEGER": "int64",
          "DATE": "timestamp", "JSON": "string", "VARCHAR[]": "list", "TIMESTAMP": "timestamp", "BOOLEAN": "bool"}


def arrow_table(con, table: str, df: pd.DataFrame):
    """The rows of ``df`` as an Arrow table typed like the store table (no type guessing on
    sparse columns); store columns missing from ``df`` are NULL."""
    import pyarrow as pa

    arrays, names = [], []
    for name, typ in con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_name = ? ORDER BY ordinal_position", [table]).fetchall():
        kind = _ARROW.get(typ, "string")
        n = len(df)
        if name not in df.columns:
            arrays.append(pa.nulls(n, pa.list_(pa.string()) if kind == "list" else pa.large_string()))
        else:
            col = df[name]
            if kind == "string":
                v = col.astype(object).where(col.notna(), None).to_numpy()
                arrays.append(pa.array([None if x is None else str(x) for x in v], pa.large_string()))
            elif kind == "float64":
                arrays.append(pa.array(pd.to_numeric(col, errors="coerce").to_numpy(dtype=float), pa.float64(), from_pandas=True))
            elif kind == "uint64":
                arrays.append(pa.array(col.to_numpy(dtype="uint64"), pa.uint64()))
            elif kind == "int64":
                arrays.append(pa.array(col.to_numpy(dtype="int64"), pa.int64()))
            elif kind == "timestamp":
                arrays.append(pa.array(pd.to_datetime(col).to_numpy(dtype="datetime64[ns]"), pa.timestamp("ns"), from_pandas=True))
            elif kind == "list":
                arrays.append(pa.array(col.tolist(), pa.list_(pa.string())))
            else:
                arrays.append(pa.array(col.tolist()))
        names.append(name)
    return pa.Table.from_arrays(arrays, names=names)


def arrow_table_fast(con, table: str, df: pd.DataFrame):
    """:func:`arrow_table` without a Python loop per value where the column allows it (text
    columns of str/None, list columns); any other column is converted by :func:`arrow_table`."""
    import pyarrow as pa

    slow = arrow_table(con, table, df.iloc[:0])   # the store's schema, typed
    arrays = []
    for fld in slow.schema:
        name, n = fld.name, len(df)
        if name not in df.columns:
            arrays.append(pa.nulls(n, fld.type))
            continue
        col = df[name]
        arr = None
        dt = col.dtype
        if pa.types.is_floating(fld.type) and dt == np.float64:
            arr = pa.array(col.to_numpy(), pa.float64(), from_pandas=True)   # NaN -> NULL as before
        elif pa.types.is_integer(fld.type) and dt.kind in "iu" and not isinstance(dt, pd.api.extensions.ExtensionDtype):
            arr = pa.array(col.to_numpy(dtype=fld.type.to_pandas_dtype()), fld.type)
        elif pa.types.is_timestamp(fld.type) and dt == "datetime64[ns]":
            arr = pa.array(col.to_numpy(dtype="datetime64[ns]"), pa.timestamp("ns"), from_pandas=True)
        elif dt == object and _all_none(col):
            arr = pa.nulls(n, fld.type)
        elif pa.types.is_large_string(fld.type) and parse.arrow_str(col) is not None:
            arr = parse.arrow_str(col).cast(fld.type)   # already Arrow text (pandas 'str': no copy)
        elif pa.types.is_large_string(fld.type) or pa.types.is_list(fld.type):
            try:
                arr = pa.array(col.to_numpy(dtype=object), fld.type, from_pandas=True)
            except (pa.ArrowTypeError, pa.ArrowInvalid, TypeError):
                arr = None   # numbers or other objects in a text column: str() them as before
        if arr is None:
            arr = arrow_table(con, table, df[[name]]).column(name)
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, schema=slow.schema)


def dictionary_text(tbl):
    """``tbl`` with its few-valued text columns dictionary-encoded (status, kind, country,
    type, ...): DuckDB compresses a dictionary column in about half the time of plain text.
    A column is encoded when its first 4,096 values hold at most 64 distinct ones."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols, fields = [], []
    for fld, col in zip(tbl.schema, tbl.columns):
        if pa.types.is_large_string(fld.type) and len(col) > 4096 and col.null_count < len(col) \
                and pc.count_distinct(col.slice(0, 4096)).as_py() <= 64:
            col = pc.dictionary_encode(col)
            fld = pa.field(fld.name, col.type, fld.nullable)
        cols.append(col)
        fields.append(fld)
    return pa.Table.from_arrays(cols, schema=pa.schema(fields))


def _all_none(col: pd.Series) -> bool:
    """True when every value of an object column is missing (None/NaN: stored as NULL by
    :func:`arrow_table` whatever the column's type)."""
    return bool(pd.isna(col.to_numpy(dtype=object)).all())
