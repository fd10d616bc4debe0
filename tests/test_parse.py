"""Tests of intel.parse on the hard import cases and hand-built values."""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from intel.nomenclature import match_countries
from intel.coords import check_swaps, convert_projected, load_country_geoms, parse_coordinates, parse_point_text
from intel.dates import parse_dates
from intel.parse import parse_numbers
from intel.serials import serial_flags, serial_key, serial_text
from intel.readers import read_table

CASES = Path(__file__).resolve().parent / "cases"  # copies of ../shared/cases (see tests/cases/README.md)
TOL = 1e-4


def _row(df, i):
    return df.iloc[i]


# ---------------------------------------------------------------- numbers

def test_c04_numbers():
    t = read_table(CASES / "C04_semicolon_decimal_comma.csv")
    assert parse_numbers(t.frame["cantidad_municiones"], t.decimal, t.thousands).tolist() == [1250, 48, 2400, 15]
    assert parse_numbers(t.frame["cantidad_armas"], t.decimal, t.thousands).tolist() == [2, 1, 3, 1]
    lat = parse_numbers(t.frame["latitud"], t.decimal, t.thousands)
    assert lat.tolist() == pytest.approx([-34.6037, -31.4201, -23.5505, -22.9068])


def test_numbers_hand_built():
    s = pd.Series(["1 250,5", "1.250", "1.5", 7, 2.5, None, "abc", "-3", "inf", "", "1\u00a0000"])
    out = parse_numbers(s, ",")
    exp = [1250.5, 1250.0, np.nan, 7.0, 2.5, np.nan, np.nan, -3.0, np.nan, np.nan, 1000.0]
    np.testing.assert_array_equal(out.to_numpy(), np.array(exp))
    out = parse_numbers(pd.Series(["1,250", "1.5", "12E3", " 7 "]), ".", ",")
    assert out.tolist() == [1250.0, 1.5, 12000.0, 7.0]
    assert parse_numbers(pd.Series(["1,250"]), ".").isna().all()  # no thousands given: not a number


# ---------------------------------------------------------------- coordinates

def test_c03_dms_forms():
    t = read_table(CASES / "C03_dms_coordinates.csv").frame
    r = parse_coordinates(t["lat_raw"], t["lon_raw"])
    exp = {
        0: (5.553333, -0.208333), 1: (5.553333, -0.208333), 2: (5.553333, -0.208333),
        3: (5.553333, -0.208333), 4: (6.131944, 1.222222), 5: (43.856111, 18.413333),
        6: (-32.944444, -60.638889),
    }
    for i, (la, lo) in exp.items():
        assert r.loc[i, "outcome"] == "ok", t.loc[i, "record_id"]
        assert r.loc[i, "latitude"] == pytest.approx(la, abs=TOL)
        assert r.loc[i, "longitude"] == pytest.approx(lo, abs=TOL)
        assert r.loc[i, "reasons"] == []
    assert r.loc[3, "longitude"] < 0  # the minus sign on 0 degrees survives
    assert r.loc[7, "outcome"] == "rejected" and r.loc[7, "reasons"] == ["INVALID_DMS"]
    assert math.isnan(r.loc[7, "latitude"])
    assert r.loc[8, "outcome"] == "quarantined" and r.loc[8, "reasons"] == ["HEMISPHERE_MISSING"]
    assert math.isnan(r.loc[8, "latitude"]) and math.isnan(r.loc[8, "longitude"])


def test_c03_res7_cells():
    import h3

    t = read_table(CASES / "C03_dms_coordinates.csv").frame
    r = parse_coordinates(t["lat_raw"], t["lon_raw"])
    cells = [h3.latlng_to_cell(r.loc[i, "latitude"], r.loc[i, "longitude"], 7) for i in range(7)]
    assert cells == ["877576951ffffff"] * 4 + ["875896349ffffff", "871ef4582ffffff", "87c2eba31ffffff"]


