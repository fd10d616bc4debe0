"""Country names: any spelling or code of a country -> ISO 3166-1 alpha-3, and back to a display name.

Part of the controlled vocabularies (:mod:`intel.nomenclature` re-exports every public name here).
Codes are ISO 3166-1 alpha-3 (pycountry, with its translations); Kosovo is ``XKX`` (the
user-assigned code used by the EU and UN agencies). :func:`match_country` looks the whole,
normalised name up in curated aliases first (several languages and scripts, World Bank spellings,
former names; ``None`` marks an ambiguous name such as ``Congo``), then pycountry's codes and
English names, then its translated names; it also reads ``Name (Former name)`` and inverted
``Congo, Dem. Rep.`` forms. Flags: ``COUNTRY_AMBIGUOUS``, ``COUNTRY_UNKNOWN``.
:func:`country_name` gives the English display name the drop-down lists show.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import pandas as pd

from intel.vocabkeys import is_blank, map_unique, raw_text, strip_accents

__all__ = ["match_country", "match_countries", "country_name"]


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
    t = unicodedata.normalize("NFKC", raw_text(raw)).strip().lower()
    t = t.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'").replace("´", "'")
    t = strip_accents(t)
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
    if is_blank(raw, _code_keys()):
        return None, None
    k = _country_key(raw)
    if not k:
        return None, None
    code = _lookup_country_key(k)
    if code is not False:
        return (code, None) if code else (None, "COUNTRY_AMBIGUOUS")
    # "DR Congo (Zaire)", "Myanmar (Burma)": the name, else the bracketed former name
    m = re.fullmatch(r"\s*([^()]+?)\s*[(\[]\s*([^()\[\]]+?)\s*[)\]]\s*", raw_text(raw))
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
    parts = [x for x in raw_text(raw).split(",")]
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
    return map_unique(s, match_country, ["iso3", "country_flag"])


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
