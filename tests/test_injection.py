"""Injection corpus: HTML, script, SQL, template and path-traversal text is stored verbatim and
never executed, interpreted, or turned into markup or paths.

A CSV whose values *and* column names are hostile is imported through the product's single
import path (:func:`intel.ingest.import_file`); the tables must be intact, every value stored
as it was, every tooltip frame escaped, every SQL filter parameterised, and every uploaded
file name reduced to a plain base name.
"""
from __future__ import annotations

import json
import re

import duckdb
import pandas as pd
import pytest

from intel import auth, hexbin, store
from intel.safety import (ALLOWED_UPLOAD_TYPES, check_upload, csv_bytes, csv_safe, escape_record_text, safe_filename)

CORPUS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "'); DROP TABLE events; --",
    "{{7*7}}",
    "../../etc/passwd",
    '"><svg/onload=alert(1)>',
    "Robert'); DELETE FROM batches; --",
    "=HYPERLINK(\"http://127.0.0.1/x\",\"y\")",
    "${7*7} #{7*7} <%= 7*7 %>",
    "javascript:alert(1)",
    "x\u202eSVG.exe",
]
HOSTILE_COLUMNS = ["<script>alert('col')</script>", "'); DROP TABLE audit; --", "{{config}}", "a\"b", "../../x"]
TABLES = {"events", "batches", "quarantine", "audit", "settings", "countries", "flows", "schema_version"}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A store holding one imported batch of hostile rows; returns (db path, connection, frame)."""
    d = tmp_path_factory.mktemp("inj")
    rows = []
    for i, h in enumerate(CORPUS):
        row = {"record_id": f"R{i}", "seizure_date": f"2024-03-{i + 1:02d}", "latitude": 43.65 + i * 0.004,
               "longitude": -79.38 - i * 0.004, "country": "CAN", "firearm_type": h, "make": h, "model": h,
               "serial_number": h, "seizing_agency": h, "place_name": h, "notes": h}
        row.update({c: h for c in HOSTILE_COLUMNS})
        rows.append(row)
    frame = pd.DataFrame(rows)
    csv = d / "hostile.csv"
    frame.to_csv(csv, index=False)
    db = d / "intel.duckdb"
    con = store.connect(db)
    from intel import ingest

    res = ingest.import_file(con, csv, user="<b>analyst</b>'; --", original_name=safe_filename("../../etc/passwd.csv"))
    assert res.rows_read == len(CORPUS)
    yield db, con, frame
    con.close()


def test_tables_intact_and_values_verbatim(hostile):
    db, con, frame = hostile
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert TABLES <= tables
    ev = con.execute("SELECT source_record_id, make, model, serial_number, seizing_agency, attrs FROM events "
                     "ORDER BY source_record_id").df()
    q = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    assert len(ev) + q >= len(CORPUS)
    stored = {}
    for r in ev.itertuples():
        stored[r.source_record_id] = r
    for i, h in enumerate(CORPUS):
        r = stored.get(f"R{i}")
        if r is None:
            continue  # quarantined: its raw row is checked below
        assert r.make == h and r.model == h and r.serial_number == h and r.seizing_agency == h
        attrs = json.loads(r.attrs)
        for c in HOSTILE_COLUMNS:  # hostile column names kept as keys, their values verbatim
            assert attrs.get(c) == h
    for (raw,) in con.execute("SELECT raw FROM quarantine").fetchall():
        d = json.loads(raw)
        assert any(v in CORPUS for v in d.values())
    b = con.execute("SELECT file_name, imported_by FROM batches").fetchall()
    assert b == [("passwd.csv", "<b>analyst</b>'; --")]


def test_hostile_filter_values_are_parameters(hostile):
    _, con, _ = hostile
    for h in CORPUS + HOSTILE_COLUMNS:
        f = hexbin.Filters(kinds=(h,), categories=(h,), countries=(h,), sources=(h,), date_from="2024-01-01")
        assert hexbin.aggregate(con, 7, f).empty
    n = con.execute("SELECT count(*) FROM events").fetchone()[0]
    assert n > 0
    assert auth.audit_frame(con, user=CORPUS[2], action=CORPUS[6]).empty
    assert {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()} >= TABLES


def _no_markup(values) -> None:
    for v in values:
        if isinstance(v, str):
            assert "<" not in v and ">" not in v and '"' not in v, v


def test_escape_record_text(hostile):
    _, con, _ = hostile
    ev = con.execute("SELECT event_id, make, model, serial_number, location_name, attrs, firearms, flags "
                     "FROM events").df()
    esc = escape_record_text(ev)
    for c in ("make", "model", "serial_number", "location_name", "attrs"):
        _no_markup(esc[c])
    assert esc["firearms"].equals(ev["firearms"])  # numbers untouched
    assert ev["make"].str.contains("<").any()  # the input frame is not modified
    agg = escape_record_text(hexbin.aggregate(con, 7))
    _no_markup(agg["top_categories"])
    assert escape_record_text(pd.DataFrame({"x": [["<a>", 1]]}))["x"][0] == ["&lt;a&gt;", 1]
    only = escape_record_text(pd.DataFrame({"a": ["<b>"], "b": ["<b>"]}), columns=["a"])
    assert only["a"][0] == "&lt;b&gt;" and only["b"][0] == "<b>"


def test_map_layers_carry_no_markup(hostile):
    """The explore map's hexagon layer and the coarse-points layer escape record text."""
    from intel.render import hexagons
    from intel.render.deck import offline_deck, view_for

    _, con, _ = hostile
    cells = hexbin.aggregate(con, 7)
    layer, _ = hexagons.hexagon_layer(cells)
    spec = json.loads(offline_deck([layer], view_for([43.6], [-79.4]),
                                {"html": "<b>{h3}</b><br/>{top_categories}"}).to_json())
    hexes = next(l for l in spec["layers"] if l["@@type"] == "H3HexagonLayer")["data"]
    _no_markup(h["top_categories"] for h in hexes)


