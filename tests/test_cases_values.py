"""Real-world value cases of issue 14 (tests/cases/real-world, copied from ../shared/cases/real-world;
right results in its EXPECTED.md) through the CLI, as :func:`tests.test_cases.test_n02...` does:
placeholders (N07a), per-column thousands marks (N16), one "lat, lon" column (N08), MGRS grid
references (N09a) and the date forms of police systems (N17)."""
from __future__ import annotations

import json

import pytest

from tests.test_cases import cli_import, events, near

RW = "real-world/"


# ---------------------------------------------------------------------------------------- N07a

def test_n07a_placeholders_are_missing_values_namibia_stays(tmp_path):
    rep, con, rows = cli_import(tmp_path, RW + "N07a_placeholders_namibia_NA.csv")
    assert rep["rows_read"] == 8
    assert all(r["country_iso3"] == "NAM" for r in rows.values())          # 'NA' is Namibia, never missing
    for rid, (la, lo, cell) in {"NA-01": (-22.5609, 17.0658, "87aca6b9affffff"),
                                "NA-05": (-22.9576, 14.5053, "87ac12cdcffffff"),
                                "NA-07": (-22.9576, 14.5053, "87ac12cdcffffff"),
                                "NA-08": (-22.5609, 17.0658, "87aca6b9affffff")}.items():
        r = rows[rid]
        assert r["outcome"] == "accepted" and r["h3_res7"] == cell, rid
        assert near(r["latitude"], la) and near(r["longitude"], lo), rid
    for rid in ("NA-02", "NA-03", "NA-04"):   # 'N/A', '-', '?' coordinates: no location given
        r = rows[rid]
        assert r["outcome"] == "quarantined" and "MISSING_LOCATION" in r["reasons"], rid
        assert "COORDINATE_UNREADABLE" not in r["reasons"], rid
        assert r["date"][:10] == f"2023-06-0{rid[-1]}", rid
    # NA-06 ('N/D' date, 'N/A' calibre, 'S/N' serial) has the outcome of NA-08 (blank date)
    r6, r8 = rows["NA-06"], rows["NA-08"]
    assert r6["outcome"] == r8["outcome"] == "accepted" and r6["date"] is None and r8["date"] is None
    assert r6["calibre"] is None and not {"DATE_UNREADABLE", "DATE_INVALID", "CALIBRE_UNKNOWN"} & set(r6["reasons"])
    ev = events(con)
    assert ev["NA-01"]["serial_number"] == "NAM-7781" and ev["NA-08"]["serial_number"] == "NAM-7788"
    for rid in ("NA-05", "NA-06", "NA-07"):   # 'S/N', 'OBLITERATED': no serial, no match key
        assert ev[rid]["serial_number"] is None and ev[rid]["serial_key"] is None, rid
    # the raw text is kept
    assert json.loads(ev["NA-07"]["raw"])["serial_number"] == "OBLITERATED"
    assert json.loads(ev["NA-02"]["raw"])["latitude"] == "N/A"
    # unlocated, not rejected: counted by country
    assert {ev[r]["status"] for r in ("NA-02", "NA-03", "NA-04")} == {"unlocated"}


def test_placeholder_serials_are_never_reseizure_leads(tmp_path):
    """Two agencies each write 'S/N' / 'OBLITERATED' for a missing serial: no link, no lead."""
    p = tmp_path / "ph.csv"
    p.write_text("record_id,seizure_date,country,latitude,longitude,firearm_type,serial_number,seizing_agency\n"
                 "A-1,2023-01-01,Mali,12.6392,-8.0029,pistol,S/N,Gendarmerie\n"
                 "B-1,2023-02-01,Mali,14.4469,-11.4456,pistol,s/n,Douanes\n"
                 "A-2,2023-03-01,Mali,12.6392,-8.0029,pistol,OBLITERATED,Gendarmerie\n"
                 "B-2,2023-04-01,Mali,14.4469,-11.4456,pistol,Obliterated,Douanes\n"
                 "A-3,2023-05-01,Mali,12.6392,-8.0029,pistol,BORRADO,Gendarmerie\n"
                 "B-3,2023-06-01,Mali,14.4469,-11.4456,pistol,ILLISIBLE,Douanes\n", encoding="utf-8")
    rep, con, rows = cli_import(tmp_path, str(p))   # an absolute path: CASES / path is the path
    assert all("RESEIZURE_LEAD" not in r["reasons"] for r in rows.values())
    assert con.execute("SELECT count(*) FROM events WHERE serial_key IS NOT NULL").fetchone()[0] == 0
    from intel.links import seizure_links
    assert len(seizure_links(con)) == 0


