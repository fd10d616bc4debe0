"""Detection of a CSV file's encoding, delimiter and decimal mark.

Part of :mod:`intel.readers`, used by :mod:`intel.readers.csvfile` before the text is split into
cells. The encoding is UTF-8 (with or without BOM, or with a few invalid bytes replaced), else
Windows-1252, else what charset-normalizer recognises; the delimiter is the one of
``, ; TAB |`` that splits the first lines most consistently; the decimal mark and thousands
separator come from numeric-looking cells. Each guess that is not certain leaves a warning.
"""
from __future__ import annotations

import codecs
import csv
import io
import re

import numpy as np
import pandas as pd
import pyarrow as pa

from intel.readers.raw import UTF8_REPLACED

_DELIMITERS = [",", ";", "\t", "|"]
SAMPLE_BYTES = 1 << 20           # bytes used for detection
_NONLATIN = ("Cyrillic", "Greek", "Arabic", "Hebrew", "Thai", "CJK", "Hangul", "Hiragana", "Katakana")


def _utf8_replacements(data: bytes) -> int | None:
    """Invalid UTF-8 sequences of ``data`` when it is UTF-8 but for a few of them, else None.

    "A few": at least one valid non-ASCII character and no more invalid sequences than valid
    non-ASCII characters (a cp1252 or Latin-1 file has almost no valid UTF-8 sequence: its
    accented letters are lone bytes). Python's decoder never swallows an ASCII byte into a
    replacement, so the counts come from the decoded length and the ASCII bytes.
    """
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode("utf-8"))
    if bad <= 0:
        return None
    ascii_bytes = int((np.frombuffer(data, dtype=np.uint8) < 0x80).sum())
    valid = len(text) - ascii_bytes - text.count("\ufffd") + data.count("\ufffd".encode("utf-8"))
    return bad if valid >= bad else None


def is_utf8(data: bytes) -> bool:
    """True when ``data`` is valid UTF-8 (Arrow's vectorised validation; no decoded copy)."""
    if data.isascii():
        return True
    try:
        offsets = pa.array([0, len(data)], pa.int64()).buffers()[1]
        arr = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
        arr.cast(pa.large_string())
        return True
    except pa.ArrowInvalid:   # not UTF-8
        return False


def utf16_without_bom(data: bytes) -> str | None:
    """Whether ``data`` is UTF-16 text without a byte-order mark, and which byte order.

    Returns ``"utf-16-le"``/``"utf-16-be"`` when ``data`` is UTF-16 text written without a byte-order
    mark (some "Unicode text" exports): in the first 4 KiB, at least 30 % of the bytes at odd
    (little-endian) or even (big-endian) positions are NUL and almost none (< 5 %) at the others,
    the pattern of text whose characters are mostly below U+0100; and at least 95 % of the
    decoded characters are printable or tab/CR/LF (binary data with NUL patterns is not text).
    None otherwise.

    Parameters
    ----------
    data : bytes
        The file's bytes (only the first 4 KiB are looked at).

    Returns
    -------
    str or None
    """
    head = data[:4096]
    if len(head) < 8 or len(head) % 2 or b"\x00" not in head:
        return None
    even, odd = head[0::2], head[1::2]
    e0, o0 = even.count(0) / len(even), odd.count(0) / len(odd)
    enc = "utf-16-le" if o0 >= 0.3 and e0 < 0.05 else "utf-16-be" if e0 >= 0.3 and o0 < 0.05 else None
    if enc is None:
        return None
    text = head.decode(enc, errors="replace")
    readable = sum(ch.isprintable() or ch in "\t\r\n" for ch in text)
    return enc if readable >= 0.95 * len(text) else None


def detect_encoding(data: bytes, warnings: list[str]) -> str:
    """Codec name for ``data``; see the module overview for the rule."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    bomless = utf16_without_bom(data)
    if bomless:
        warnings.append(f"The file has no byte-order mark but its bytes are UTF-16 "
                        f"({'little' if bomless.endswith('le') else 'big'}-endian); it was decoded as such.")
        return bomless
    if is_utf8(data):
        return "utf-8"
    bad = _utf8_replacements(data)
    if bad is not None:
        warnings.append(f"The file is UTF-8 but for {bad} invalid byte sequence(s); each was replaced by \ufffd "
                        "and its row is held back (ENCODING_INVALID) where it falls in a mapped column. The rest "
                        "of the file was read as UTF-8.")
        return UTF8_REPLACED
    guess = None
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:SAMPLE_BYTES]).best()
        if best is not None:
            guess = best
    except Exception:  # pragma: no cover - detection is best effort
        guess = None
    nonlatin = False
    if guess is not None:
        alphabets = " ".join(getattr(guess, "alphabets", []) or [])
        nonlatin = any(a in alphabets for a in _NONLATIN)
    if not nonlatin:
        try:
            data.decode("cp1252")
            warnings.append("The file is not UTF-8; it was decoded as Windows-1252 (cp1252).")
            return "cp1252"
        except UnicodeDecodeError:
            pass
    if guess is not None:
        warnings.append(f"The file is not UTF-8; it was decoded as {guess.encoding} (detected).")
        return guess.encoding
    warnings.append("The file is not UTF-8; it was decoded as ISO-8859-1 (Latin-1).")
    return "latin-1"


def sniff_delimiter(text: str) -> str:
    """Delimiter giving the most consistent field count over the first lines of ``text``."""
    lines = text.splitlines()[:60]
    sample = "\n".join(lines)
    best, best_score = ",", (-1.0, 0)
    for d in _DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(sample), delimiter=d) if r]
        except csv.Error:
            continue
        if len(rows) > 1 and len(lines) >= 60:
            rows = rows[:-1]  # the last sampled line may be cut
        counts = [len(r) for r in rows]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode < 2:
            continue
        consistency = counts.count(mode) / len(counts)
        score = (consistency, mode)
        if score > best_score:
            best, best_score = d, score
    return best


_DEC_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_DEC_COMMA_GROUPED = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+,\d+$")
_DOT_GROUPED = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")
_DEC_DOT = re.compile(r"^[+-]?\d*\.\d+$")
_COMMA_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def detect_decimal(frame: pd.DataFrame, delimiter: str | None) -> tuple[str, str | None]:
    """Decimal mark and thousands separator from numeric-looking cells of ``frame``."""
    comma = dot = dotgroup = commagroup = 0
    head = frame.head(2000)
    for col in head.columns:
        for v in head[col].dropna().unique()[:500]:
            if not isinstance(v, str):
                continue
            t = v.strip()
            if not t or len(t) > 40:
                continue
            if _DEC_COMMA_GROUPED.match(t):
                comma += 2
            elif _DEC_COMMA.match(t):
                # '1,250' could be a grouped thousand; '-34,6037' cannot
                if re.match(r"^[+-]?\d{1,3},\d{3}$", t):
                    commagroup += 1
                else:
                    comma += 1
            elif _DOT_GROUPED.match(t):
                dotgroup += 1
            elif _DEC_DOT.match(t):
                dot += 1
            elif _COMMA_GROUPED.match(t):
                commagroup += 1
    if comma > dot:
        return ",", "."
    if commagroup and not comma and delimiter != ",":
        return ".", ","
    return ".", None