def test_c04_coordinates_decimal_comma():
    t = read_table(CASES / "C04_semicolon_decimal_comma.csv")
    r = parse_coordinates(t.frame["latitud"], t.frame["longitud"], t.decimal)
    assert (r["outcome"] == "ok").all()
    assert r["latitude"].tolist() == pytest.approx([-34.6037, -31.4201, -23.5505, -22.9068])
    assert r["longitude"].tolist() == pytest.approx([-58.3816, -64.1888, -46.6333, -43.1729])


def test_c07_null_island():
    t = read_table(CASES / "C07_null_island.csv").frame
    r = parse_coordinates(t["latitude"], t["longitude"])
    assert r["reasons"].tolist()[:4] == [["NULL_ISLAND"]] * 3 + [["MISSING_LOCATION"]]
    assert r["outcome"].tolist() == ["quarantined"] * 4 + ["ok"] * 4
    assert r["latitude"][:4].isna().all()
    assert r.loc[4, "latitude"] == 0.0 and r.loc[4, "longitude"] == pytest.approx(-74.0721)
    assert r.loc[7, "longitude"] == pytest.approx(-0.1870)


def test_c01_ranges_and_swaps():
    t = read_table(CASES / "C01_latlon_swapped.csv").frame
    r = parse_coordinates(t["latitude"], t["longitude"])
    assert r.loc[3, "outcome"] == "rejected"
    assert r.loc[3, "reasons"] == ["LAT_OUT_OF_RANGE", "LATLON_SWAP_SUSPECTED"]
    assert (r.loc[3, "suggested_latitude"], r.loc[3, "suggested_longitude"]) == pytest.approx((19.4326, -99.1332))
    assert math.isnan(r.loc[3, "latitude"])  # never reaches H3
    iso = match_countries(t["country"])["iso3"]
    assert iso.tolist() == ["COL", "COL", "SRB", "MEX", "NGA", "NGA"]
    sw = check_swaps(r["latitude"], r["longitude"], iso, load_country_geoms())
    assert sw["swap_suspected"].tolist() == [False, True, True, False, False, True]
    assert (sw.loc[1, "suggested_latitude"], sw.loc[1, "suggested_longitude"]) == pytest.approx((4.7110, -74.0721))
    assert (sw.loc[2, "suggested_latitude"], sw.loc[2, "suggested_longitude"]) == pytest.approx((44.8176, 20.4573))
    assert (sw.loc[5, "suggested_latitude"], sw.loc[5, "suggested_longitude"]) == pytest.approx((6.4550, 3.3941))
    assert sw.loc[0, ["suggested_latitude"]].isna().all()
    # accepted rows: exactly two distinct res-7 cells, none south of 60S
    import h3

    ok = (r["outcome"] == "ok") & ~sw["swap_suspected"]
    cells = {h3.latlng_to_cell(a, b, 7) for a, b in zip(r["latitude"][ok], r["longitude"][ok])}
    assert cells == {"8766e4288ffffff", "87589c99effffff"}


def test_coordinate_rules_hand_built():
    lat = pd.Series(["S 32 56 40", "32°56'40\"S", "45N", "4233N", "10 30.5 n", "500000", "91", "5",
                     "5°33'12\"E", "abc", "", "-0.0005", 12.5, "0,5"])
    lon = pd.Series(["W 60 38 20", "60°38'20\"O", "20E", "00144E", "5 15 W", "4000000", "10", "200",
                     "1W", "1", "7", "0.0002", -3.25, "1,25"])
    r = parse_coordinates(lat, lon)
    assert r.loc[0, "latitude"] == pytest.approx(-32.944444, abs=TOL)
    assert r.loc[0, "longitude"] == pytest.approx(-60.638889, abs=TOL)
    assert r.loc[1, "longitude"] == pytest.approx(-60.638889, abs=TOL)  # O = Oeste
    assert (r.loc[2, "latitude"], r.loc[2, "longitude"]) == (45.0, 20.0)
    assert r.loc[3, "latitude"] == pytest.approx(42.55) and r.loc[3, "longitude"] == pytest.approx(1.7333333)
    assert r.loc[4, "latitude"] == pytest.approx(10.508333, abs=TOL)
    assert r.loc[4, "longitude"] == pytest.approx(-5.25)
    assert r.loc[5, "reasons"] == ["PROJECTED_COORDINATES"] and r.loc[5, "outcome"] == "quarantined"
    assert r.loc[6, "reasons"] == ["LAT_OUT_OF_RANGE", "LATLON_SWAP_SUSPECTED"]
    assert (r.loc[6, "suggested_latitude"], r.loc[6, "suggested_longitude"]) == (10.0, 91.0)
    assert r.loc[7, "reasons"] == ["LON_OUT_OF_RANGE"] and r.loc[7, "outcome"] == "rejected"
    assert r.loc[8, "reasons"] == ["HEMISPHERE_AXIS_MISMATCH"]
    assert r.loc[9, "reasons"] == ["COORDINATE_UNREADABLE"] and r.loc[9, "outcome"] == "rejected"
    assert r.loc[10, "reasons"] == ["MISSING_LOCATION"]
    assert r.loc[11, "reasons"] == ["NULL_ISLAND"]
    assert (r.loc[12, "latitude"], r.loc[12, "longitude"]) == (12.5, -3.25)
    assert (r.loc[13, "latitude"], r.loc[13, "longitude"]) == (0.5, 1.25)


