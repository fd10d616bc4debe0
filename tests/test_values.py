"""Unit tests of the value parsers for issue 14, with hand-computed answers: placeholders,
per-column decimal and thousands marks, Unicode numerals, countries with former names."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from intel.coords import parse_coordinates
from intel.nomenclature import match_calibre, match_country
from intel.parse import ascii_numerals, is_placeholder, parse_numbers, placeholder_mask


def _both(values):
    """The same values as an Arrow string column and as an object column."""
    return [pd.Series(values, dtype="str"), pd.Series(values, dtype=object)]


# ---------------------------------------------------------------- placeholders

@pytest.mark.parametrize("text", ["N/A", "n/a", " N/A ", "-", "--", "?", "N/D", "S/N", "s/n", "OBLITERATED",
                                  "Obliterated", "ILLISIBLE", "BORRADO", "sin dato", "Sin Dato", "SIN  DATO",
                                  "n / a".replace(" ", ""), "oblitéré", "desconocido", "inconnu", "none", "NULL"])
def test_placeholders(text):
    assert is_placeholder(text)
    for s in _both([text, "NAM-7781", None]):
        assert placeholder_mask(s).tolist() == [True, False, False]


def test_real_values_are_not_placeholders():
    for v in ["NAM-7781", "0", "A-1", "9x19mm", "Namibia", "-22.5609", "NA-01", 5, None, "N/A-7"]:
        assert not is_placeholder(v), v
    # a real code is kept where the column says so
    assert not is_placeholder("NA", frozenset({"na"})) and is_placeholder("NA")


def test_country_codes_that_spell_placeholders():
    assert match_country("NA") == ("NAM", None) and match_country("na") == ("NAM", None)
    assert match_country("SN") == ("SEN", None)
    assert match_country("N/A") == (None, None) and match_country("-") == (None, None)
    assert match_country("?") == (None, None)


def test_placeholder_calibre_is_no_calibre():
    assert match_calibre("N/A") == (None, None) and match_calibre("-") == (None, None)


def test_placeholder_coordinates_are_missing_not_unreadable():
    r = parse_coordinates(pd.Series(["N/A", "-", "?", "-22.5609", "sin dato"], dtype="str"),
                          pd.Series(["N/A", "-", "?", "17.0658", "sin dato"], dtype="str"))
    assert r["outcome"].tolist() == ["quarantined"] * 3 + ["ok", "quarantined"]
    assert [list(x) for x in r["reasons"]] == [["MISSING_LOCATION"]] * 3 + [[], ["MISSING_LOCATION"]]


# ---------------------------------------------------------------- numbers: marks per column

@pytest.mark.parametrize("s", _both(["1.500", "750", "2.000", "12.500", "48", "1.250"]))
def test_dot_thousands_in_a_count_column(s):
    assert parse_numbers(s, ".", None, integer=True).tolist() == [1500, 750, 2000, 12500, 48, 1250]


@pytest.mark.parametrize("s", _both(["1.500", "2.5", "12.500"]))
def test_a_decimal_in_the_column_makes_the_dot_decimal(s):
    # '2.5' cannot be a thousands group: the column's dot is a decimal mark, for every row
    assert parse_numbers(s, ".", None, integer=True).tolist() == [1.5, 2.5, 12.5]


@pytest.mark.parametrize("s", _both(["1.500", "750"]))
def test_ambiguous_group_in_a_measure_column_follows_the_file(s):
    assert parse_numbers(s, ".", None).tolist() == [1.5, 750]
    assert parse_numbers(s, ",", ".").tolist() == [1500, 750]


@pytest.mark.parametrize("s", _both(["1.500.000", "1.5"]))
def test_contradictory_column_falls_back_to_the_file(s):
    # the dot groups in one value and is decimal in the other: the file's marks decide
    out = parse_numbers(s, ".", None).tolist()
    assert np.isnan(out[0]) and out[1] == 1.5


@pytest.mark.parametrize("s", _both(["1,500", "2,000", "48"]))
def test_comma_thousands_in_a_dot_decimal_count_column(s):
    assert parse_numbers(s, ".", None, integer=True).tolist() == [1500, 2000, 48]


@pytest.mark.parametrize("s", _both(["1.500,25", "3,5", "12"]))
def test_both_marks_decide_the_column(s):
    # '1.500,25': the dot groups and the comma is decimal, so '3,5' is 3.5 even in a dot-decimal file
    assert parse_numbers(s, ".", None).tolist() == [1500.25, 3.5, 12]


def test_unicode_numerals():
    assert ascii_numerals("\u0661\u0662\u066b\u0665") == "12.5"                # Arabic-Indic, U+066B decimal
    assert ascii_numerals("\u06f1\u06f2\u06f3") == "123"                      # Persian digits
    assert ascii_numerals("\uff11\uff12\uff0e\uff15") == "12.5"               # full-width
    assert ascii_numerals("\u0967\u0968") == "12"                            # Devanagari
    for s in _both(["\u0661\u0662\u066b\u0665", "\u0661\u066c\u0662\u0665\u0660", "\u06f1\u06f2\u06f3",
                    "\uff11\uff12\uff13\uff0e\uff15", "\u200f\u0661\u0660\u200f", "\u2212\u0663"]):
        assert parse_numbers(s).tolist() == [12.5, 1250.0, 123.0, 123.5, 10.0, -3.0]


def test_unicode_numerals_in_coordinates():
    r = parse_coordinates(pd.Series(["\u0661\u0662\u066b\u0666\u0663\u0669\u0662"], dtype="str"),
                          pd.Series(["-\u0668\u066b\u0660\u0660\u0662\u0669"], dtype="str"))
    assert r["latitude"].iloc[0] == pytest.approx(12.6392) and r["longitude"].iloc[0] == pytest.approx(-8.0029)


# ---------------------------------------------------------------- countries

@pytest.mark.parametrize("name,code", [
    ("DR Congo (Zaire)", "COD"), ("Myanmar (Burma)", "MMR"), ("Yemen (North Yemen)", "YEM"),
    ("Cambodia (Kampuchea)", "KHM"), ("Zimbabwe (Rhodesia)", "ZWE"), ("Russia (Soviet Union)", "RUS"),
    ("Serbia (Yugoslavia)", "SRB"), ("Madagascar (Malagasy)", "MDG"), ("Kingdom of eSwatini (Swaziland)", "SWZ"),
    ("Bosnia-Herzegovina", "BIH"), ("Vietnam (North Vietnam)", "VNM"), ("Zaire", "COD"), ("Burma", "MMR"),
    ("Ivory Coast", "CIV"), ("Surinam", "SUR"), ("East Timor", "TLS"),
])
def test_country_former_names(name, code):
    assert match_country(name) == (code, None)


def test_country_brackets_do_not_hide_ambiguity():
    assert match_country("Congo") == (None, "COUNTRY_AMBIGUOUS")
    assert match_country("Atlantis (Mu)") == (None, "COUNTRY_UNKNOWN")


# ---------------------------------------------------------------- dates

from intel.dates import parse_dates  # noqa: E402


@pytest.mark.parametrize("raw,expect", [
    ("2023-W11-3", "2023-03-15"),            # ISO week 11 of 2023 starts Monday 13 March; day 3 = Wednesday
    ("2023W113", "2023-03-15"),
    ("2020-W53-5", "2021-01-01"),            # 2020 has 53 ISO weeks; Friday of week 53 is 1 Jan 2021
    ("2023-074", "2023-03-15"),              # 31 + 28 + 15 = 74
    ("2024-075", "2024-03-15"),              # leap year: 31 + 29 + 15 = 75
    ("2023074", "2023-03-15"),
    ("1678876200", "2023-03-15"),            # 19431 days * 86400 + 37800 s: 2023-03-15 10:30 UTC
    ("1678876200000", "2023-03-15"),         # the same in milliseconds (ArcGIS)
    ("Wed Mar 15 2023", "2023-03-15"),       # JavaScript toDateString
    ("Wed Mar 15 2023 22:30:00 GMT-0600 (Central Standard Time)", "2023-03-16"),   # toString: 04:30 UTC
    ("Wed Mar 15 2023 10:30:00 GMT+0100 (heure normale d\u2019Europe centrale)", "2023-03-15"),
    ("16/03/2023 02:30 PM", "2023-03-16"),
    ("16/03/2023 12:10 AM", "2023-03-16"),
    ("March 15, 2023 2:30 PM", "2023-03-15"),
    ("15 mars 2023", "2023-03-15"), ("mercredi 15 mars 2023", "2023-03-15"), ("1er mars 2023 à 14h", "2023-03-01"),
    ("15 de marzo de 2023", "2023-03-15"), ("marzo 15, 2023", "2023-03-15"), ("miércoles 15 de marzo de 2023", "2023-03-15"),
    ("15 de março de 2023", "2023-03-15"), ("quarta-feira, 15 de março de 2023", "2023-03-15"),
    ("15 févr. 2023", "2023-02-15"), ("15 set. 2023", "2023-09-15"), ("15 ene. 2023", "2023-01-15"),
    ("15 août 2023", "2023-08-15"), ("15 déc. 2023", "2023-12-15"), ("15 de setiembre de 2023", "2023-09-15"),
    ("15-MAR-23", "2023-03-15"), ("2023-03-15T22:30:00-06:00", "2023-03-16"), ("2023-03-15T10:30:00Z", "2023-03-15"),
])
def test_date_forms(raw, expect):
    for s in _both([raw]):
        r = parse_dates(s)
        assert str(r.dates.iloc[0])[:10] == expect, (raw, r.reasons.iloc[0])


@pytest.mark.parametrize("raw,reason", [("2023-W54-1", "DATE_INVALID"), ("2023-366", "DATE_INVALID"),
                                        ("16/03/2023 13:30 PM", "DATE_INVALID"), ("99999999999", "DATE_OUT_OF_RANGE")])
def test_date_forms_invalid(raw, reason):
    r = parse_dates(pd.Series([raw], dtype="str"))
    assert pd.isna(r.dates.iloc[0]) and reason in r.reasons.iloc[0]


def test_iso_week_without_day_is_week_precision():
    r = parse_dates(pd.Series(["2023-W11"], dtype="str"))
    assert str(r.dates.iloc[0])[:10] == "2023-03-13" and r.precision.iloc[0] == "week"


def test_placeholder_dates_are_no_date():
    r = parse_dates(pd.Series(["N/D", "-", "sin dato", "2023-03-15"], dtype="str"))
    assert r.dates.isna().tolist() == [True, True, True, False]
    assert [list(x) for x in r.reasons] == [[], [], [], []]


def test_epoch_column_vectorised_uniform():
    s = pd.Series([str(1678876200 + 86400 * i) for i in range(1000)], dtype="str")
    r = parse_dates(s)
    assert str(r.dates.iloc[0])[:10] == "2023-03-15" and str(r.dates.iloc[999])[:10] == "2025-12-08"


def test_dates_in_other_scripts():
    # Arabic-Indic digits: the same dates as their ASCII spelling (epoch ms, ISO, day-first)
    for s in _both(["\u0661\u0666\u0667\u0668\u0668\u0667\u0666\u0662\u0660\u0660\u0660\u0660\u0660",
                    "\u0662\u0660\u0662\u0663-\u0660\u0663-\u0661\u0665", "\u0661\u0665/\u0660\u0663/\u0662\u0660\u0662\u0663"]):
        r = parse_dates(s)
        assert [str(d)[:10] for d in r.dates] == ["2023-03-15"] * 3


@pytest.mark.parametrize("raw,expect", [("2023-03-15 14:30:00 UTC", "2023-03-15 14:30:00"),
                                        ("15/03/2023 14h30", "2023-03-15 14:30:00"),
                                        ("Wed, 15 Mar 2023 10:30:00 GMT", "2023-03-15 10:30:00"),
                                        ("15/03/2023 2:30 p.m.", "2023-03-15 14:30:00"),
                                        ("Mar 15, 2023, 2:30:00 PM", "2023-03-15 14:30:00"),
                                        # RFC 2822 (e-mail, HTTP) with a bare offset: 10:00 at +01:00 is 09:00 UTC
                                        ("Wed, 15 Mar 2023 10:00:00 +0100", "2023-03-15 09:00:00"),
                                        ("Wed, 15 Mar 2023 23:30:00 -0600", "2023-03-16 05:30:00"),
                                        ("15 Mar 2023 10:00 +05:30", "2023-03-15 04:30:00"),
                                        ("3/15/2023 2:30 PM", "2023-03-15 14:30:00"),
                                        ("Wed Mar 15 2023 10:00:00 GMT+0100 (CET)", "2023-03-15 09:00:00"),
                                        # zone abbreviations after a time (RFC 2822 CST = UTC-6; CET = UTC+1)
                                        ("2023-03-15 10:00:00 CET", "2023-03-15 09:00:00"),
                                        ("Wed, 15 Mar 2023 10:00:00 CST", "2023-03-15 16:00:00"),
                                        ("Mar 15 2023 23:30 PST", "2023-03-16 07:30:00"),
                                        # epoch seconds / ms written as floats by a spreadsheet
                                        ("1678874400.0", "2023-03-15 10:00:00"),
                                        ("1678874400000.0", "2023-03-15 10:00:00")])
def test_date_time_forms(raw, expect):
    assert str(parse_dates(pd.Series([raw], dtype="str")).dates.iloc[0]) == expect



def test_zone_abbreviation_not_guessed_where_it_would_be_lost():
    """A day/month pair whose order is decided per column keeps no zone: unreadable, not shifted;
    an unknown abbreviation is not guessed."""
    r = parse_dates(pd.Series(["15/03/2023 10:00 CET", "2023-03-15 10:00:00 XYZT"], dtype="str"))
    assert r.dates.isna().all() and all("DATE_UNREADABLE" in x for x in r.reasons)
