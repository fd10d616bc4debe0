"""Controlled vocabularies: firearm types, calibres, makes, criminal contexts, place types, countries.

Agency files spell the same thing many ways (``9mm Luger``, ``9 x 19 mm``, ``9×19``; ``Brasil``,
``Brésil``, ``BRA``). Each vocabulary here has one **canonical** name per entry and a list of
aliases. Matching normalises the raw text (case, accents where harmless, spacing,
punctuation) and then looks the **whole string** up in an alias table: there is no substring
or fuzzy matching, so ``9mm Makarov`` can never become ``9mm`` (9x19mm) and ``Guinea`` can
never become Guinea-Bissau. Unknown or ambiguous values are returned as ``None`` with a flag;
callers keep the raw value next to the canonical one.

Sources
-------
* Firearm types, criminal contexts and place types follow the categories of the UNODC
  Illicit Arms Flows Questionnaire (IAFQ), plus ``handgun`` and ``long gun`` for sources that
  do not say which (CBP, ATF).
* Calibre names follow C.I.P. / SAAMI cartridge designations; metric names are written
  ``<bore>x<case>mm``.
* Countries are ISO 3166-1 alpha-3 (pycountry, with its translations), Kosovo ``XKX``
  (user-assigned code used by the EU and UN agencies).

Flags emitted: ``CALIBRE_ASSUMED``, ``CALIBRE_AMBIGUOUS``, ``CALIBRE_UNKNOWN``,
``FIREARM_TYPE_UNKNOWN``, ``CONTEXT_UNKNOWN``, ``PLACE_TYPE_UNKNOWN``, ``MAKE_UNKNOWN``,
``COUNTRY_AMBIGUOUS``, ``COUNTRY_UNKNOWN``. Empty input gives ``(None, None)``: missing is
not an error.
"""
from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

import numpy as np
import pandas as pd

from intel.parse import placeholder_key, is_placeholder

__all__ = [
    "CALIBRES", "FIREARM_TYPES", "CRIMINAL_CONTEXTS", "PLACE_TYPES", "MAKES",
    "match_calibre", "match_calibres", "match_firearm_type", "match_firearm_types",
    "match_criminal_context", "match_place_type", "match_make", "match_country",
    "match_countries", "country_name", "vocabulary", "DIRECTIONS",
]


def _blank(raw, keep: frozenset = frozenset()) -> bool:
    """Missing, whitespace-only or a placeholder for "no value" (:data:`intel.parse.PLACEHOLDERS`:
    ``N/A``, ``-``, ``S/N``...) other than the keys in ``keep`` (real codes of the column)."""
    if raw is None:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    try:
        if pd.isna(raw):
            return True
    except (TypeError, ValueError):
        pass
    return isinstance(raw, str) and (not raw.strip() or is_placeholder(raw, keep))


def _text(raw) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def _strip_accents(t: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c))


def _map_unique(s: pd.Series, fn, columns: list[str]) -> pd.DataFrame:
    """Apply ``fn`` (raw -> tuple) to the distinct values of ``s`` only."""
    s = s if isinstance(s, pd.Series) else pd.Series(s)
    s = s.astype(object)
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    res = [fn(u) for u in uniq]
    nonef = tuple(None for _ in columns)
    blank_res = fn(None)
    cols = {}
    for k, name in enumerate(columns):
        vals = [r[k] for r in res] + [blank_res[k] if blank_res else nonef[k]]
        arr = np.empty(len(vals), dtype=object)
        arr[:] = vals
        cols[name] = pd.Series(arr[codes], index=s.index, dtype=object)  # code -1 picks the appended blank result
    return pd.DataFrame(cols, index=s.index)


# ============================================================================================
# calibres
# ============================================================================================

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
    if _blank(raw):
        return None, None
    k = _calibre_key(_text(raw))
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
    return _map_unique(s, match_calibre, ["calibre", "calibre_flag"])


# ============================================================================================
# generic word vocabularies
# ============================================================================================

def _word_key(raw) -> str:
    t = _strip_accents(unicodedata.normalize("NFKC", _text(raw))).lower()
    t = t.replace("&", " and ").replace("’", "'")
    t = re.sub(r"[^0-9a-z\u0400-\u04ff]+", " ", t)
    return re.sub(r"\s+", " ", t).strip()


def _table(entries) -> dict[str, str]:
    out: dict[str, str] = {}
    for canon, aliases in entries:
        for a in [canon] + list(aliases):
            k = _word_key(a)
            if k in out and out[k] != canon:
                raise RuntimeError(f"alias {a!r} maps to both {out[k]} and {canon}")
            out[k] = canon
    return out