# ---------------------------------------------------------------------------------------- N16

N16 = {"PN-CO-01": (1.0, 1500.0, 4.711, -74.0721), "PN-CO-02": (2.0, 750.0, 7.8939, -72.5078),
       "PN-CO-03": (1.0, 2000.0, 3.4516, -76.532), "PN-CO-04": (3.0, 12500.0, 6.2442, -75.5812),
       "PN-CO-05": (1.0, 48.0, 3.8801, -77.0312), "PN-CO-06": (1.0, 1250.0, 0.8302, -77.6444)}


def test_n16_dot_thousands_in_counts_dot_decimals_in_coordinates(tmp_path):
    rep, con, rows = cli_import(tmp_path, RW + "N16_dot_thousands_counts_dot_decimal_coords.csv")
    assert rep["accepted"] == 6
    for rid, (qty, ammo, la, lo) in N16.items():
        r = rows[rid]
        assert r["outcome"] == "accepted" and r["country_iso3"] == "COL", rid
        assert r["quantity"] == qty and r["ammunition"] == ammo, rid
        assert near(r["latitude"], la) and near(r["longitude"], lo), rid
    ev = events(con)
    assert json.loads(ev["PN-CO-04"]["raw"])["ammunition"] == "12.500"   # the raw text of the converted count


# ---------------------------------------------------------------------------------------- N17

N17 = {"D-01": "2023-03-15", "D-02": "2023-03-15", "D-03": "2023-03-16", "D-04": "2023-03-15",
       "D-05": "2023-03-15", "D-06": "2023-03-15", "D-07": "2023-03-15", "D-08": "2023-03-15",
       "D-09": "2023-03-15", "D-10": "2023-03-16", "D-11": "2023-03-15", "D-12": "2023-03-15"}


def test_n17_date_forms_of_police_systems(tmp_path):
    rep, con, rows = cli_import(tmp_path, RW + "N17_date_forms_police_systems.csv")
    assert rep["rows_read"] == 12 and rep["accepted"] == 12
    ev = events(con)
    for rid, d in N17.items():
        r = rows[rid]
        assert r["outcome"] == "accepted" and r["date"][:10] == d and r["country_iso3"] == "MEX", (rid, r)
        assert ev[rid]["date_precision"] == "day", rid
    # the raw text of each converted date is kept
    assert json.loads(ev["D-06"]["raw"])["date"] == "1678876200000"
    assert json.loads(ev["D-05"]["raw"])["date"] == "2023-W11-3"


# ---------------------------------------------------------------------------------------- N08

N08 = {2: (19.4326, -99.1332, "874995b84ffffff", "2023-07-01"), 3: (32.5149, -117.0382, "8729a4c75ffffff", "2023-07-02"),
       4: (24.8091, -107.394, "874802ba2ffffff", "2023-07-03"), 5: (27.4764, -99.5164, "874880d85ffffff", "2023-07-04"),
       6: (14.9056, -92.2634, "876d2a171ffffff", "2023-07-05"), 7: (31.6904, -106.4245, "8748c6d4bffffff", "2023-07-06")}


