"""Calibre vocabulary: canonical cartridge names, their aliases, and the calibre matcher.

Part of the controlled vocabularies (:mod:`intel.nomenclature` re-exports every public name here).
Names follow C.I.P. / SAAMI cartridge designations; metric names are written ``<bore>x<case>mm``.
A raw calibre text is normalised (case, ``×`` and ``*`` for ``x``, decimal comma, ``cal.``/``mm``
words, spacing and stray dots) and the **whole** key is looked up: ``9mm Makarov`` can never
become ``9mm`` (9x19mm). Three tables: :data:`CALIBRES` (aliases of one cartridge),
:data:`CALIBRE_ASSUMED` (incomplete names with one usual reading, flagged ``CALIBRE_ASSUMED``) and
:data:`CALIBRE_AMBIGUOUS` (names that fit several cartridges, never resolved:
``CALIBRE_AMBIGUOUS``); anything else is ``CALIBRE_UNKNOWN``.
"""
from __future__ import annotations

import re
import unicodedata

import pandas as pd

from intel.vocabkeys import is_blank, map_unique, raw_text

__all__ = ["CALIBRES", "CALIBRE_ASSUMED", "CALIBRE_AMBIGUOUS", "match_calibre", "match_calibres"]


CALIBRES: list[tuple[str, list[str]]] = [
    ("9x19mm", ["9x19", "9x19mm", "9mm luger", "9 mm luger", "9mm parabellum", "9 mm parabellum", "9mm para",
                "9x19 para", "9 para", "9x19 parabellum", "9x19 luger", "9mm nato", "9x19 nato", "9 luger",
                "9 parabellum", "9mm pb", "9x19mm parabellum"]),
    ("9x17mm (.380 ACP)", [".380 acp", "380 acp", "380 auto", ".380 auto", ".380", "380", "9mm kurz", "9 kurz",
                           "9x17", "9x17mm", "9mm short", "9 short", "9mm browning court", "9 court", "9mm corto",
                           "9x17 kurz", ".380 acp (9x17mm)", "9mm browning short"]),
    ("9x18mm Makarov", ["9x18", "9x18 makarov", "9mm makarov", "9x18mm pm", "9x18 pm", "9 makarov", "9mm pm",
                        "9x18mm makarov", "9 mak", "9mm mak"]),
    ("9x21mm IMI", ["9x21", "9x21 imi", "9mm imi"]),
    ("9mm P.A.K.", ["9mm pak", "9 pak", "9mm p.a.k.", "9mm r.k.", "9mm rk", "9mm knall", "9mm blank",
                    "9mm pa", "9 mm p.a."]),
    (".38 Special", [".38 spl", "38 spl", ".38 special", "38 especial", "38 special", ".38 sp", ".38 spc",
                     ".38 s&w special", "38 spl.", ".38 especial", "38 esp", ".38 spec"]),
    (".38 Super", [".38 super", "38 super", ".38 super auto", "38 super auto", ".38 super acp"]),
    (".38 S&W", [".38 s&w", "38 s&w", "38 smith & wesson"]),
    (".357 Magnum", [".357 mag", "357 mag", ".357 magnum", "357 magnum", ".357 mag."]),
    (".357 SIG", [".357 sig", "357 sig"]),
    (".40 S&W", [".40 s&w", "40 sw", "40 s&w", ".40 sw", ".40 smith & wesson", "10x22mm"]),
    ("10mm Auto", ["10mm auto", "10 auto", "10mm"]),
    (".45 ACP", [".45 acp", "45 acp", "45 auto", ".45 auto", "11.43x23", "11.43x23mm", ".45 apc"]),
    (".45 Colt", [".45 colt", "45 colt", ".45 long colt", "45 lc", ".45 lc"]),
    (".44 Magnum", [".44 magnum", ".44 mag", "44 mag", "44 magnum", ".44 rem mag"]),
    (".44 Special", [".44 special", ".44 spl", "44 spl"]),
    (".32 ACP (7.65x17mm)", [".32 acp", "32 acp", "32 auto", ".32 auto", "7.65 browning", "7.65mm browning",
                             "7.65x17", "7.65x17mm", "7.65mm", "7.65"]),
    (".25 ACP (6.35x15mm)", [".25 acp", "25 acp", "25 auto", ".25 auto", "6.35 browning", "6.35mm", "6.35x15",
                             "6.35"]),
    (".32 S&W Long", [".32 s&w long", "32 s&w long", ".32 long"]),
    (".22 LR", [".22 lr", "22 lr", ".22lr", "22lr", "22 l.r.", ".22 long rifle", "22 long rifle", "5.6mm lr"]),
    (".22 Short", [".22 short", "22 short"]),
    (".22 WMR", [".22 wmr", "22 wmr", ".22 magnum", "22 mag", ".22 mag"]),
    ("7.62x25mm Tokarev", ["7.62x25", "7.62x25mm", "7.62 tokarev", "7.62x25 tokarev", "7.62 tt", ".30 tokarev"]),
    ("5.7x28mm", ["5.7x28", "5.7x28mm", "5.7 fn"]),
    ("4.6x30mm", ["4.6x30", "4.6x30mm"]),
    ("5.45x39mm", ["5.45x39", "5.45x39mm", "5.45 soviet"]),
    ("5.56x45mm NATO", ["5.56x45", "5.56x45mm", "5.56 nato", "5.56x45 nato", "5.56x45mm nato"]),
    (".223 Remington", [".223 rem", "223 rem", ".223 remington", ".223", "223"]),
    ("7.62x39mm", ["7.62x39", "7.62x39mm", "7.62 m43", "7.62x39 m43", "7.62 soviet", "7.62 short"]),
    ("7.62x51mm NATO", ["7.62x51", "7.62x51mm", "7.62 nato", "7.62x51 nato"]),
    ("7.62x54mmR", ["7.62x54r", "7.62x54mmr", "7.62x54", "7.62x54 r", "7.62x53r"]),
    (".308 Winchester", [".308 win", "308 win", ".308 winchester", ".308", "308"]),
    (".30-06 Springfield", [".30-06", "30-06", ".30-06 springfield", "30.06", "7.62x63"]),
    (".30-30 Winchester", [".30-30", "30-30", ".30-30 win"]),
    (".300 Winchester Magnum", [".300 win mag", "300 win mag", ".300 winchester magnum", "300 wm"]),
    (".300 AAC Blackout", [".300 blackout", "300 blk", ".300 aac blackout", "300 aac", "7.62x35"]),
    (".303 British", [".303 british", ".303", "303", "303 british"]),
    ("8x57mm IS", ["8x57", "8x57is", "8x57 is", "8mm mauser", "7.92x57", "7.92x57mm", "8x57mm"]),
    (".243 Winchester", [".243 win", "243 win", ".243"]),
    (".270 Winchester", [".270 win", "270 win", ".270"]),
    (".338 Lapua Magnum", [".338 lapua", "338 lapua", ".338 lapua magnum", "338 lm"]),
    (".50 BMG (12.7x99mm)", [".50 bmg", "50 bmg", "12.7x99", "12.7x99mm", ".50 browning"]),
    ("12.7x108mm", ["12.7x108", "12.7x108mm"]),
    ("12 gauge", ["12 ga", "12 gauge", "12ga", "12g", "12/70", "12/76", "12/89", "12 bore", "12", "cal. 12",
                  "calibre 12", "12 ga.", "calibre 12/70", "12 gage"]),
    ("16 gauge", ["16 ga", "16 gauge", "16ga", "16/70", "16", "16 bore"]),
    ("20 gauge", ["20 ga", "20 gauge", "20ga", "20/70", "20/76", "20 bore"]),
    ("28 gauge", ["28 ga", "28 gauge", "28ga"]),
    (".410 bore", [".410", "410", ".410 bore", "410 ga", "410 gauge", "36 ga", "36 gauge"]),
    ("40x46mm grenade", ["40x46", "40x46mm", "40mm grenade"]),
]
"""Canonical calibre (C.I.P./SAAMI name) and its aliases."""