def _lookup(table: dict[str, str], raw) -> str | None:
    k = _word_key(raw)
    if k in table:
        return table[k]
    # plural forms: 'pistols', 'pistolas', 'revólveres', 'armes'
    for suf in ("es", "s"):
        if k.endswith(suf) and k[: -len(suf)] in table:
            return table[k[: -len(suf)]]
    return None


FIREARM_TYPES: list[tuple[str, str, list[str]]] = [
    ("pistol", "firearm", ["pistola", "pistolet", "pistole", "pištolj", "pistolj", "semi-automatic pistol",
                           "semi automatic pistol", "self-loading pistol", "automatic pistol", "semi-auto pistol",
                           "pistola semiautomatica", "pistolet semi-automatique", "pistol semi-automatic"]),
    ("revolver", "firearm", ["revólver", "revolveur", "revolver pistol", "revolvers"]),
    ("handgun", "firearm", ["handguns", "hand gun", "arma corta", "arme de poing", "arma de mano", "arma curta",
                            "kratko oružje", "kratko oruzje", "faustfeuerwaffe", "small arm handgun"]),
    ("rifle", "firearm", ["fusil", "fuzil", "rifle de cerrojo", "carabine rayée", "gewehr", "puška", "puska",
                          "bolt-action rifle", "semi-automatic rifle", "semi automatic rifle", "rifles"]),
    ("long gun", "firearm", ["long arm", "long arms", "long guns", "arma larga", "arme d'épaule", "arma longa",
                             "dugo oružje", "dugo oruzje", "langwaffe"]),
    ("shotgun", "firearm", ["escopeta", "espingarda", "fusil de chasse à canon lisse", "fusil à pompe", "sačmarica",
                            "sacmarica", "pump-action shotgun", "pump action shotgun", "shot gun", "schrotflinte",
                            "fusil de chasse"]),
    ("sub-machine gun", "firearm", ["submachine gun", "sub machine gun", "smg", "subfusil", "metralleta",
                                    "submetralhadora", "pistolet-mitrailleur", "pistolet mitrailleur",
                                    "machine pistol", "automat", "mašinka", "masinka", "pistola ametralladora"]),
    ("machine gun", "firearm", ["machinegun", "ametralladora", "metralhadora", "mitrailleuse", "mitraljez",
                                "puškomitraljez", "puskomitraljez", "light machine gun", "heavy machine gun",
                                "general purpose machine gun", "maschinengewehr"]),
    ("assault rifle", "firearm", ["fusil de asalto", "fuzil de assalto", "fusil d'assaut", "automatska puška",
                                  "automatska puska", "automatic rifle", "sturmgewehr", "kalashnikov rifle",
                                  "ak-47", "ak47", "ar-15", "ar15"]),
    ("carbine", "firearm", ["carabina", "carabine", "karabin", "karabiner"]),
    ("hunting rifle", "firearm", ["rifle de caza", "carabine de chasse", "lovačka puška", "lovacka puska",
                                  "lovački karabin", "hunting gun", "sporting rifle", "fuzil de caça"]),
    ("craft/artisanal firearm", "firearm", ["craft firearm", "artisanal firearm", "craft", "artisanal",
                                            "homemade", "home-made", "home made firearm", "homemade firearm",
                                            "improvised firearm", "improvised", "arma artesanal", "arma hechiza",
                                            "hechiza", "arme artisanale", "arma de fabricação caseira",
                                            "arma caseira", "ghost gun", "privately made firearm", "pmf",
                                            "zip gun", "3d printed firearm", "3d-printed gun", "danegun",
                                            "dane gun", "locally made", "locally manufactured firearm"]),
    ("converted/alarm firearm", "firearm", ["converted firearm", "converted", "alarm pistol", "alarm weapon",
                                            "gas pistol", "blank firing", "blank-firing", "blank firing pistol",
                                            "starting pistol", "converted alarm pistol", "pistola de fogueo",
                                            "pistola traumática", "pistolet d'alarme", "plinski pištolj",
                                            "plinski pistolj", "gas-alarm", "reactivated firearm",
                                            "deactivated firearm reactivated"]),
    ("other firearm", "firearm", ["other firearms", "otra arma de fuego", "autre arme à feu", "outra arma de fogo",
                                  "firearm", "firearms", "arma de fuego", "arma de fogo", "arme à feu", "vatreno oružje",
                                  "vatreno oruzje", "gun", "weapon", "weapons"]),
    ("ammunition", "ammunition", ["ammo", "munición", "municion", "municiones", "munição", "municao", "munições",
                                  "munitions", "munition", "cartridges", "cartridge", "rounds", "round",
                                  "cartuchos", "cartucho", "cartouches", "cartouche", "municija", "metak", "meci",
                                  "bullets", "bullet", "balas", "shells", "other ammunition"]),
    ("parts and components", "parts", ["parts", "gun parts", "firearm parts", "components", "parts & components",
                                       "other ammunition & gun parts", "ammunition & gun parts", "receiver",
                                       "receivers", "lower receiver", "upper receiver", "frame", "barrel",
                                       "slide", "bolt", "trigger", "auto sear", "glock switch", "conversion device",
                                       "conversion kit", "piezas", "partes", "pièces", "peças", "pecas",
                                       "dijelovi", "delovi", "essential components", "parts kit", "80% lower"]),
    ("accessory", "accessory", ["accessories", "magazine", "magazines", "cargador", "cargadores", "chargeur",
                                "carregador", "okvir", "spremnik", "silencer", "suppressor", "sound moderator",
                                "silencer (muffler or sound moderator)", "silenciador", "silencieux", "prigušivač",
                                "scope", "optic", "optical sight", "mira", "mira telescópica", "lunette", "holster",
                                "case", "accesorio", "accesorios", "accessoire", "acessório", "acessorios",
                                "vest body armor", "body armor", "body armour", "stock", "bipod"]),
    ("other", "other", ["other weapons", "other weapon", "otro", "otros", "autre", "autres", "outro", "outros",
                        "ostalo", "explosives", "explosive", "grenade", "grenades", "knife", "air gun", "airgun"]),
]
"""UNODC IAFQ-aligned item types: (canonical, category, aliases in EN/FR/ES/PT/BCS/DE)."""

