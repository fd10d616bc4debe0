"""Safe rendering and safe input: record text never becomes HTML, script or a path.

Record values come from agency files and are hostile until shown otherwise. Three edges
matter:

Map tooltips
    deck.gl renders a map tooltip given as ``{"html": ...}`` with ``innerHTML`` after
    substituting ``{column}`` placeholders with the raw values, so a record text such as
    ``<img src=x onerror=alert(1)>`` would run. :func:`escape_record_text` HTML-escapes every
    string value of the frame a layer is built from (the placeholders then insert inert
    text). A tooltip given as ``{"text": ...}`` is set with ``innerText`` and is safe with raw
    values (escaped values would show as ``&lt;``). Use ``html`` with an escaped frame, or
    ``text`` with the raw frame; never ``html`` with raw values.
Spreadsheet exports
    A CSV cell starting with ``=``, ``+``, ``-``, ``@``, TAB or CR is run as a formula by
    spreadsheet programs (OWASP "CSV injection"). :func:`csv_safe` prefixes such text cells
    (and column names) with an apostrophe in exported copies, except numbers written as text
    (``-12.5``); the store keeps the value verbatim. Every CSV export is written by
    :func:`csv_bytes` (or :func:`write_csv`), which applies it.
Uploads
    :func:`safe_filename` reduces an uploaded file name to a plain base name (no directory,
    no ``..``, no NUL or control characters, bounded length, extension kept);
    :func:`check_upload` enforces :data:`ALLOWED_UPLOAD_TYPES`, :data:`MAX_UPLOAD_MB` and
    a check of the first bytes against the claimed type. :func:`private_upload` holds the bytes
    in a file of a directory of its own (mode 0700, under :func:`upload_base`, itself 0700 and
    owned by this user) only while a reader needs them, and deletes it whatever happens.

SQL is parameterised everywhere in :mod:`intel`; identifiers that reach SQL text are
product constants, and the user-derived literals of :func:`intel.auth.visible_sql` (a
country code, checked against ``^[A-Z]{3}$``, and an account name, checked against the
account-name rule and quoted) are checked first.
"""
from __future__ import annotations

import html
import os
import re
import shutil
import stat
import tempfile
import unicodedata
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

import pandas as pd

from intel.readers import utf16_without_bom

ALLOWED_UPLOAD_TYPES: tuple[str, ...] = ("csv", "tsv", "txt", "xlsx", "geojson", "json", "gpkg", "parquet")
"""File extensions (lower case, no dot) the importer accepts from an upload."""

MAX_UPLOAD_MB: int = int(os.environ.get("INTEL_MAX_UPLOAD_MB", "200"))
"""Largest upload in MB of 2^20 bytes, the same as Streamlit's ``server.maxUploadSize`` default."""

MAX_FILENAME_LEN = 120
"""Longest sanitised file name, characters (extension included)."""

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def escape_text(value) -> str:
    """HTML-escaped text of one value (``& < > " '`` become entities); ``None`` gives ``''``."""
    if value is None:
        return ""
    return html.escape(str(value), quote=True)


def _is_text_column(s: pd.Series) -> bool:
    return s.dtype == object or pd.api.types.is_string_dtype(s.dtype)


def escape_record_text(df: pd.DataFrame, columns=None) -> pd.DataFrame:
    """A copy of ``df`` whose string values are HTML-escaped, for deck.gl map tooltips
    (:mod:`intel.render`).

    Parameters
    ----------
    df : pandas.DataFrame
        The data of a pickable layer.
    columns : sequence of str, optional
        Columns to escape; default every text (object or string dtype) column. Non-string
        values inside those columns (numbers, lists, ``None``) are left as they are, except
        lists and tuples of strings, whose items are escaped.

    Returns
    -------
    pandas.DataFrame
        The escaped copy; ``df`` itself is unchanged.

    Notes
    -----
    Escape only what is rendered: do not feed the escaped frame back into the store or into
    an export (``&lt;`` would be written literally).
    """
    out = df.copy()
    cols = list(columns) if columns is not None else [c for c in out.columns if _is_text_column(out[c])]

    def esc(v):
        if isinstance(v, str):
            return html.escape(v, quote=True)
        if isinstance(v, (list, tuple)):
            return type(v)(html.escape(x, quote=True) if isinstance(x, str) else x for x in v)
        return v

    for c in cols:
        if c in out.columns:
            out[c] = out[c].astype(object).map(esc)
    return out