def test_convert_projected_utm():
    lat, lon = convert_projected(pd.Series(["500000"]), pd.Series([0.0]), "EPSG:32631")
    assert lat[0] == pytest.approx(0.0, abs=1e-6) and lon[0] == pytest.approx(3.0, abs=1e-6)
    with pytest.raises(ValueError):
        convert_projected(pd.Series([1.0]), pd.Series([1.0]), "EPSG:999999")


def test_parse_point_text():
    s = pd.Series(["c(-79.538218382, 43.7337424510001)", "POINT (3.3941 6.455)", "point z(1 2 3)",
                   "43.7, -79.5", None, "c(5.6843418860808e-14, 5.08888749034163e-14)"])
    r = parse_point_text(s)
    assert (r.loc[0, "latitude"], r.loc[0, "longitude"]) == pytest.approx((43.7337424510001, -79.538218382))
    assert (r.loc[1, "latitude"], r.loc[1, "longitude"]) == pytest.approx((6.455, 3.3941))
    assert (r.loc[2, "latitude"], r.loc[2, "longitude"]) == (2.0, 1.0)
    assert r.loc[3].isna().all() and r.loc[4].isna().all()
    nul = parse_coordinates(r["latitude"], r["longitude"])
    assert nul.loc[5, "reasons"] == ["NULL_ISLAND"]


def test_load_country_geoms_kosovo():
    g = load_country_geoms()
    assert "XKX" in g and "-99" not in g
    import shapely

    assert shapely.contains_xy(g["XKX"], 21.1655, 42.6629)  # Pristina


# ---------------------------------------------------------------- dates

def _dates(r):
    return [None if pd.isna(d) else d.strftime("%Y-%m-%d %H:%M") for d in r.dates]


def test_c16a_dayfirst():
    t = read_table(CASES / "C16a_dayfirst_eu.csv").frame
    r = parse_dates(t["seizure_date"])
    assert r.order_used == "dayfirst" and not r.needs_choice
    assert _dates(r) == ["2024-01-12 00:00", "2024-02-01 00:00", "2024-04-15 00:00", "2024-03-01 00:00"]


def test_c16b_monthfirst():
    t = read_table(CASES / "C16b_monthfirst_us_trace.csv").frame
    r = parse_dates(t["recovery_date"])
    assert r.order_used == "monthfirst" and not r.needs_choice
    assert _dates(r) == ["2024-03-04 00:00", "2024-12-31 00:00", "2024-07-15 00:00"]


def test_c04_dates():
    t = read_table(CASES / "C04_semicolon_decimal_comma.csv").frame
    r = parse_dates(t["fecha"])
    assert _dates(r) == ["2024-03-15 00:00", "2024-03-16 00:00", "2024-03-17 00:00", "2024-03-18 00:00"]