_TYPE_TABLE = _table([(c, a) for c, _, a in FIREARM_TYPES])
_TYPE_CATEGORY = {c: cat for c, cat, _ in FIREARM_TYPES}


def match_firearm_type(raw) -> tuple[str | None, str | None, str | None]:
    """Canonical item type of a raw text.

    Returns
    -------
    (firearm_type, category, flag) : tuple
        ``category`` is ``firearm``, ``ammunition``, ``parts``, ``accessory`` or ``other``;
        ``(None, None, "FIREARM_TYPE_UNKNOWN")`` when not recognised; all None when empty.
    """
    if _blank(raw):
        return None, None, None
    c = _lookup(_TYPE_TABLE, raw)
    if c is None:
        return None, None, "FIREARM_TYPE_UNKNOWN"
    return c, _TYPE_CATEGORY[c], None


def match_firearm_types(s: pd.Series) -> pd.DataFrame:
    """Vectorised :func:`match_firearm_type`: columns ``firearm_type``, ``category``, ``type_flag``."""
    return _map_unique(s, match_firearm_type, ["firearm_type", "category", "type_flag"])


CRIMINAL_CONTEXTS: list[tuple[str, list[str]]] = [
    ("illicit trafficking", ["trafficking", "arms trafficking", "firearms trafficking", "smuggling", "contraband",
                             "contrabando", "tráfico ilícito", "trafico ilicito", "tráfico de armas", "trafic",
                             "trafic d'armes", "trafic illicite", "krijumčarenje", "krijumcarenje", "illegal export",
                             "illegal import", "tráfico"]),
    ("illicit possession", ["possession", "unlawful possession", "illegal possession", "tenencia ilegal",
                            "porte ilegal", "portación ilegal", "posse ilegal", "porte illégal", "détention illégale",
                            "nedozvoljeno posjedovanje", "nedozvoljeno držanje", "carrying", "illegal carrying"]),
    ("illicit manufacturing", ["manufacturing", "illegal manufacture", "illicit manufacture", "fabricación ilícita",
                               "fabricacion ilicita", "fabricação ilícita", "fabrication illicite",
                               "nedozvoljena proizvodnja", "workshop"]),
    ("violent crime/homicide", ["violent crime", "homicide", "murder", "homicidio", "homicídio", "meurtre",
                                "assassinat", "ubistvo", "robbery", "armed robbery", "assault", "shooting",
                                "robo", "roubo", "vol à main armée", "violent crime homicide", "kidnapping"]),
    ("drug trafficking", ["drugs", "drug", "narcotrafico", "narcotráfico", "tráfico de drogas", "trafico de drogas",
                          "trafic de stupéfiants", "trafic de drogue", "narcotics", "drug related",
                          "trgovina drogom"]),
    ("organized crime", ["organised crime", "crimen organizado", "crime organizado", "criminalité organisée",
                         "crime organisé", "organizovani kriminal", "organizirani kriminal", "gang", "gangs",
                         "cartel", "gang related", "mafia"]),
    ("terrorism", ["terrorismo", "terrorisme", "terorizam", "terrorist", "extremism"]),
    ("armed conflict", ["conflict", "conflicto armado", "conflit armé", "conflito armado", "oružani sukob",
                        "insurgency", "armed group", "armed groups"]),
    ("other", ["otro", "autre", "outro", "ostalo", "other crime"]),
    ("unknown", ["unk", "desconocido", "inconnu", "desconhecido", "nepoznato", "not known", "n/a", "na",
                 "not stated", "sin dato"]),
]
"""UNODC IAFQ criminal contexts with aliases."""