def test_points_layer_carries_no_markup(hostile):
    from intel.render import hexagons
    from intel.render.deck import offline_deck, view_for

    _, con, _ = hostile
    pts = con.execute("SELECT latitude, longitude, location_name, make FROM events").df()
    d = json.loads(offline_deck([hexagons.points_layer(pts)], view_for([43.6], [-79.4])).to_json())
    data = next(l for l in d["layers"] if l.get("id") == "coarse-points")["data"]
    _no_markup(v for row in data for v in row.values())


def test_csv_safe():
    df = pd.DataFrame({"t": ["=1+1", "+x", "-y", "@z", "\tq", "ok", None, "\rz", "-7", "-0.5e3"],
                       "n": [-1, 2, 3, 4, 5, 6, 7, 8, 9, 10]})
    out = csv_safe(df)
    assert out["t"].tolist()[:6] == ["'=1+1", "'+x", "'-y", "'@z", "'\tq", "ok"]
    assert out["t"].tolist()[7:] == ["'\rz", "-7", "-0.5e3"]
    assert out["n"].tolist() == df["n"].tolist()


CALC = "=cmd|' /C calc'!A0"


def test_csv_bytes_quotes_formulas_and_keeps_numbers():
    """Formula-like text cells and column names come back with a leading apostrophe; numbers,
    including negative numbers and numbers written as text, stay numbers."""
    import io

    df = pd.DataFrame({"name": [CALC, "+HYPERLINK(\"http://x\")", "-2+3", "@SUM(A1)", "\tx", "-12.5", "+3", "1e-3", "ok"],
                       "value": [-1.5, -2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
                       "count": [-3, 0, 1, 2, 3, 4, 5, 6, 7],
                       "=HEADER()": ["a"] * 9})
    back = pd.read_csv(io.BytesIO(csv_bytes(df)), dtype={"name": str}, keep_default_na=False)
    assert back["name"].tolist() == ["'" + CALC, "'+HYPERLINK(\"http://x\")", "'-2+3", "'@SUM(A1)", "'\tx", "-12.5", "+3",
                                     "1e-3", "ok"]
    assert back["value"].tolist() == [-1.5, -2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    assert back["count"].dtype.kind == "i" and back["count"].tolist()[0] == -3
    assert list(back.columns) == ["name", "value", "count", "'=HEADER()"]
    assert df["name"][0] == CALC                       # the frame itself is unchanged


def test_every_csv_export_goes_through_the_helper():
    """No page or module writes CSV with pandas directly (bundled gazetteers are build
    inputs, not exports): each goes through intel.safety.csv_bytes / write_csv."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    offenders = []
    for f in list((root / "pages").glob("*.py")) + list((root / "intel").rglob("*.py")):
        if f.name in ("safety.py", "gazetteers.py"):
            continue
        for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"(?<!target_package)\.to_csv\(", line) and "def to_csv" not in line:
                offenders.append(f"{f.relative_to(root)}:{i}")
    assert offenders == []


def test_hotspot_and_target_exports_are_quoted():
    import io

    from intel import hotspots

    df = pd.DataFrame({"h3": ["89283082803ffff"], "cell": [0], "value": [-2.0], "label": [CALC]})
    back = pd.read_csv(io.BytesIO(hotspots.export_cells(df, "csv", columns=["h3", "value", "label"])))
    assert back["label"].tolist() == ["'" + CALC] and back["value"].tolist() == [-2.0]


@pytest.mark.parametrize("name,want", [
    ("../../etc/passwd", "passwd"),
    ("../../etc/passwd.csv", "passwd.csv"),
    ("..\\..\\windows\\system32\\cmd.CSV", "cmd.csv"),
    ("/abs/path/seizures.xlsx", "seizures.xlsx"),
    ("a\x00b.csv", "ab.csv"),
    ("evil.csv\x00.exe", "evil.csv.exe"),
    ("line\nbreak\r.csv", "linebreak.csv"),
    ("....", "upload"),
    ("", "upload"),
    (None, "upload"),
    (".hidden.csv", "hidden.csv"),
    ("CON.csv", "_CON.csv"),
    ("<script>alert(1)<.csv", "_script_alert(1)_.csv"),
    ("saisies 2024 (BFA).csv", "saisies 2024 (BFA).csv"),
    ("incautación_México.xlsx", "incautación_México.xlsx"),
])
def test_safe_filename(name, want):
    assert safe_filename(name) == want


@pytest.mark.parametrize("name", CORPUS + HOSTILE_COLUMNS + ["a/" * 300 + "b" * 500 + ".csv", "x" * 1000])
def test_safe_filename_invariants(name):
    s = safe_filename(name)
    assert s and len(s) <= 120
    assert "/" not in s and "\\" not in s and ".." not in s and "\x00" not in s
    assert not s.startswith(".")
    assert not re.search(r"[\x00-\x1f\x7f<>\"'{}$]", s)


def test_check_upload():
    assert "csv" in ALLOWED_UPLOAD_TYPES
    assert check_upload("../../a.csv", b"a,b\n1,2\n") == "a.csv"
    with pytest.raises(ValueError, match="not supported"):
        check_upload("x.exe", b"MZ...")
    with pytest.raises(ValueError, match="not supported"):
        check_upload("evil.csv\x00.exe", b"a,b\n")
    with pytest.raises(ValueError, match="no extension"):
        check_upload("noext", b"a,b\n")
    with pytest.raises(ValueError, match="empty"):
        check_upload("a.csv", b"")
    with pytest.raises(ValueError, match="larger than 1 MB"):
        check_upload("a.csv", b"a" * (1024 * 1024 + 1), max_mb=1)
    with pytest.raises(ValueError, match="does not look like"):
        check_upload("a.xlsx", b"<html>not a workbook</html>")
    with pytest.raises(ValueError, match="NUL"):
        check_upload("a.csv", b"a,b\x00\n")
    with pytest.raises(ValueError, match="binary"):
        check_upload("a.csv", b"PK\x03\x04 zip in disguise")
    assert check_upload("a.xlsx", b"PK\x03\x04rest") == "a.xlsx"
    assert check_upload("a.parquet", b"PAR1....") == "a.parquet"
    assert check_upload("a.csv", "a,b\n".encode("utf-16")) == "a.csv"


def test_hostile_releasability_and_catalog(tmp_path):
    """A hostile marking is data (unreadable: administrators only); a store whose file name
    makes an odd catalog name is quoted correctly in the visibility views."""
    db = tmp_path / 'we"ird db.duckdb'
    con = store.connect(db)
    con.execute("INSERT INTO batches (batch_id, source, file_name, sha256, imported_at, rows_read, rows_accepted, "
                "rows_quarantined, rows_rejected) VALUES (1, 's', 'f', 'h', now(), 2, 2, 0, 0)")
    for i, rel in enumerate([CORPUS[2], "REL TO BFA"]):
        con.execute("INSERT INTO events (event_id, batch_id, source, incident_key, status, kind, releasability) "
                    "VALUES (?, 1, 's', ?, 'accepted', 'seizure', ?)", [i + 1, f"i{i}", rel])
    bfa = auth.apply_visibility(con.cursor(), auth.User("a", "analyst", "BFA"))
    assert bfa.execute("SELECT releasability FROM events").fetchall() == [("REL TO BFA",)]
    admin = auth.apply_visibility(con.cursor(), auth.User("r", "admin"))
    assert admin.execute("SELECT count(*) FROM events").fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 2
    con.close()


def test_user_text_never_reaches_sql_unquoted():
    """The only value embedded in the views is a checked ISO3 code; all statements are static otherwise."""
    u = auth.User("a", "analyst", "BFA")
    stmts = auth.visibility_statements(u, "x\"; DROP TABLE events; --")
    c = duckdb.connect()
    c.execute('ATTACH \':memory:\' AS "x""; DROP TABLE events; --"')
    c.execute('USE "x""; DROP TABLE events; --"')
    store.migrate(c)
    for s in stmts:
        c.execute(s)
    assert c.execute("SELECT count(*) FROM events").fetchone()[0] == 0
    assert c.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'events'").fetchone()[0] == 1