def test_c15_excel_dates():
    t = read_table(CASES / "C15_excel_serial_dates.xlsx")
    col = "fecha_incautacion"
    r = parse_dates(t.frame[col], order=t.date_order_hints.get(col, "auto"), datemode=t.datemode)
    assert _dates(r) == ["2024-01-01 00:00", "2024-03-15 00:00", "2024-05-01 00:00", "2024-05-01 12:00",
                         "2024-03-15 00:00"]
    assert r.reasons.tolist() == [[], [], [], [], ["DATE_SERIAL_AS_TEXT"]]
    # without the hint the lone text date is ambiguous: the analyst must choose
    r2 = parse_dates(t.frame[col], datemode=t.datemode)
    assert r2.needs_choice and r2.reasons[2] == ["DATE_AMBIGUOUS"] and pd.isna(r2.dates[2])
    assert _dates(r2)[0] == "2024-01-01 00:00"


def test_1904_workbook(tmp_path):
    wb = openpyxl.Workbook()
    wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    ws = wb.active
    ws.append(["record_id", "fecha"])
    ws.append(["A", 43830])          # 1904 system: 43830 + 1462 = 45292 -> 2024-01-01
    ws.append(["B", "43951.5"])
    p = tmp_path / "mac.xlsx"
    wb.save(p)
    t = read_table(p)
    assert t.datemode == 1
    r = parse_dates(t.frame["fecha"], datemode=t.datemode)
    assert _dates(r) == ["2024-01-01 00:00", "2024-05-01 12:00"]
    assert r.reasons.tolist() == [[], ["DATE_SERIAL_AS_TEXT"]]
    r0 = parse_dates(t.frame["fecha"], datemode=0)
    assert _dates(r0) == ["2019-12-31 00:00", "2020-04-30 12:00"]


def test_dates_all_ambiguous_needs_choice_then_choice():
    s = pd.Series(["01/02/2024", "03/04/2024", "05/05/2024"])
    r = parse_dates(s)
    assert r.needs_choice and r.order_used == "mixed-none"
    assert r.reasons.tolist() == [["DATE_AMBIGUOUS"], ["DATE_AMBIGUOUS"], []]
    assert _dates(r) == [None, None, "2024-05-05 00:00"]
    r = parse_dates(s, order="monthfirst")
    assert not r.needs_choice and _dates(r) == ["2024-01-02 00:00", "2024-03-04 00:00", "2024-05-05 00:00"]


def test_dates_conflict():
    r = parse_dates(pd.Series(["13/01/2024", "01/13/2024", "02/03/2024"]))
    assert r.needs_choice and r.order_used == "mixed-none"
    assert r.reasons.tolist() == [["DATE_ORDER_CONFLICT"], ["DATE_ORDER_CONFLICT"], ["DATE_AMBIGUOUS"]]


def test_dates_other_forms():
    s = pd.Series(["15 de marzo de 2024", "March 2024", "2024", "1er avril 2024", "20240315", "03/2024",
                   "2024-03-15T10:00:00Z", "2024-03-15 08:30", 45292, 1234.0, 70000, dt.date(2024, 1, 2),
                   pd.Timestamp("2024-02-03 04:05"), None, "", "garbage", "2024-13-45", "01/01/1900", "0",
                   "15.03.24"])
    r = parse_dates(s)
    assert _dates(r) == ["2024-03-15 00:00", "2024-03-01 00:00", "2024-01-01 00:00", "2024-04-01 00:00",
                         "2024-03-15 00:00", "2024-03-01 00:00", "2024-03-15 10:00", "2024-03-15 08:30",
                         "2024-01-01 00:00", None, None, "2024-01-02 00:00", "2024-02-03 04:05", None, None,
                         None, None, None, None, "2024-03-15 00:00"]
    assert r.precision.tolist()[:6] == ["day", "month", "year", "day", "day", "month"]
    assert r.reasons[9] == ["DATE_OUT_OF_RANGE"] and r.reasons[10] == ["DATE_OUT_OF_RANGE"]
    assert r.reasons[15] == ["DATE_UNREADABLE"] and r.reasons[16] == ["DATE_INVALID"]
    assert r.reasons[17] == ["DATE_OUT_OF_RANGE"] and r.reasons[18] == ["DATE_OUT_OF_RANGE"]
    assert r.reasons[19] == ["DATE_TWO_DIGIT_YEAR"]
    assert r.order_used == "dayfirst"
    assert not any(d is not None and (d.startswith("1970") or d.startswith("1900")) for d in _dates(r))