CALIBRE_ASSUMED: dict[str, str] = {
    "9mm": "9x19mm", "9 mm": "9x19mm", "9": "9x19mm",
    "5.56": "5.56x45mm NATO", "5,56": "5.56x45mm NATO",
    ".40": ".40 S&W", "40": ".40 S&W", ".40 cal": ".40 S&W",
    ".357": ".357 Magnum", "357": ".357 Magnum",
    ".44": ".44 Magnum",
    ".32": ".32 ACP (7.65x17mm)",
    ".25": ".25 ACP (6.35x15mm)",
    "5.45": "5.45x39mm",
}
"""Incomplete names read as the most common cartridge, with ``CALIBRE_ASSUMED``."""

CALIBRE_AMBIGUOUS: dict[str, list[str]] = {
    ".38": [".38 Special", ".38 Super", ".38 S&W"],
    "38": [".38 Special", ".38 Super", ".38 S&W"],
    ".45": [".45 ACP", ".45 Colt"],
    "45": [".45 ACP", ".45 Colt"],
    ".22": [".22 LR", ".22 Short", ".22 WMR"],
    "22": [".22 LR", ".22 Short", ".22 WMR"],
    "7.62": ["7.62x39mm", "7.62x51mm NATO", "7.62x54mmR", "7.62x25mm Tokarev"],
    "7,62": ["7.62x39mm", "7.62x51mm NATO", "7.62x54mmR", "7.62x25mm Tokarev"],
    ".30": [".30-06 Springfield", ".30-30 Winchester", ".308 Winchester"],
    "7.65": [".32 ACP (7.65x17mm)"],
}
"""Names that fit several cartridges: never resolved automatically (``CALIBRE_AMBIGUOUS``)."""
# '7.65' alone is conventionally 7.65 Browning; it is listed as an alias above, not ambiguous
CALIBRE_AMBIGUOUS.pop("7.65")