_CONTEXT_TABLE = _table(CRIMINAL_CONTEXTS)
_CONTEXT_WORDS = frozenset(placeholder_key(a) for canon, aliases in CRIMINAL_CONTEXTS for a in [canon, *aliases])
"""Words of the contexts that also spell a placeholder (``n/a``): values here, not missing."""


def match_criminal_context(raw) -> tuple[str | None, str | None]:
    """Canonical criminal context: ``(context, None)``, ``(None, "CONTEXT_UNKNOWN")`` or ``(None, None)``.

    ``unknown`` is a context of its own (UNODC IAFQ), so its aliases (``n/a``, ``sin dato``)
    map onto it rather than being missing values."""
    if _blank(raw, _CONTEXT_WORDS):
        return None, None
    c = _lookup(_CONTEXT_TABLE, raw)
    return (c, None) if c else (None, "CONTEXT_UNKNOWN")


PLACE_TYPES: list[tuple[str, list[str]]] = [
    ("port of entry", ["poe", "port of entry", "border crossing point", "border crossing", "crossing point",
                       "paso fronterizo", "point de passage", "posto fronteiriço", "granični prelaz",
                       "granicni prelaz", "land port", "customs post", "aduana", "douane"]),
    ("border area", ["border", "land border", "frontera", "frontière", "fronteira", "granica", "border zone",
                     "zona fronteriza", "zone frontalière", "green border", "between ports"]),
    ("airport", ["air", "aeropuerto", "aéroport", "aeroporto", "aerodrom", "airfield", "air cargo"]),
    ("seaport", ["sea", "port", "puerto", "porto", "port maritime", "harbour", "harbor", "luka", "maritime",
                 "sea port", "container terminal"]),
    ("postal/courier", ["mail", "post", "postal", "courier", "express consignment", "correo", "paquetería",
                        "paqueteria", "colis postal", "courrier", "correios", "pošta", "posta", "parcel"]),
    ("road", ["highway", "carretera", "route", "estrada", "rodovia", "autoput", "checkpoint", "vehicle",
              "traffic stop", "vehicle stop", "land", "road checkpoint"]),
    ("residence", ["home", "house", "dwelling", "domicilio", "vivienda", "domicile", "residência", "residencia",
                   "casa", "kuća", "kuca", "stan", "apartment", "search warrant residence"]),
    ("commercial premises", ["business", "shop", "store", "commercial", "warehouse", "comercio", "commerce",
                             "local comercial", "entrepôt", "armazém", "gun shop", "armería", "armeria"]),
    ("public space", ["street", "public", "public place", "vía pública", "via publica", "voie publique",
                      "via pública", "ulica", "park", "outside", "public space street"]),
    ("other", ["otro", "autre", "outro", "ostalo"]),
]
"""IAFQ-style place types of a seizure with aliases (CBP modes Air/Sea/Land map here too)."""

_PLACE_TABLE = _table(PLACE_TYPES)


def match_place_type(raw) -> tuple[str | None, str | None]:
    """Canonical place type: ``(place_type, None)``, ``(None, "PLACE_TYPE_UNKNOWN")`` or ``(None, None)``."""
    if _blank(raw):
        return None, None
    c = _lookup(_PLACE_TABLE, raw)
    return (c, None) if c else (None, "PLACE_TYPE_UNKNOWN")


DIRECTIONS = ["inbound", "outbound"]