def test_dates_iso_fast_path_and_errors():
    r = parse_dates(pd.Series(["2024-02-03", "2024-02-30"]))
    assert r.order_used == "iso" and _dates(r) == ["2024-02-03 00:00", None]
    assert r.reasons[1] == ["DATE_INVALID"]
    with pytest.raises(ValueError):
        parse_dates(pd.Series(["x"]), order="yearfirst")
    with pytest.raises(ValueError):
        parse_dates(pd.Series(["x"]), datemode=2)


# ---------------------------------------------------------------- serials

def test_c18_serials():
    t = read_table(CASES / "C18_serial_numbers.csv").frame
    s = serial_text(t["serial_number"])
    assert s.tolist() == ["00123456", "12E45", "5E0", "0012E3", "000789", "1234567890123456789"]
    assert serial_flags(t["serial_number"]).tolist() == [[]] * 6
    assert serial_key(pd.Series(["ab-12 34.x/y", "O0o", None, " - "])).tolist() == ["AB1234XY", "O0O", None, None]


def test_serial_numeric_in_source():
    raw = pd.Series([123456, 123456.0, "00123456", "1.23457E+18", None], dtype=object)
    assert serial_text(raw).tolist() == ["123456", "123456", "00123456", "1.23457E+18", None]
    assert serial_flags(raw).tolist() == [["SERIAL_NUMERIC_IN_SOURCE"], ["SERIAL_NUMERIC_IN_SOURCE"], [],
                                          ["SERIAL_SCIENTIFIC_NOTATION"], []]


# ---- Arrow fast paths give exactly the Python path's results -------------------------------

_TRICKY = ["4.7110", " -74.0721 ", "-0,5", "+.5", "5.", "1e3", "1,234,5", "", "   ", None, "0", "-0",
           "5°33'12\"N", "053312N", "-0°12'30\"", "45°61'00\"N", "5 33 12", "12E45", "00123456",
           "1.23457E+18", "١٢٣", "\u00a012.5\u2003", "9x19", "15/03/2024", "03/15/2024", "2024-02-30",
           "2024-03-15", "2024-3-5", "2024-03-15 10:00", "45366", "31.12.2024", "mar 2024", "abc-12/x_y",
           "ß-straße 7", "ab\x1fcd", "1.250", "1 250,5"]


def _both(values):
    obj = pd.Series(np.array(values, dtype=object), dtype=object)
    arrow = pd.Series(values, dtype=pd.StringDtype("pyarrow"))
    return obj, arrow


def test_arrow_paths_match_python_paths():
    obj, arrow = _both(_TRICKY)
    for dec, thou in ((".", None), (",", ".")):
        a, b = parse_numbers(obj, dec, thou), parse_numbers(arrow, dec, thou)
        assert np.allclose(a, b, equal_nan=True), (dec, a.tolist(), b.tolist())
        ra = parse_coordinates(obj, obj[::-1].reset_index(drop=True), dec)
        rb = parse_coordinates(arrow, arrow[::-1].reset_index(drop=True), dec)
        for c in ("latitude", "longitude", "suggested_latitude", "suggested_longitude"):
            assert np.allclose(ra[c], rb[c], equal_nan=True), c
        assert ra["outcome"].tolist() == rb["outcome"].tolist()
        assert ra["reasons"].tolist() == rb["reasons"].tolist()
    for order in ("auto", "dayfirst", "monthfirst"):
        da, db = parse_dates(obj, order=order), parse_dates(arrow, order=order)
        assert da.dates.equals(db.dates) and da.precision.tolist() == db.precision.tolist()
        assert da.reasons.tolist() == db.reasons.tolist()
        assert (da.order_used, da.needs_choice) == (db.order_used, db.needs_choice)
    assert serial_text(obj).tolist() == serial_text(arrow).tolist()
    assert serial_key(obj).tolist() == serial_key(arrow).tolist()
    assert serial_flags(obj).tolist() == serial_flags(arrow).tolist()


