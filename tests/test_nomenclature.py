"""Tests of intel.nomenclature: whole-string matching, flags, the C19 and C20 cases."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from intel.calibres import _calibre_key
from intel.nomenclature import (
    CALIBRES, FIREARM_TYPES, MAKES, country_name, match_calibre, match_calibres, match_countries,
    match_country, match_criminal_context, match_firearm_type, match_firearm_types, match_make,
    match_place_type, vocabulary,
)
from intel.readers import read_table

CASES = Path(__file__).resolve().parent / "cases"  # copies of ../shared/cases (see tests/cases/README.md)

C19 = {
    "01": ("9x19mm", "CALIBRE_ASSUMED"),
    **{f"{i:02d}": ("9x19mm", None) for i in range(2, 11)},
    **{f"{i:02d}": ("9x17mm (.380 ACP)", None) for i in range(11, 16)},
    **{f"{i:02d}": ("9x18mm Makarov", None) for i in range(16, 19)},
    **{f"{i:02d}": (".38 Special", None) for i in range(19, 23)},
    "23": (".38 Super", None),
    "24": (None, "CALIBRE_AMBIGUOUS"),
    "25": (".357 Magnum", None),
    "26": (".40 S&W", None), "27": (".40 S&W", None),
    "28": (".45 ACP", None), "29": (".45 ACP", None),
    **{f"{i:02d}": ("7.62x39mm", None) for i in range(30, 33)},
    **{f"{i:02d}": ("12 gauge", None) for i in range(33, 37)},
    **{f"{i:02d}": (".22 LR", None) for i in range(37, 40)},
    "40": (None, None),
}


def test_c19_all_rows():
    t = read_table(CASES / "C19_calibre_variants.csv").frame
    assert len(t) == 40
    m = match_calibres(t["calibre_raw"])
    for rid, cal, flag in zip(t["record_id"], m["calibre"], m["calibre_flag"]):
        assert (cal, flag) == C19[rid.split("-")[1]], rid


def test_c04_c05_calibres():
    assert match_calibre("7,62x39") == ("7.62x39mm", None)
    assert match_calibre("9 mm") == ("9x19mm", "CALIBRE_ASSUMED")
    assert match_calibre(".38 Spl") == (".38 Special", None)
    assert match_calibre("12 ga") == ("12 gauge", None)
    assert match_calibre(".40 S&W") == (".40 S&W", None)


def test_calibre_no_substring_wins():
    assert match_calibre("9mm Luger extra") == (None, "CALIBRE_UNKNOWN")
    assert match_calibre(".380")[0] == "9x17mm (.380 ACP)"
    assert match_calibre("Cal. 7.62 × 51 mm NATO") == ("7.62x51mm NATO", None)
    assert match_calibre("7.62") == (None, "CALIBRE_AMBIGUOUS")
    assert match_calibre("   ") == (None, None)
    assert match_calibre(12.0) == ("12 gauge", None)
    assert match_calibre("foo") == (None, "CALIBRE_UNKNOWN")


def test_calibre_table_size_and_unique_keys():
    assert len(CALIBRES) >= 40
    seen = {}
    for canon, aliases in CALIBRES:
        for a in aliases + [canon]:
            k = _calibre_key(a)
            assert seen.setdefault(k, canon) == canon, (a, canon, seen[k])
            assert match_calibre(a) == (canon, None), a


C20 = {
    "01": "CIV", "02": "CIV", "03": "CIV", "04": "CIV", "05": "CIV", "06": "CIV", "07": "CIV",
    "08": "BRA", "09": "BRA", "10": "BRA",
    "11": "XKX", "12": "XKX", "13": "XKX", "14": "XKX", "15": "XKX",
    "16": "SRB", "17": "SRB", "18": "SRB", "19": "SRB",
    "20": "MKD", "21": "MKD", "22": "MKD", "23": "MKD",
    "24": "USA", "25": "USA", "26": "USA",
    "27": "GIN", "28": "GNB", "29": "GNQ", "30": "NER", "31": "NGA",
    "33": "BIH", "34": "BIH", "35": "BIH", "36": "TUR", "37": "TUR",
}


def test_c20_all_rows():
    t = read_table(CASES / "C20_country_names.csv").frame
    m = match_countries(t["origin_country_raw"])
    for rid, iso, flag in zip(t["record_id"], m["iso3"], m["country_flag"]):
        k = rid.split("-")[1]
        if k in C20:
            assert (iso, flag) == (C20[k], None), rid
    got = dict(zip(t["record_id"], zip(m["iso3"], m["country_flag"])))
    assert got["C20-32"] == (None, "COUNTRY_AMBIGUOUS")
    assert got["C20-38"] == (None, "COUNTRY_UNKNOWN")
    assert got["C20-39"] == (None, None)


def test_country_other_cases():
    assert match_country("Argentina") == ("ARG", None)
    assert match_country("Cameroun") == ("CMR", None)
    assert match_country("GH") == ("GHA", None)
    assert match_country("Deutschland") == ("DEU", None)
    assert match_country("Republic of the Congo") == ("COG", None)
    assert match_country("RDC") == ("COD", None)
    assert match_country("Guinée-Bissau") == ("GNB", None)
    assert match_country(None) == (None, None)
    assert country_name("XKX") == "Kosovo" and country_name("BRA") == "Brazil"
    assert country_name("ZZZ") is None


def test_c05_countries():
    t = read_table(CASES / "C05_cp1252_encoding.csv").frame
    assert match_countries(t["country"])["iso3"].tolist() == ["CIV", "COL", "BRA", "SRB", "CMR"]


def test_firearm_types():
    cases = {
        "revólver": ("revolver", "firearm"), "pistola": ("pistol", "firearm"), "fusil": ("rifle", "firearm"),
        "fuzil": ("rifle", "firearm"), "escopeta": ("shotgun", "firearm"), "pištolj": ("pistol", "firearm"),
        "Handgun": ("handgun", "firearm"), "Long Arm": ("long gun", "firearm"),
        "Magazine": ("accessory", "accessory"), "Ammunition": ("ammunition", "ammunition"),
        "Receivers": ("parts and components", "parts"), "Pistolas": ("pistol", "firearm"),
        "Other Ammunition & Gun Parts": ("parts and components", "parts"),
    }
    for raw, (typ, cat) in cases.items():
        assert match_firearm_type(raw) == (typ, cat, None), raw
    assert match_firearm_type("spaceship") == (None, None, "FIREARM_TYPE_UNKNOWN")
    df = match_firearm_types(pd.Series(["pistola", None, "pistola", "xx"]))
    assert df.values.tolist() == [["pistol", "firearm", None], [None, None, None], ["pistol", "firearm", None],
                                  [None, None, "FIREARM_TYPE_UNKNOWN"]]
    cats = {c for _, c, _ in FIREARM_TYPES}
    assert cats == {"firearm", "ammunition", "parts", "accessory", "other"}


def test_contexts_places_makes():
    assert match_criminal_context("Narcotráfico") == ("drug trafficking", None)
    assert match_criminal_context("crimen organizado") == ("organized crime", None)
    assert match_criminal_context("zzz") == (None, "CONTEXT_UNKNOWN")
    assert match_place_type("Aeropuerto") == ("airport", None)
    assert match_place_type("Sea") == ("seaport", None)
    assert match_place_type("") == (None, None)
    assert match_make("S&W") == ("Smith & Wesson", None)
    assert match_make("Sturm Ruger") == ("Sturm, Ruger & Co.", None)
    assert match_make("ceska zbrojovka") == ("Česká zbrojovka (CZ)", None)
    assert match_make("Acme Guns") == (None, "MAKE_UNKNOWN")
    assert len(MAKES) >= 40


@pytest.mark.parametrize("name", ["firearm_type", "calibre", "criminal_context", "place_type", "make", "country"])
def test_vocabulary_round_trip(name):
    values = vocabulary(name)
    assert values and len(values) == len(set(values))
    fn = {"firearm_type": lambda v: match_firearm_type(v)[0], "calibre": lambda v: match_calibre(v)[0],
          "criminal_context": lambda v: match_criminal_context(v)[0], "place_type": lambda v: match_place_type(v)[0],
          "make": lambda v: match_make(v)[0], "country": lambda v: match_country(v)[0]}[name]
    for v in values:
        got = fn(v)
        assert got is not None, v
        if name != "country":
            assert got == v
    with pytest.raises(KeyError):
        vocabulary("nope")


def test_country_vocabulary_includes_kosovo_and_congos():
    v = vocabulary("country")
    assert "Kosovo" in v and "Republic of the Congo" in v and "Democratic Republic of the Congo" in v
    assert match_country("Kosovo") == ("XKX", None)


@pytest.mark.parametrize("raw,expect", [
    ("Congo, DRC", ("COD", None)),                  # an ambiguous name made precise after the comma
    ("Congo, Republic of the", ("COG", None)),      # inverted: "Republic of the Congo"
    ("Korea, South", ("KOR", None)), ("Korea, North", ("PRK", None)),
    ("Congo, Dem. Rep.", ("COD", None)), ("Egypt, Arab Rep.", ("EGY", None)), ("Gambia, The", ("GMB", None)),
    ("Congo, Brazzaville", ("COG", None)), ("Bamako, Mali", ("MLI", None)),
    ("Mali, Senegal", (None, "COUNTRY_AMBIGUOUS")),  # two countries: not guessed
    ("Mali, Kayes", (None, "COUNTRY_UNKNOWN")),
    ("DR Congo (Zaire)", ("COD", None)), ("Cote d\u2019Ivoire", ("CIV", None)), ("Ivory Coast", ("CIV", None)),
    ("Bolivia (Plurinational State of)", ("BOL", None)),
])
def test_country_inverted_and_world_bank_names(raw, expect):
    assert match_country(raw) == expect