MAKES: list[tuple[str, list[str]]] = [
    ("Glock", ["glock ges.m.b.h.", "glock gmbh", "glock inc"]),
    ("Smith & Wesson", ["s&w", "s & w", "smith and wesson", "smith&wesson", "sw"]),
    ("Taurus", ["forjas taurus", "taurus armas", "taurus international"]),
    ("Beretta", ["pietro beretta", "beretta usa", "fabbrica d'armi pietro beretta"]),
    ("Colt", ["colt's manufacturing", "colts", "colt's"]),
    ("Sturm, Ruger & Co.", ["ruger", "sturm ruger", "sturm, ruger", "sturm ruger & co", "sturm ruger and co"]),
    ("SIG Sauer", ["sig", "sig-sauer", "sigsauer", "sig arms", "sig sauer inc", "sig sauer gmbh"]),
    ("Kalashnikov Concern (Izhmash)", ["kalashnikov", "izhmash", "izhevsk mechanical plant", "kalashnikov concern"]),
    ("Zastava Arms", ["zastava", "zastava oruzje", "zastava oružje", "crvena zastava", "zcz"]),
    ("Česká zbrojovka (CZ)", ["cz", "ceska zbrojovka", "česká zbrojovka", "cz ub", "ceska zbrojovka uhersky brod",
                              "cz-usa"]),
    ("Browning", ["browning arms", "browning arms company"]),
    ("FN Herstal", ["fn", "fabrique nationale", "fn herstal", "fnh", "fn america"]),
    ("Heckler & Koch", ["hk", "h&k", "h & k", "heckler and koch", "heckler koch"]),
    ("Norinco", ["china north industries", "norinco china", "china north industries corporation"]),
    ("Remington", ["remington arms", "remington arms company"]),
    ("Mossberg", ["o.f. mossberg", "o.f. mossberg & sons", "mossberg & sons"]),
    ("Winchester", ["winchester repeating arms", "winchester arms"]),
    ("Walther", ["carl walther", "walther arms"]),
    ("Makarov (IZh)", ["makarov", "izh", "izhevsk", "izh mekhanichesky zavod", "pm makarov"]),
    ("Tokarev (TT)", ["tokarev", "tt", "tt-33", "tula tokarev"]),
    ("Hi-Point", ["hi point", "hipoint", "hi-point firearms", "beemiller"]),
    ("Springfield Armory", ["springfield", "springfield armory inc", "hs produkt", "hs"]),
    ("Bersa", ["bersa s.a."]),
    ("Imbel", ["indústria de material bélico do brasil", "industria de material belico do brasil"]),
    ("Rossi", ["amadeo rossi", "rossi s.a."]),
    ("Arcus", ["arcus co"]),
    ("Baikal", ["izh baikal", "baikal izhmekh", "izhmekh"]),
    ("Canik", ["canik55", "samsun yurt savunma", "canik tp9"]),
    ("Savage Arms", ["savage"]),
    ("Marlin", ["marlin firearms"]),
    ("Kel-Tec", ["keltec", "kel tec"]),
    ("Kimber", ["kimber manufacturing"]),
    ("Steyr", ["steyr mannlicher", "steyr arms"]),
    ("Benelli", ["benelli armi"]),
    ("Hatsan", ["hatsan arms"]),
    ("Ekol", ["ekol voltran"]),
    ("Retay", ["retay arms"]),
    ("Zoraki", ["atak arms", "zoraki atak"]),
    ("Polymer80", ["polymer 80", "p80"]),
    ("Jimenez Arms", ["jimenez", "jennings", "bryco", "bryco arms"]),
    ("Daewoo", ["daewoo precision"]),
    ("Radom (FB Radom)", ["radom", "fb radom", "lucznik"]),
    ("FEG", ["fegyver- és gépgyár", "feg hungary"]),
    ("Star", ["star bonifacio echeverria", "star echeverria"]),
    ("Llama", ["gabilondo", "llama gabilondo"]),
    ("Astra", ["astra unceta"]),
    ("Crvena Zastava", []),
    ("Unknown / unmarked", ["unknown make", "unmarked", "no make", "sin marca", "sans marque", "privately made",
                            "craft made"]),
]
"""Common makes of seized firearms with aliases (maker names as marked on the firearms)."""
# 'Crvena Zastava' is the former name of Zastava Arms: keep one entry
MAKES = [m for m in MAKES if m[0] != "Crvena Zastava"]

_MAKE_TABLE = _table(MAKES)


def match_make(raw) -> tuple[str | None, str | None]:
    """Canonical make: ``(make, None)``, ``(None, "MAKE_UNKNOWN")`` or ``(None, None)``.

    Unknown makes are common (small makers); callers keep the raw text as the make then.
    """
    if _blank(raw):
        return None, None
    c = _lookup(_MAKE_TABLE, raw)
    return (c, None) if c else (None, "MAKE_UNKNOWN")


# ============================================================================================
# countries
# ============================================================================================