def _calibre_key(raw: str) -> str:
    """Normalised lookup key of a calibre text (see module overview)."""
    t = unicodedata.normalize("NFKC", str(raw)).lower().strip()
    t = t.replace("×", "x").replace("\u0445", "x").replace("*", "x")
    t = re.sub(r"(?<=\d),(?=\d)", ".", t)                       # decimal comma
    t = re.sub(r"\b(?:calibre|caliber|calibro|cal|kaliber|kal)\b\.?", " ", t)
    t = re.sub(r"(?<=\d)\s*mm\b", " ", t)                       # '9 mm', '9x19mm'
    t = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", t)                   # dots that are not decimal points
    t = re.sub(r"[\s\-_]+", "", t)
    return t


def _build_calibre_tables():
    alias: dict[str, str] = {}
    for canon, aliases in CALIBRES:
        for a in [canon] + aliases:
            k = _calibre_key(a)
            if k in alias and alias[k] != canon:
                raise RuntimeError(f"calibre alias {a!r} maps to both {alias[k]} and {canon}")
            alias[k] = canon
    assumed = {_calibre_key(k): v for k, v in CALIBRE_ASSUMED.items()}
    ambiguous = {_calibre_key(k): v for k, v in CALIBRE_AMBIGUOUS.items()}
    return alias, assumed, ambiguous


_CAL_ALIAS, _CAL_ASSUMED, _CAL_AMBIG = _build_calibre_tables()


def match_calibre(raw) -> tuple[str | None, str | None]:
    """Canonical calibre of a raw text.

    Parameters
    ----------
    raw : str or number or None

    Returns
    -------
    (canonical, flag) : tuple
        ``(name, None)`` for a known alias; ``(name, "CALIBRE_ASSUMED")`` for an incomplete
        name with one usual reading (``9mm`` -> ``9x19mm``); ``(None, "CALIBRE_AMBIGUOUS")``
        (``.38``); ``(None, "CALIBRE_UNKNOWN")``; ``(None, None)`` when empty.
    """
    if is_blank(raw):
        return None, None
    k = _calibre_key(raw_text(raw))
    if not k:
        return None, None
    if k in _CAL_ASSUMED:
        return _CAL_ASSUMED[k], "CALIBRE_ASSUMED"
    if k in _CAL_AMBIG:
        return None, "CALIBRE_AMBIGUOUS"
    if k in _CAL_ALIAS:
        return _CAL_ALIAS[k], None
    return None, "CALIBRE_UNKNOWN"


def match_calibres(s: pd.Series) -> pd.DataFrame:
    """Vectorised :func:`match_calibre` over distinct values.

    Returns
    -------
    pandas.DataFrame, shape (n,), index of ``s``
        ``calibre``, ``calibre_flag`` (object; None where not applicable).
    """
    return map_unique(s, match_calibre, ["calibre", "calibre_flag"])