def test_python_whitespace_set():
    from intel.arrowtext import _PY_WHITESPACE

    assert set(_PY_WHITESPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}


def test_whitespace_byte_check_finds_every_space():
    """The byte look that lets the Arrow paths skip stripping sees every Python space."""
    from intel.arrowtext import _PY_WHITESPACE, _pa_may_hold_space

    for ch in _PY_WHITESPACE:
        assert _pa_may_hold_space(np.frombuffer(("12.5" + ch).encode(), dtype=np.uint8)), hex(ord(ch))
    assert not _pa_may_hold_space(np.frombuffer("12°34'56\"N é ß".replace(" ", "").encode(), dtype=np.uint8))


def test_arrow_cast_reads_exactly_the_decimal_pattern():
    """Arrow's cast accepts, among strings of digits, signs and one decimal mark, exactly the
    plain-decimal pattern (what the coordinate and number fast paths rely on)."""
    import itertools
    import re

    import pyarrow as pa
    import pyarrow.compute as pc

    from intel.arrowtext import _RE_DECIMAL_DOT

    pattern = re.compile(_RE_DECIMAL_DOT)
    texts = ["".join(p) for k in range(1, 6) for p in itertools.product("09.+-", repeat=k)]
    for t in texts:
        try:
            v = pc.cast(pa.array([t], pa.large_string()), pa.float64())[0].as_py()
        except pa.ArrowInvalid:
            v = None
        assert (v is not None) == bool(pattern.match(t)), t
        assert v is None or (v == float(t) and math.copysign(1, v) == math.copysign(1, float(t))), t
    for dec, mark in ((".", "."), (",", ",")):
        texts_m = [t.replace(".", mark) for t in texts]
        obj, arrow = _both(texts_m)
        np.testing.assert_array_equal(parse_numbers(arrow, dec).to_numpy(), parse_numbers(obj, dec).to_numpy())


def test_coordinate_fast_path_edge_cases():
    dms = "5°33'12\""   # no hemisphere: accepted only beside an explicitly signed partner
    rows = [  # lat, lon, expected (latitude, longitude) or reasons
        ("-0.5", "-0,25", (-0.5, -0.25)),
        ("0°30'S", "0°30'00\"W", (-0.5, -0.5)),
        (" 12.5 ", "\u00a07\u2003", (12.5, 7.0)),
        ("+12.5", dms, (12.5, 5 + 33 / 60 + 12 / 3600)),
        ("\u221212.5", "10", (-12.5, 10.0)),
        ("1e3", "10", ["LAT_OUT_OF_RANGE"]),
        ("12,5", "1.5", (12.5, 1.5)),
        ("1.234,5", "10", ["INVALID_DMS"]),
        ("12°34'56\"N", "1°00'00\"O", (12 + 34 / 60 + 56 / 3600, -1.0)),
        ("12°60'00\"N", "10", ["INVALID_DMS"]),
        ("12°34'56\"E", "10", ["HEMISPHERE_AXIS_MISMATCH"]),
        ("-0", "-0", ["NULL_ISLAND"]),
        ("12.5", dms, ["HEMISPHERE_MISSING"]),
        ("5-", "10", ["COORDINATE_UNREADABLE"]),
        ("-0", dms, (-0.0, 5 + 33 / 60 + 12 / 3600)),
        ("0°30'00\"s", "-0°12'30\"", (-0.5, -(12 / 60 + 30 / 3600))),
    ]
    lat, lon = _both([r[0] for r in rows]), _both([r[1] for r in rows])
    for la, lo in zip(lat, lon):
        r = parse_coordinates(la, lo)
        for i, (_, _, want) in enumerate(rows):
            if isinstance(want, tuple):
                assert r.loc[i, "outcome"] == "ok" and r.loc[i, "reasons"] == [], (i, r.loc[i, "reasons"])
                got = (r.loc[i, "latitude"], r.loc[i, "longitude"])
                assert got == want, i   # exact: the fast paths make the Python path's floats
                assert [math.copysign(1, g) for g in got] == [math.copysign(1, w) for w in want], i
            else:
                assert r.loc[i, "reasons"] == want, (i, r.loc[i, "reasons"])
                assert math.isnan(r.loc[i, "latitude"]), i
    r0 = parse_coordinates(*[pd.Series([], dtype=pd.StringDtype("pyarrow"))] * 2)
    r1 = parse_coordinates(*[pd.Series([], dtype=object)] * 2)
    assert len(r0) == 0 and list(r0.dtypes) == list(r1.dtypes)