_COUNTRY_ALIASES: dict[str, str | None] = {
    # None means ambiguous
    "congo": None, "the congo": None, "korea": None, "guinea republic": "GIN", "republic of guinea": "GIN",
    "kosovo": "XKX", "kosova": "XKX", "xk": "XKX", "xkx": "XKX", "ksv": "XKX", "republic of kosovo": "XKX",
    "republika kosova": "XKX", "kosovo*": "XKX", "косово": "XKX", "kosovë": "XKX", "kosove": "XKX",
    "kosovo and metohija": "XKX", "kosovo i metohija": "XKX",
    "macedonia": "MKD", "fyrom": "MKD", "former yugoslav republic of macedonia": "MKD",
    "the former yugoslav republic of macedonia": "MKD", "republic of macedonia": "MKD", "makedonija": "MKD",
    "severna makedonija": "MKD", "sjeverna makedonija": "MKD", "македонија": "MKD", "северна македонија": "MKD",
    "ee uu": "USA", "eeuu": "USA", "ee.uu.": "USA", "estados unidos": "USA", "estados unidos de america": "USA",
    "usa": "USA", "us": "USA", "u s": "USA", "u.s.": "USA", "u.s.a.": "USA", "united states of america": "USA",
    "america": "USA", "etats unis": "USA", "états-unis": "USA", "eua": "USA", "sad": "USA", "сад": "USA",
    "uk": "GBR", "great britain": "GBR", "britain": "GBR", "england": "GBR", "reino unido": "GBR",
    "royaume uni": "GBR",
    "bosnia": "BIH", "bih": "BIH", "bosna i hercegovina": "BIH", "bosnia and herzegovina": "BIH",
    "bosnia herzegovina": "BIH", "bosna": "BIH", "босна и херцеговина": "BIH", "bosnie herzegovine": "BIH",
    "turkey": "TUR", "türkiye": "TUR", "turkiye": "TUR", "turquia": "TUR", "turquie": "TUR", "turska": "TUR",
    "ivory coast": "CIV", "cote d ivoire": "CIV", "costa de marfil": "CIV", "costa do marfim": "CIV",
    "elfenbeinkuste": "CIV", "cote divoire": "CIV",
    "brasil": "BRA", "brésil": "BRA", "brazil": "BRA",
    "srbija": "SRB", "србија": "SRB", "serbie": "SRB", "serbia": "SRB", "republika srbija": "SRB",
    "crna gora": "MNE", "црна гора": "MNE", "hrvatska": "HRV", "slovenija": "SVN", "shqipëria": "ALB",
    "shqiperia": "ALB", "albanija": "ALB",
    "russia": "RUS", "россия": "RUS", "rusia": "RUS", "russie": "RUS",
    "venezuela": "VEN", "bolivia": "BOL", "iran": "IRN", "syria": "SYR", "laos": "LAO", "vietnam": "VNM",
    "viet nam": "VNM", "moldova": "MDA", "tanzania": "TZA", "czech republic": "CZE", "czechia": "CZE",
    "holland": "NLD", "the netherlands": "NLD", "the gambia": "GMB", "gambia": "GMB",
    "dr congo": "COD", "drc": "COD", "rdc": "COD", "democratic republic of the congo": "COD",
    "congo kinshasa": "COD", "congo brazzaville": "COG", "republic of the congo": "COG",
    "republique du congo": "COG", "republique democratique du congo": "COD",
    "guinea bissau": "GNB", "guinée bissau": "GNB", "guinea equatorial": "GNQ", "equatorial guinea": "GNQ",
    "guinée équatoriale": "GNQ", "guinée": "GIN", "guine": "GIN", "papua new guinea": "PNG",
    "palestine": "PSE", "cabo verde": "CPV", "cape verde": "CPV", "eswatini": "SWZ", "swaziland": "SWZ",
    "south korea": "KOR", "north korea": "PRK", "taiwan": "TWN", "micronesia": "FSM",
    "emiratos arabes unidos": "ARE", "uae": "ARE", "méxico": "MEX", "mexique": "MEX", "perú": "PER",
    "el salvador": "SLV", "honduras": "HND", "guatemala": "GTM", "panamá": "PAN", "haití": "HTI",
    "república dominicana": "DOM", "republica dominicana": "DOM", "nigéria": "NGA",
    # former and common names (UCDP writes "DR Congo (Zaire)", "Myanmar (Burma)"...)
    "zaire": "COD", "congo zaire": "COD", "democratic republic of congo": "COD", "burma": "MMR",
    "kampuchea": "KHM", "rhodesia": "ZWE", "malagasy": "MDG", "malagasy republic": "MDG", "surinam": "SUR",
    "east timor": "TLS", "dahomey": "BEN", "upper volta": "BFA", "ceylon": "LKA", "siam": "THA", "persia": "IRN",
    "north yemen": "YEM", "yemen arab republic": "YEM", "kingdom of eswatini": "SWZ", "swaziland": "SWZ",
    "south sudan": "SSD", "sudan": "SDN", "the bahamas": "BHS", "bahamas": "BHS", "brunei": "BRN",
    "cape verde islands": "CPV", "state of palestine": "PSE", "west bank": "PSE", "gaza": "PSE",
    "russian federation": "RUS", "soviet union": None, "yugoslavia": None, "ussr": None,
    # World Bank / WDI spellings (inverted, abbreviated)
    "Congo, Dem. Rep.": "COD", "Congo, Rep.": "COG", "Korea, Rep.": "KOR", "Korea, Dem. People's Rep.": "PRK",
    "Korea, Dem. Rep.": "PRK", "Egypt, Arab Rep.": "EGY", "Iran, Islamic Rep.": "IRN", "Venezuela, RB": "VEN",
    "Yemen, Rep.": "YEM", "Gambia, The": "GMB", "Bahamas, The": "BHS", "Micronesia, Fed. Sts.": "FSM",
    "Lao PDR": "LAO", "Kyrgyz Republic": "KGZ", "Slovak Republic": "SVK", "Hong Kong SAR, China": "HKG",
    "Macao SAR, China": "MAC", "St. Lucia": "LCA", "St. Kitts and Nevis": "KNA",
    "St. Vincent and the Grenadines": "VCT", "Cote d'Ivoire": "CIV", "Congo (Kinshasa)": "COD",
    "Congo (Brazzaville)": "COG",
}
"""Curated names and codes, checked before pycountry and its translations."""