def test_n08_single_lat_lon_column(tmp_path):
    rep, con, rows = cli_import(tmp_path, RW + "N08_single_column_lat_lon.csv")
    assert rep["accepted"] == 6
    by_row = {r["row_number"]: r for r in rep["rows"]}
    for rn, (la, lo, cell, d) in N08.items():
        r = by_row[rn]
        assert r["outcome"] == "accepted" and r["h3_res7"] == cell and r["date"][:10] == d, rn
        assert near(r["latitude"], la) and near(r["longitude"], lo) and r["country_iso3"] == "MEX", rn
    assert set(rows) == {f"FGR/{c}/2023/000{i}" for i, c in enumerate(["CDM", "TIJ", "CUL", "NUE", "TAP", "CIU"], 1)}
    ev = events(con)
    assert json.loads(ev["FGR/NUE/2023/0004"]["raw"])["point"] == "27.4764,-99.5164"   # the raw text is kept


# ---------------------------------------------------------------------------------------- N09a

N09A = {"MLI-G-01": (12.6392, -8.0029, "875440d2bffffff"), "MLI-G-02": (14.4469, -11.4456, "875408b46ffffff"),
        "MLI-G-03": (16.2717, -0.0447, "8759ac455ffffff"), "MLI-G-04": (16.7735, -3.0074, "8759a694affffff"),
        "MLI-G-05": (18.4411, 1.4078, "875911260ffffff"), "MLI-G-06": (15.9182, 2.4022, "875834d89ffffff")}


def test_n09a_mgrs_grid_references(tmp_path):
    rep, con, rows = cli_import(tmp_path, RW + "N09a_mgrs_grid_references.csv")
    assert rep["accepted"] == 6 and any("MGRS" in w for w in rep["warnings"])
    ev = events(con)
    for rid, (la, lo, cell) in N09A.items():
        r = rows[rid]
        assert r["outcome"] == "accepted" and r["country_iso3"] == "MLI", rid
        # the south-west corner of the 1 m / 10 m square: within 2e-4 degrees of the town centre
        assert abs(r["latitude"] - la) <= 2e-4 and abs(r["longitude"] - lo) <= 2e-4, rid
        assert r["h3_res7"] == cell, rid
        assert ev[rid]["location_precision"] == "exact", rid
    assert json.loads(ev["MLI-G-02"]["raw"])["point"] == "29P KR 36345 98556"