_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")
"""A number written as text (``-12.5``, ``+3``, ``1e-3``, ``-0,5``): left as it is, since a
spreadsheet reads it as the number it is, not as a formula."""


def csv_cell(v):
    """One exported cell made inert: a text starting with ``=``, ``+``, ``-``, ``@``, TAB or CR
    gets a leading apostrophe (OWASP "CSV injection"), unless the whole text is a number such
    as ``-12.5``; anything that is not text (numbers, dates, ``None``) is returned as it is."""
    if isinstance(v, str) and v.startswith(_FORMULA_START) and not _NUMBER_RE.fullmatch(v):
        return "'" + v
    return v


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` safe to open in a spreadsheet (:func:`csv_cell` on every text cell and on
    the column names). Numeric columns and numbers written as text are untouched; the store
    keeps every value verbatim."""
    out = df.copy()
    for c in out.columns:
        if _is_text_column(out[c]) or isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(object).map(csv_cell)
    out.columns = [csv_cell(c) for c in out.columns]
    return out


def csv_bytes(df: pd.DataFrame, **to_csv) -> bytes:
    """``df`` as UTF-8 CSV bytes for an export, made safe by :func:`csv_safe`.

    The one writer of every CSV export (pages, CLI, analyses): ``index=False`` unless given.

    Parameters
    ----------
    df : pandas.DataFrame
    **to_csv
        Passed to :meth:`pandas.DataFrame.to_csv`.

    Returns
    -------
    bytes
    """
    to_csv.setdefault("index", False)
    return csv_safe(df).to_csv(**to_csv).encode("utf-8")


def write_text_atomic(path, text: str, mode: int = 0o644) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a unique temporary file in the same folder and a
    rename, so that concurrent writers (two servers, a server and the CLI) never share a temporary
    file and readers never see half a file. The folder is created when missing.

    Parameters
    ----------
    path : str or os.PathLike
    text : str
    mode : int
        Permission bits of the file (``0o600`` for the users file).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p


def write_csv(df: pd.DataFrame, path, **to_csv) -> None:
    """Write ``df`` made safe by :func:`csv_safe` to ``path`` (a file name or an open text file),
    for the CLI's CSV outputs; ``index=False`` unless given."""
    to_csv.setdefault("index", False)
    csv_safe(df).to_csv(path, **to_csv)


def safe_filename(name, max_len: int = MAX_FILENAME_LEN, default: str = "upload") -> str:
    """A plain base name for an uploaded file.

    Directories (``/`` and ``\\``), ``..``, NUL and other control or format characters are
    removed, runs of whitespace become one space, characters outside letters, digits and
    ``space . _ - ( ) + ,`` become ``_``, leading dots and Windows device names are defused,
    and the result is cut to ``max_len`` characters keeping the (lower-cased) extension.

    Parameters
    ----------
    name : str
        The name as the browser sent it.
    max_len : int
    default : str
        Stem used when nothing of the name remains.

    Returns
    -------
    str
        Never empty, never containing a path separator or ``..``.

    Examples
    --------
    >>> safe_filename("../../etc/passwd")
    'passwd'
    >>> safe_filename("C:\\\\Users\\\\x\\\\seizures 2024.CSV")
    'seizures 2024.csv'
    """
    s = unicodedata.normalize("NFC", str(name or ""))
    s = "".join(ch for ch in s if unicodedata.category(ch)[0] != "C")  # control, format, surrogate, private
    s = s.replace("\\", "/")
    s = PurePosixPath(s).name if "/" in s else s
    s = re.sub(r"\.{2,}", ".", s)
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"[^\w .()+,-]", "_", s)
    s = s.lstrip(". ")
    stem, dot, ext = s.rpartition(".")
    if not dot:
        stem, ext = s, ""
    ext = ext.lower()[:16]
    stem = stem.strip(" .") or default
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = "_" + stem
    room = max(1, max_len - (len(ext) + 1 if ext else 0))
    stem = stem[:room].rstrip(" .") or default
    return f"{stem}.{ext}" if ext else stem


_MAGIC = {
    "xlsx": (b"PK\x03\x04",),
    "gpkg": (b"SQLite format 3\x00",),
    "parquet": (b"PAR1",),
}


def check_upload(name: str, data: bytes, max_mb: int | None = None) -> str:
    """Check an upload and return its sanitised name.

    Parameters
    ----------
    name : str
        File name as sent by the browser.
    data : bytes
        The file's content.
    max_mb : int, optional
        Size limit in MiB; default :data:`MAX_UPLOAD_MB`.

    Returns
    -------
    str
        :func:`safe_filename` of ``name``.

    Raises
    ------
    ValueError
        Type not allowed, empty, too large, or content that does not match the type (a plain
        sentence for the page).
    """
    safe = safe_filename(name)
    ext = safe.rpartition(".")[2].lower() if "." in safe else ""
    if ext not in ALLOWED_UPLOAD_TYPES:
        raise ValueError(f"Files of type '.{ext}' are not supported; use one of: "
                         f"{', '.join('.' + t for t in ALLOWED_UPLOAD_TYPES)}." if ext else
                         "The file has no extension; name it .csv, .xlsx, .geojson, .gpkg or .parquet.")
    limit = MAX_UPLOAD_MB if max_mb is None else max_mb
    if not data:
        raise ValueError(f"{safe} is empty.")
    if len(data) > limit * 1024 * 1024:
        raise ValueError(f"{safe} is larger than {limit} MB; import it with `intel import` instead.")
    head = bytes(data[:4096])
    magic = _MAGIC.get(ext)
    if magic and not any(head.startswith(m) for m in magic):
        raise ValueError(f"{safe} does not look like a .{ext} file (its first bytes do not match).")
    if ext in ("csv", "tsv", "txt", "geojson", "json"):
        if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")) \
                and not utf16_without_bom(head):   # NUL outside UTF-16 text (with or without its BOM)
            raise ValueError(f"{safe} is not a text file (it contains NUL bytes).")
        if head.startswith((b"PK\x03\x04", b"SQLite format 3", b"PAR1", b"\x7fELF", b"MZ")):
            raise ValueError(f"{safe} is a binary file, not .{ext} text.")
    return safe


__all__ = ["ALLOWED_UPLOAD_TYPES", "MAX_UPLOAD_MB", "MAX_FILENAME_LEN", "escape_text", "escape_record_text",
           "csv_safe", "csv_cell", "csv_bytes", "write_csv", "safe_filename", "check_upload"]


UPLOAD_DIR_ENV = "INTEL_UPLOAD_DIR"
"""Environment variable naming the private base directory of uploads (default: see :func:`upload_base`)."""


def upload_base() -> Path:
    """The private base directory of uploads, created with mode 0700 when missing.

    ``$INTEL_UPLOAD_DIR``, else ``<system temp>/intel-uploads-<uid>``. It must be a real
    directory (not a symbolic link) owned by this user; a wider mode is narrowed to 0700.

    Raises
    ------
    PermissionError
        The path exists but is a link, not a directory, or another user's (one plain sentence).
    """
    uid = os.getuid() if hasattr(os, "getuid") else 0
    base = Path(os.environ.get(UPLOAD_DIR_ENV) or Path(tempfile.gettempdir()) / f"intel-uploads-{uid}")
    try:
        base.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        pass
    st = os.lstat(base)
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode) or (hasattr(os, "getuid") and st.st_uid != uid):
        raise PermissionError(f"the upload folder {base} is not a private folder of this user (a link, a file or "
                              f"another user's); remove it or set {UPLOAD_DIR_ENV} to another folder.")
    if stat.S_IMODE(st.st_mode) != 0o700:
        os.chmod(base, 0o700)
    return base


@contextmanager
def private_upload(name: str, data: bytes):
    """Hold uploaded bytes in a private file for the duration of the block, then delete it.

    A new directory (mode 0700) is made under :func:`upload_base` for this upload alone and the
    file (mode 0600, the safe base name of ``name``, so its extension is kept) is written in it;
    the directory and everything in it are removed when the block ends, normally or by an
    exception (Streamlit's ``st.stop`` and ``st.rerun`` included).

    Parameters
    ----------
    name : str
        Uploaded file name (made safe with :func:`safe_filename`).
    data : bytes

    Yields
    ------
    Path
        The private file.
    """
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=upload_base()))   # mkdtemp: mode 0700
    try:
        path = folder / safe_filename(name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)