_TRANSLATION_LANGS = ["fr", "es", "pt", "pt_BR", "de", "it", "nl", "sr", "sr@latin", "bs", "hr", "mk", "sq",
                      "sl", "ru", "uk", "bg", "tr", "ar", "pl", "cs", "ro", "el", "ca", "sv", "da", "nb_NO", "fi",
                      "hu", "zh_CN", "ja", "ko", "fa", "he"]


def _country_key(raw) -> str:
    t = unicodedata.normalize("NFKC", _text(raw)).strip().lower()
    t = t.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'").replace("´", "'")
    t = _strip_accents(t)
    t = re.sub(r"[.']", "", t)
    t = re.sub(r"[\s\-_,/()]+", " ", t)
    return t.strip()


def _put(table: dict, name, code) -> None:
    """Add ``name`` -> ``code`` to a key table; a key claimed by two codes becomes None."""
    if not name:
        return
    k = _country_key(name)
    if not k:
        return
    if k in table and table[k] != code:
        table[k] = None
    else:
        table[k] = code


@lru_cache(maxsize=1)
def _primary_table() -> dict[str, str | None]:
    """Key -> ISO3 of ISO codes and English names (pycountry), overridden by the curated
    aliases; value None marks an ambiguous key."""
    import pycountry

    primary: dict[str, str | None] = {}
    for c in pycountry.countries:
        _put(primary, c.alpha_2, c.alpha_3)
        _put(primary, c.alpha_3, c.alpha_3)
        for attr in ("name", "official_name", "common_name"):
            _put(primary, getattr(c, attr, None), c.alpha_3)
    primary.update({_country_key(k): v for k, v in _COUNTRY_ALIASES.items()})
    return primary


@lru_cache(maxsize=1)
def _translated_table() -> dict[str, str | None]:
    """Key -> ISO3 of pycountry's translated country names (built on the first name the
    primary table does not know: reading the catalogues takes a few tenths of a second)."""
    import gettext

    import pycountry

    translated: dict[str, str | None] = {}
    for lang in _TRANSLATION_LANGS:
        try:
            tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
        except OSError:
            continue
        for c in pycountry.countries:
            for attr in ("name", "official_name", "common_name"):
                n = getattr(c, attr, None)
                if n:
                    t = tr.gettext(n)
                    if t != n:
                        _put(translated, t, c.alpha_3)
    return translated