def test_dms_fast_path_bit_exact():
    """The plain DMS form read by Arrow gives the Python path's floats bit for bit."""
    rng = np.random.default_rng(3)
    d, m = rng.integers(0, 181, 3000), rng.integers(0, 62, 3000)
    sec = [round(x, int(k)) for x, k in zip(rng.uniform(0, 61, 3000), rng.integers(0, 5, 3000))]
    lat = [f"{a % 91}°{b:02d}'{c:g}\"{h}" for a, b, c, h in zip(d, m, sec, rng.choice(list("NSns"), 3000))]
    lon = [f"{a}°{b}'{c:05.2f}\"{h}" for a, b, c, h in zip(d, m, sec, rng.choice(list("EWOewo"), 3000))]
    (lat_o, lat_a), (lon_o, lon_a) = _both(lat), _both(lon)
    ra, ro = parse_coordinates(lat_a, lon_a), parse_coordinates(lat_o, lon_o)
    for c in ("latitude", "longitude"):
        assert ra[c].to_numpy().tobytes() == ro[c].to_numpy().tobytes(), c
    assert ra["reasons"].tolist() == ro["reasons"].tolist()
    assert (ra["outcome"] == "ok").sum() > 1000 and (ra["outcome"] == "rejected").sum() > 100


def test_number_fast_path_edge_cases():
    texts = ["1.250,5", "1 250,5", "12,5", "-0,5", "+12,5", "1.5", "1e3", "\u221212,5", " 7 ", "1.234.567",
             "5-", "", None, "30436999."]
    want = [1250.5, 1250.5, 12.5, -0.5, 12.5, np.nan, 1000.0, -12.5, 7.0, 1234567.0, np.nan, np.nan, np.nan,
            np.nan]
    for s in _both(texts):
        got = parse_numbers(s, ",").to_numpy()
        np.testing.assert_array_equal(got, np.array(want))
        assert np.signbit(got[3])
    texts = ["1,250.5", "1.5", "-0.5", ".5", "5.", "+.5", "1e3", "1,5", "-0"]
    want = [1250.5, 1.5, -0.5, 0.5, 5.0, 0.5, 1000.0, np.nan, -0.0]
    for s in _both(texts):
        got = parse_numbers(s, ".", ",").to_numpy()
        np.testing.assert_array_equal(got, np.array(want))
        assert np.signbit(got[-1])


def test_serial_fast_path_edge_cases():
    texts = ["00123456", "ab-12 34.x/y", "O0o", " - ", "", None, "1.23457E+18", "１２３", "ß-straße 7",
             "abc\tdef", "A_B\\C"]
    for s in _both(texts):
        assert serial_text(s).tolist() == [t or None for t in texts]
        assert serial_key(s).tolist() == ["00123456", "AB1234XY", "O0O", None, None, None, "123457E+18", "123",
                                          "SSSTRASSE7", "ABCDEF", "ABC"]
        assert serial_flags(s).tolist() == [[]] * 6 + [["SERIAL_SCIENTIFIC_NOTATION"]] + [[]] * 4
    for s in _both(["00123456", "12345678", None, ""]):   # digits only: every Arrow pass skipped
        assert serial_key(s).tolist() == ["00123456", "12345678", None, None]
        assert serial_text(s).tolist() == ["00123456", "12345678", None, None]