def _csv(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


def test_utm_zone_per_row(tmp_path):
    """UTM easting/northing with the zone in its own column, each row converted in its own zone.

    Hand-computed: easting 500,000 m is the zone's central meridian (zone z: 6z - 183 deg), and
    northing 0 is the equator (northern zones) or 10,000,000 m is the equator (southern zones).
    1,800,000 m north on the central meridian is 1,800,720 m of meridian arc (/ 0.9996), about
    16.28 deg N (110.6 km per degree there)."""
    path = _csv(tmp_path, "utm.csv", "record_id,seizure_date,country,utm_zone,easting,northing\n"
                                     "U-1,2023-08-01,,29N,500000,0\n"
                                     "U-2,2023-08-01,,30N,500000,0\n"
                                     "U-3,2023-08-01,,31,500000,0\n"
                                     "U-4,2023-08-01,,33S,500000,10000000\n"
                                     "U-5,2023-08-01,Mali,30P,500000,1800000\n"
                                     "U-6,2023-08-01,Mali,30Q,500000,1800000\n"
                                     "U-7,2023-08-01,Mali,61,500000,1800000\n")
    rep, con, rows = cli_import(tmp_path, path)
    for rid, (la, lo) in {"U-1": (0.0, -9.0), "U-2": (0.0, -3.0), "U-3": (0.0, 3.0), "U-4": (0.0, 15.0)}.items():
        r = rows[rid]
        assert abs(r["latitude"] - la) < 1e-6 and abs(r["longitude"] - lo) < 1e-6, (rid, r)
    assert rows["U-5"]["outcome"] == "accepted" and abs(rows["U-5"]["latitude"] - 16.28) < 0.01
    assert rows["U-5"]["longitude"] == pytest.approx(-3.0)
    # band Q is 16-24 deg N: 16.28 deg fits it too; zone 61 does not exist
    assert rows["U-6"]["outcome"] == "accepted"
    assert rows["U-7"]["outcome"] != "accepted" and "COORDINATE_INVALID" in rows["U-7"]["reasons"]
    ev = events(con)
    assert json.loads(ev["U-2"]["raw"])["utm_zone"] == "30N" and json.loads(ev["U-2"]["raw"])["easting"] == "500000"


def test_utm_band_letter_must_match_the_latitude(tmp_path):
    # band X is 72-84 deg N: a northing of 1,800,000 m (16.3 deg N) cannot be there -> not converted
    path = _csv(tmp_path, "utmb.csv", "record_id,seizure_date,country,utm_zone,easting,northing\n"
                                      "B-1,2023-08-01,,30X,500000,1800000\n")
    rep, con, rows = cli_import(tmp_path, path)
    assert rows["B-1"]["outcome"] != "accepted"


def test_utm_without_zone_is_held_back_or_uses_the_files_crs(tmp_path):
    path = _csv(tmp_path, "utm0.csv", "record_id,seizure_date,country,easting,northing\n"
                                      "V-1,2023-08-01,,500000,0\n")
    rep, con, rows = cli_import(tmp_path, path)
    assert rows["V-1"]["outcome"] == "quarantined" and "PROJECTED_COORDINATES" in rows["V-1"]["reasons"]
    con.close()
    (tmp_path / "b").mkdir()
    rep, con, rows = cli_import(tmp_path / "b", path, extra=["--crs", "EPSG:32631"])
    assert rows["V-1"]["latitude"] == pytest.approx(0.0, abs=1e-6) and rows["V-1"]["longitude"] == pytest.approx(3.0)


def test_point_column_forms(tmp_path):
    path = _csv(tmp_path, "pts.csv",
                "record_id,seizure_date,country,coordinates\n"
                "P-1,2023-01-01,Mexico,POINT(-99.1332 19.4326)\n"
                "P-2,2023-01-02,Mexico,\"19°25'57\"\"N, 99°07'59\"\"W\"\n"
                "P-3,2023-01-03,Mali,29P KR 36345 98556\n"
                "P-4,2023-01-04,Mexico,N/A\n"
                "P-5,2023-01-05,Mexico,somewhere\n")
    rep, con, rows = cli_import(tmp_path, path)
    assert rows["P-1"]["outcome"] == "accepted" and near(rows["P-1"]["latitude"], 19.4326)
    assert rows["P-2"]["outcome"] == "accepted" and abs(rows["P-2"]["latitude"] - 19.4325) < 1e-3
    assert abs(rows["P-2"]["longitude"] + 99.133055) < 1e-3
    assert rows["P-3"]["outcome"] == "accepted" and abs(rows["P-3"]["latitude"] - 14.4469) < 2e-4
    assert rows["P-4"]["outcome"] == "quarantined" and rows["P-4"]["reasons"] == ["MISSING_LOCATION"]
    assert rows["P-5"]["outcome"] != "accepted" and "COORDINATE_INVALID" in rows["P-5"]["reasons"]



def test_point_column_degree_signs_ewkt_and_place_named_column(tmp_path):
    """Issue 14 'lat, lon' kinds tried as a new user: a pair with degree signs, a decimal-comma
    pair split by a comma (three commas: one split only), EWKT with SRID 4326 (another SRID is not
    guessed: quarantined with its reason), and a column named 'location' (a place-name synonym)
    whose values are points -- read as the point, not as a place name."""
    path = _csv(tmp_path, "deg.csv",
                "record_id,seizure_date,country,location\n"
                "G-1,2023-05-01,Mali,\"12.6392°, -8.0029°\"\n"
                "G-2,2023-05-02,Mali,12.6392º; -8.0029º\n"
                "G-3,2023-05-03,Mali,\"12,6392, -8,0029\"\n"
                "G-4,2023-05-04,Mali,SRID=4326;POINT(-0.0447 16.2717)\n"
                "G-5,2023-05-05,Mali,SRID=32630;POINT(815880.3 1801273.7)\n"
                "G-6,2023-05-06,Mali,13.5116;2.1254\n")
    rep, con, rows = cli_import(tmp_path, path)
    for rid, (la, lo, cell) in {"G-1": (12.6392, -8.0029, "875440d2bffffff"), "G-2": (12.6392, -8.0029, "875440d2bffffff"),
                                "G-3": (12.6392, -8.0029, "875440d2bffffff"), "G-4": (16.2717, -0.0447, "8759ac455ffffff")}.items():
        r = rows[rid]
        assert r["outcome"] == "accepted" and r["h3_res7"] == cell, (rid, r)
        assert near(r["latitude"], la) and near(r["longitude"], lo), rid
    assert rows["G-5"]["outcome"] != "accepted" and "COORDINATE_INVALID" in rows["G-5"]["reasons"]
    assert near(rows["G-6"]["latitude"], 13.5116) and near(rows["G-6"]["longitude"], 2.1254)
    assert json.loads(events(con)["G-1"]["raw"])["point"] == "12.6392°, -8.0029°"   # the raw text is kept
    from intel.mapping import suggest_mapping
    assert suggest_mapping(["record_id", "location"])["place"] == "location"   # names alone: a place


def test_point_column_decimal_comma_with_hemisphere_letters(tmp_path):
    """'12,6392° N; 8,0029° W' (decimal commas, split by the semicolon) in either order; a pair
    with a hemisphere letter on one side only is not guessed."""
    path = _csv(tmp_path, "hc.csv", "record_id,seizure_date,country,coordinates\n"
                                    "H-1,2023-03-15,Mali,\"12,6392° N; 8,0029° W\"\n"
                                    "H-2,2023-03-15,Mali,\"8,0029° W; 12,6392° N\"\n"
                                    "H-3,2023-03-15,Mali,\"N 12,6392; W 8,0029\"\n"
                                    "H-4,2023-03-15,Mali,\"12,6392; 8,0029 W\"\n")
    rep, con, rows = cli_import(tmp_path, path)
    for rid in ("H-1", "H-2", "H-3"):
        r = rows[rid]
        assert r["outcome"] == "accepted" and r["h3_res7"] == "875440d2bffffff", (rid, r)
        assert near(r["latitude"], 12.6392) and near(r["longitude"], -8.0029), rid
    assert rows["H-4"]["outcome"] != "accepted" and rows["H-4"]["latitude"] is None


def test_place_column_of_names_stays_a_place():
    import pandas as pd
    from intel.mapping import suggest_mapping
    f = pd.DataFrame({"record_id": ["A", "B"], "location": ["Bamako", "Kayes"]})
    assert suggest_mapping(list(f.columns), f) == {"source_record_id": "record_id", "place": "location"}
    f = pd.DataFrame({"record_id": ["A", "B"], "location": ["Bamako", "12.6392, -8.0029"],
                      "latitude": ["1", "2"], "longitude": ["3", "4"]})
    assert suggest_mapping(list(f.columns), f)["place"] == "location"   # coordinates mapped: names stay names


# ---------------------------------------------------------------------------------------- swap check

def test_swap_offered_only_inside_the_declared_country(tmp_path):
    """A Cote d'Ivoire record at lat 95, lon -4: swapped it would be (-4, 95), off Sumatra --
    no swap is suggested; the Mexican record of C01-4 keeps its suggestion."""
    path = _csv(tmp_path, "civ.csv", "record_id,seizure_date,country,latitude,longitude\n"
                                     "CI-1,2023-01-01,Cote d'Ivoire,95,-4\n"
                                     "MX-1,2023-01-01,Mexico,-99.1332,19.4326\n"
                                     "XX-1,2023-01-01,,95,-4\n")
    rep, con, rows = cli_import(tmp_path, path)
    ci = rows["CI-1"]
    assert ci["outcome"] == "rejected" and "LAT_OUT_OF_RANGE" in ci["reasons"]
    assert "LATLON_SWAP_SUSPECTED" not in ci["reasons"] and ci.get("suggested_latitude") is None
    assert "LATLON_SWAP_SUSPECTED" not in rows["XX-1"]["reasons"]   # no country: nothing to check against
    assert "LATLON_SWAP_SUSPECTED" in rows["MX-1"]["reasons"]
    q = con.execute("SELECT source_record_id, suggested_latitude FROM quarantine ORDER BY 1").fetchall()
    sug = {r: v for r, v in q}
    assert sug["MX-1"] == pytest.approx(19.4326) and (sug["CI-1"] is None or sug["CI-1"] != sug["CI-1"])
    con.close()


def test_one_click_swap_checks_the_country_of_old_suggestions(tmp_path):
    """A suggestion stored by an older import without the check is not applied by the one-click swap."""
    from intel import quality, store
    path = _csv(tmp_path, "civ2.csv", "record_id,seizure_date,country,latitude,longitude\n"
                                      "CI-1,2023-01-01,Cote d'Ivoire,95,-4\n"
                                      "MX-1,2023-01-01,Mexico,-99.1332,19.4326\n")
    rep, con, rows = cli_import(tmp_path, path)
    con.execute("UPDATE quarantine SET reasons = list_append(reasons, 'LATLON_SWAP_SUSPECTED'), "
                "suggested_latitude = -4, suggested_longitude = 95 WHERE source_record_id = 'CI-1'")
    msg = quality.apply_swap_suggestions(con, rep["batch_id"], "ana")
    assert msg.startswith("1 row(s)") and "not inside the declared country" in msg and "checking" in msg
    assert con.execute("SELECT decision FROM quarantine WHERE source_record_id = 'CI-1'").fetchone()[0] is None
    e = con.execute("SELECT status, latitude, CAST(raw AS VARCHAR) FROM events WHERE source_record_id = 'MX-1'").fetchone()
    assert e[0] == "accepted" and e[1] == pytest.approx(19.4326) and json.loads(e[2])["latitude"] == "-99.1332"
    note = con.execute("SELECT decision_note FROM quarantine WHERE source_record_id = 'MX-1'").fetchone()[0]
    assert "checked" in note and "MEX" in note


# ---------------------------------------------------------------------------------------- UCDP GED layout

GED_HEADER = ("id,relid,year,active_year,code_status,type_of_violence,conflict_new_id,conflict_name,dyad_new_id,"
              "dyad_name,side_a_new_id,side_a,side_b_new_id,side_b,number_of_sources,source_article,source_office,"
              "source_date,source_headline,source_original,where_prec,where_coordinates,where_description,adm_1,adm_2,"
              "latitude,longitude,geom_wkt,priogrid_gid,country,country_id,region,event_clarity,date_prec,date_start,"
              "date_end,deaths_a,deaths_b,deaths_civilians,deaths_unknown,best,high,low,gwnoa,gwnob")


def _ged_row(i, country, lat, lon, date):
    return (f"{i},XX-{i},2021,TRUE,Clear,1,1,Conflict,1,Dyad,1,Government,2,Rebels,1,,,,,,1,Town,Town,Province,"
            f"District,{lat},{lon},POINT ({lon} {lat}),1,\"{country}\",490,Africa,1,1,{date} 00:00:00.000,"
            f"{date} 00:00:00.000,0,0,0,1,1,1,1,490,")


def test_ucdp_ged_layout_dates_and_bracketed_countries(tmp_path):
    """A file in UCDP GED's column layout (a stand-in: the real sample is not in this checkout):
    ``date_start`` is the date, ``id`` the record id, and the bracketed former names are countries."""
    data = [("DR Congo (Zaire)", -4.3217, 15.3125, "2021-03-02"), ("Myanmar (Burma)", 16.8409, 96.1735, "2021-04-05"),
            ("Yemen (North Yemen)", 15.3694, 44.191, "2021-05-06"), ("Russia (Soviet Union)", 55.7558, 37.6173, "2021-06-07"),
            ("Cambodia (Kampuchea)", 11.5564, 104.9282, "2021-07-08"), ("Zimbabwe (Rhodesia)", -17.8252, 31.0335, "2021-08-09"),
            ("Bosnia-Herzegovina", 43.8563, 18.4131, "2021-09-10"), ("Madagascar (Malagasy)", -18.8792, 47.5079, "2021-10-11")]
    codes = ["COD", "MMR", "YEM", "RUS", "KHM", "ZWE", "BIH", "MDG"]
    path = _csv(tmp_path, "ged.csv", GED_HEADER + "\n" + "\n".join(_ged_row(i, *d) for i, d in enumerate(data, 1)) + "\n")
    rep, con, rows = cli_import(tmp_path, path)
    assert rep["rows_read"] == 8 and rep["rejected"] == 0 and rep["accepted"] == 8
    for i, ((_, la, lo, d), code) in enumerate(zip(data, codes), 1):
        r = rows[str(i)]
        assert r["country_iso3"] == code and r["date"][:10] == d, r
        assert not {"COUNTRY_UNKNOWN", "COUNTRY_AMBIGUOUS"} & set(r["reasons"])
    assert not any("no date column" in w for w in rep["warnings"])


def test_utm_in_x_y_columns_with_a_zone_column_near_the_equator(tmp_path):
    """x/y columns (mapped as longitude/latitude) holding UTM metres with a zone column: a northing
    near 0 is in degree range, yet the row is converted in its zone, not rejected as a longitude
    of 500,000 degrees (hand-computed: easting 500,000 m = central meridian 6z - 183)."""
    path = _csv(tmp_path, "xy.csv", "record_id,seizure_date,country,zone,x,y\n"
                                    "Z-1,2023-01-01,,29N,500000,0\nZ-2,2023-01-01,,31N,500000,0\n"
                                    "Z-3,2023-01-01,Mexico,,-99.1332,19.4326\n")
    rep, con, rows = cli_import(tmp_path, path)
    assert rows["Z-1"]["outcome"] == "accepted" and rows["Z-1"]["longitude"] == pytest.approx(-9.0)
    assert rows["Z-2"]["outcome"] == "accepted" and rows["Z-2"]["longitude"] == pytest.approx(3.0)
    assert rows["Z-1"]["latitude"] == pytest.approx(0.0, abs=1e-6) and "PROJECTED_CONVERTED" in rows["Z-1"]["reasons"]
    assert rows["Z-3"]["outcome"] == "accepted" and near(rows["Z-3"]["latitude"], 19.4326)


def test_projected_pairs_in_a_point_column_with_the_files_crs(tmp_path):
    path = _csv(tmp_path, "w.csv", "record_id,seizure_date,country,coordinates\nW-1,2023-01-01,,500000 0\n")
    rep, con, rows = cli_import(tmp_path, path, extra=["--crs", "EPSG:32631"])
    assert rows["W-1"]["outcome"] == "accepted" and rows["W-1"]["longitude"] == pytest.approx(3.0)


def test_placeholder_keys_of_older_imports_never_link(tmp_path):
    """Records stored before placeholders were recognised may hold the key 'OBLITERATED': no
    seizure link and no re-seizure lead is made from it; a real key still links."""
    import pandas as pd

    from intel import dedup
    from intel.links import seizure_links
    path = _csv(tmp_path, "old.csv", "record_id,seizure_date,country,latitude,longitude,firearm_type,serial_number\n"
                                     "O-1,2023-01-01,Mali,12.6392,-8.0029,pistol,AB-12345\n"
                                     "O-2,2023-02-01,Mali,14.4469,-11.4456,pistol,AB-12345\n"
                                     "O-3,2023-03-01,Mali,12.6392,-8.0029,pistol,XY-99999\n"
                                     "O-4,2023-04-01,Mali,14.4469,-11.4456,pistol,XY-99998\n")
    rep, con, rows = cli_import(tmp_path, path)
    con.execute("UPDATE events SET serial_key = 'OBLITERATED' WHERE source_record_id IN ('O-3', 'O-4')")
    links = seizure_links(con)
    assert set(links["serial_key"]) == {"AB12345"}
    new = pd.DataFrame({"serial_key": ["OBLITERATED", "AB12345"], "incident_key": ["N-1", "N-2"]})
    assert dedup.reseizure_leads(con, new).tolist() == [False, True]


def test_n08_with_latitude_and_longitude_mapped_onto_the_one_column(tmp_path):
    """An analyst who maps both latitude and longitude onto `coordenadas` gets the same points."""
    rep, con, rows = cli_import(tmp_path, RW + "N08_single_column_lat_lon.csv",
                                {"source_record_id": "folio", "event_date": "fecha", "country": "pais",
                                 "latitude": "coordenadas", "longitude": "coordenadas"})
    assert rep["accepted"] == 6
    assert near(rows["FGR/NUE/2023/0004"]["latitude"], 27.4764) and near(rows["FGR/NUE/2023/0004"]["longitude"], -99.5164)


def test_hemisphere_prefixed_pairs(tmp_path):
    path = _csv(tmp_path, "hp.csv", "record_id,seizure_date,country,gps\n"
                                    "H-1,2023-01-01,Mexico,N19.4326 W99.1332\n"
                                    "H-2,2023-01-01,Namibia,\"E 17.0658, S 22.5609\"\n")
    rep, con, rows = cli_import(tmp_path, path)
    assert near(rows["H-1"]["latitude"], 19.4326) and near(rows["H-1"]["longitude"], -99.1332)
    assert near(rows["H-2"]["latitude"], -22.5609) and near(rows["H-2"]["longitude"], 17.0658)



# ---------------------------------------------------------------------------------------- UCDP-like

def test_ucdp_like_columns_dates_and_country_names(tmp_path):
    """UCDP GED columns (``date_start``, ``country`` with bracketed former names and variants, an
    inverted 'Congo, DRC'): every row dated from date_start and given its country."""
    hdr = ("id,relid,year,type_of_violence,conflict_name,where_coordinates,adm_1,latitude,longitude,geom_wkt,"
           "country,country_id,region,date_prec,date_start,date_end,best\n")
    rows = [("1001", "DR Congo (Zaire)", "0.4913", "29.4732", "2021-03-02 00:00:00.000", "COD"),
            ("1002", "Cote d\u2019Ivoire", "9.5969", "-4.3376", "2021-06-11 00:00:00.000", "CIV"),
            ("1003", "Ivory Coast", "5.36", "-4.0083", "2021-06-12", "CIV"),
            ("1004", "Bolivia (Plurinational State of)", "-16.4897", "-68.1193", "2019-11-15 00:00:00.000", "BOL"),
            ("1006", "\"Congo, DRC\"", "1.5594", "30.2528", "2021-03-05", "COD")]
    text = hdr + "".join(f"{i},R-{i},2021,1,X,Town,Adm,{la},{lo},POINT ({lo} {la}),{c},1,Africa,1,{d},{d},1\n"
                         for i, c, la, lo, d, _ in rows)
    rep, con, out = cli_import(tmp_path, _csv(tmp_path, "ged.csv", text))
    assert rep["rows_read"] == 5 and rep["accepted"] == 5
    for i, _c, la, lo, d, iso in rows:
        r = out[i]
        assert r["country_iso3"] == iso and r["date"][:10] == d[:10], (i, r)
        assert near(r["latitude"], float(la)) and near(r["longitude"], float(lo)), i