def match_country(raw) -> tuple[str | None, str | None]:
    """ISO 3166-1 alpha-3 code of a country name or code.

    Lookup is whole-string, accent-, case-, apostrophe- and hyphen-insensitive, in this
    order: curated aliases (several languages and scripts, ``EE.UU.``, ``FYROM``, ``BiH``,
    Kosovo -> ``XKX``), ISO alpha-2/alpha-3 codes and English names (pycountry), then
    pycountry's translations of country names (French, Spanish, Portuguese, German, Serbian
    Cyrillic and Latin, Macedonian, ...). No fuzzy matching.

    Returns
    -------
    (iso3, flag) : tuple
        ``(code, None)``; ``(None, "COUNTRY_AMBIGUOUS")`` for names such as ``Congo``;
        ``(None, "COUNTRY_UNKNOWN")``; ``(None, None)`` when empty.
    """
    if _blank(raw, _code_keys()):
        return None, None
    k = _country_key(raw)
    if not k:
        return None, None
    code = _lookup_country_key(k)
    if code is not False:
        return (code, None) if code else (None, "COUNTRY_AMBIGUOUS")
    # "DR Congo (Zaire)", "Myanmar (Burma)": the name, else the bracketed former name
    m = re.fullmatch(r"\s*([^()]+?)\s*[(\[]\s*([^()\[\]]+?)\s*[)\]]\s*", _text(raw))
    if m:
        name, former = (_country_key(x) for x in m.groups())
        # the bracketed part counts only as a name (a code there, "(Mu)", is too easily another country)
        keys = [name] + ([former] if len(former) > 3 else [])
        found = [c for c in (_lookup_country_key(k) for k in keys) if c is not False]
        if found and found[0]:
            return found[0], None
        if found:
            return None, "COUNTRY_AMBIGUOUS"
    # inverted and qualified names: "Congo, DRC", "Korea, South", "Congo, Republic of the",
    # "Bamako, Mali" (a place, then its country)
    parts = [x for x in _text(raw).split(",")]
    if len(parts) == 2:
        a, b = parts
        inv = _lookup_country_key(_country_key(b + " " + a))
        if inv is not False:
            return (inv, None) if inv else (None, "COUNTRY_AMBIGUOUS")
        ka, kb = _lookup_country_key(_country_key(a)), _lookup_country_key(_country_key(b))
        if kb and (ka is False or ka is None or ka == kb):
            return kb, None       # "Congo, DRC": an ambiguous name made precise; "Bamako, Mali"
        if ka and kb:             # two different countries: which one is not for us to guess
            return None, "COUNTRY_AMBIGUOUS"
    return None, "COUNTRY_UNKNOWN"


@lru_cache(maxsize=1)
def _code_keys() -> frozenset:
    """ISO 3166-1 alpha-2 and alpha-3 codes in lower case: real values in a country column even
    where they spell a placeholder (``NA`` Namibia, ``SN`` Senegal)."""
    import pycountry

    return frozenset(x.lower() for c in pycountry.countries for x in (c.alpha_2, c.alpha_3)) | {"xk", "xkx"}


def _lookup_country_key(k: str):
    """ISO3 of a country key; None when ambiguous; False when unknown."""
    for table in (_primary_table, _translated_table):
        t = table()
        if k in t:
            return t[k]
    return False


def match_countries(s: pd.Series) -> pd.DataFrame:
    """Vectorised :func:`match_country`: columns ``iso3``, ``country_flag``."""
    return _map_unique(s, match_country, ["iso3", "country_flag"])


_DISPLAY = {"XKX": "Kosovo", "COG": "Republic of the Congo", "COD": "Democratic Republic of the Congo"}


def country_name(iso3: str | None) -> str | None:
    """English display name of an ISO 3166-1 alpha-3 code (``XKX`` -> ``Kosovo``); None if unknown."""
    if not iso3:
        return None
    if iso3.upper() in _DISPLAY:
        return _DISPLAY[iso3.upper()]
    import pycountry

    c = pycountry.countries.get(alpha_3=iso3.upper())
    if c is None:
        return None
    return getattr(c, "common_name", None) or c.name


# ============================================================================================
# drop-down lists
# ============================================================================================

def vocabulary(name: str) -> list[str]:
    """Canonical values of a vocabulary, for drop-down lists.

    Parameters
    ----------
    name : {"firearm_type", "calibre", "criminal_context", "place_type", "make", "country",
            "direction"}

    Returns
    -------
    list of str
        Canonical names (for ``country``: English display names, sorted, Kosovo included;
        each one is recognised by :func:`match_country`).

    Raises
    ------
    KeyError
        Unknown vocabulary name.
    """
    if name == "firearm_type":
        return [c for c, _, _ in FIREARM_TYPES]
    if name == "calibre":
        return [c for c, _ in CALIBRES]
    if name == "criminal_context":
        return [c for c, _ in CRIMINAL_CONTEXTS]
    if name == "place_type":
        return [c for c, _ in PLACE_TYPES]
    if name == "make":
        return [c for c, _ in MAKES]
    if name == "direction":
        return list(DIRECTIONS)
    if name == "country":
        import pycountry

        names = {country_name(c.alpha_3) for c in pycountry.countries} | {"Kosovo"}
        return sorted(n for n in names if n)
    raise KeyError(f"unknown vocabulary {name!r}")