def test_arrow_paths_ignore_bytes_of_null_slots():
    """Arrow may leave bytes in the slots of null values: the byte looks must not be misled."""
    import pyarrow as pa

    values = ["12.5", None, "-0,5", "5°33'12\"N", None, "AB-1", "", None]
    for garbage in ("9°x,+ \u00a0-", ""):
        data, offs = b"", [0]
        for v in values:
            data += (v if v is not None else garbage).encode()
            offs.append(len(data))
        arr = pa.Array.from_buffers(pa.large_string(), len(values),
                                    [pa.array([v is not None for v in values]).buffers()[1],
                                     pa.py_buffer(np.array(offs, dtype=np.int64).tobytes()), pa.py_buffer(data)],
                                    values.count(None))
        dirty = pd.Series(pd.arrays.ArrowStringArray(arr, dtype=pd.StringDtype("pyarrow")))
        clean = pd.Series(values, dtype=pd.StringDtype("pyarrow"))
        other = pd.Series(["1"] * len(values), dtype=pd.StringDtype("pyarrow"))
        for dec in (".", ","):
            np.testing.assert_array_equal(parse_numbers(dirty, dec), parse_numbers(clean, dec))
            pd.testing.assert_frame_equal(parse_coordinates(dirty, other, dec), parse_coordinates(clean, other, dec))
            pd.testing.assert_frame_equal(parse_coordinates(other, dirty, dec), parse_coordinates(other, clean, dec))
        for f in (serial_text, serial_key, serial_flags):
            assert f(dirty).tolist() == f(clean).tolist()


@pytest.mark.parametrize("name", ["C01_latlon_swapped.csv", "C03_dms_coordinates.csv", "C04_semicolon_decimal_comma.csv",
                                  "C07_null_island.csv", "C18_serial_numbers.csv", "C19_calibre_variants.csv",
                                  "C20_country_names.csv", "C16a_dayfirst_eu.csv"])
def test_prepare_same_on_arrow_and_object_frames(name):
    """The importer gives the same records whichever kind of text column the reader returns."""
    import dataclasses

    from intel import ingest, mapping

    t = read_table(CASES / name)
    obj = t.frame.astype(object)
    obj = obj.where(obj.notna(), None)
    t_obj = dataclasses.replace(t, frame=obj)
    profile = {"name": None, "source": "x", "kind": "seizure", "columns": mapping.suggest_mapping(list(t.frame.columns))}
    a, b = ingest.prepare(t, profile), ingest.prepare(t_obj, profile)
    for got, want in ((a.events, b.events), (a.report, b.report), (a.quarantine, b.quarantine)):
        assert list(got.columns) == list(want.columns)
        for c in got.columns:
            x, y = got[c].tolist(), want[c].tolist()
            assert [None if (v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))) else v for v in x] == \
                   [None if (v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))) else v for v in y], (name, c)


@pytest.mark.parametrize("text", ["N", "S ", " W", "E."])
def test_hemisphere_letter_alone_is_unreadable_not_a_crash(text):
    """A cell holding only a hemisphere letter is an unreadable coordinate (the row is
    rejected with its reason), never an exception that stops the import."""
    out = parse_coordinates(pd.Series([text, "10.5"], dtype=object), pd.Series(["1.0", "2.0"], dtype=object))
    assert out["outcome"].tolist()[1] == "ok"
    assert out["outcome"].tolist()[0] != "ok" and out["reasons"].iloc[0]


def test_split_modules_import_in_any_order():
    """intel.parse (shared helpers) and intel.coords, intel.dates, intel.serials (which import
    them) load whichever is imported first."""
    import subprocess
    import sys

    script = (
        "import importlib, itertools, sys\n"
        "mods = ['intel.coords', 'intel.dates', 'intel.serials', 'intel.parse']\n"
        "for order in itertools.permutations(mods):\n"
        "    for m in mods:\n"
        "        sys.modules.pop(m, None)\n"
        "    for m in order:\n"
        "        importlib.import_module(m)\n"
        "print('ok')\n"
    )
    root = Path(__file__).resolve().parent.parent
    r = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
