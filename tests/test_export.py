"""Plain JSON values of exported properties (hand-written answers)."""
import json
from datetime import date

import numpy as np
import pandas as pd

from intel.export import json_value


def test_json_value_kinds():
    cases = [
        (np.int64(7), 7), (np.float32(1.5), 1.5), (np.float64("nan"), None), (float("inf"), None),
        (np.bool_(True), True), (None, None), (pd.NaT, None), (pd.NA, None),
        (pd.Timestamp("2024-01-05"), "2024-01-05"), (pd.Timestamp("2024-01-05 13:30"), "2024-01-05T13:30:00"),
        (date(2023, 12, 31), "2023-12-31"), ("MEX-USA", "MEX-USA"), ([1, "a"], [1, "a"]),
        (np.array([1, 2]), [1, 2]), (3, 3),
    ]
    for v, want in cases:
        got = json_value(v)
        assert got == want and type(got) is type(want), (v, got)
        json.dumps(got, allow_nan=False)   # plain JSON: no NaN


# ---- markings inside exported files and in their names (issue 19)

import io
import zipfile

import pytest

from intel.export import file_marking, mark_export, marked_file_name, marking_slug

M = "REL TO BFA, CIV"


def test_marking_slug_and_file_name():
    assert marking_slug("REL TO BFA, CIV") == "REL_TO_BFA_CIV"
    assert marking_slug("UNRESTRICTED (public sources)") == "UNRESTRICTED"
    assert marking_slug("NOT RELEASABLE: records with different releasability") == "NOT_RELEASABLE"
    assert marked_file_name("hotspots.csv", "NOFORN") == "NOFORN__hotspots.csv"
    assert marked_file_name(None, "NOFORN") is None


def test_csv_gets_a_marking_column_and_keeps_every_value():
    src = 'a,b\n1,"x, y"\n2,\'=cmd\n3,"two\nlines"\n'
    out = mark_export(src.encode(), "cells.csv", M).decode()
    assert out == 'marking,a,b\n"REL TO BFA, CIV",1,"x, y"\n"REL TO BFA, CIV",2,\'=cmd\n' \
                  '"REL TO BFA, CIV",3,"two\nlines"\n'
    df = pd.read_csv(io.StringIO(out))
    assert list(df.columns) == ["marking", "a", "b"] and set(df["marking"]) == {M}
    assert df["b"].tolist() == ["x, y", "'=cmd", "two\nlines"]
    assert file_marking(out, "cells.csv") == M
    # a table with a column of that name keeps it; the file's marking goes beside it
    out2 = mark_export("marking,n\nNOFORN,1\n", "x.csv", M)
    assert out2 == 'export_marking,marking,n\n"REL TO BFA, CIV",NOFORN,1\n'
    assert file_marking(out2, "x.csv") == M


def test_geojson_and_json_get_a_top_level_member():
    fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": None, "properties": {"n": 1}}]}
    out = json.loads(mark_export(json.dumps(fc).encode(), "c.geojson", M))
    assert out == {"marking": M, **fc}
    assert json.loads(mark_export("[1, 2]", "r.json", "NOFORN")) == {"marking": "NOFORN", "rows": [1, 2]}


def test_parquet_gpkg_png_zip_carry_it_and_pdf_is_unchanged():
    import geopandas as gpd
    from shapely.geometry import Point

    gdf = gpd.GeoDataFrame({"n": [1, 2]}, geometry=[Point(0, 0), Point(1, 1)], crs="EPSG:4326")
    buf = io.BytesIO()
    gdf.to_parquet(buf, index=False)
    pq_out = mark_export(buf.getvalue(), "c.parquet", M)
    assert file_marking(pq_out, "c.parquet") == M
    back = gpd.read_parquet(io.BytesIO(pq_out))   # still GeoParquet (the 'geo' metadata kept)
    assert back["n"].tolist() == [1, 2] and back.crs.to_epsg() == 4326

    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "c.gpkg"
        gdf.to_file(f, layer="cells", driver="GPKG")
        gp_out = mark_export(f.read_bytes(), "c.gpkg", M)
        g = Path(tmp) / "m.gpkg"
        g.write_bytes(gp_out)
        assert gpd.read_file(g, layer="cells")["n"].tolist() == [1, 2]
        import sqlite3
        con = sqlite3.connect(g)
        assert con.execute("SELECT metadata FROM gpkg_metadata").fetchall() == [(f"Marking: {M}",)]
        con.close()
    assert file_marking(gp_out, "c.gpkg") == M

    from PIL import Image
    b = io.BytesIO()
    Image.new("RGB", (2, 2)).save(b, format="PNG")
    png = mark_export(b.getvalue(), "chart.png", M)
    im = Image.open(io.BytesIO(png))
    im.load()
    assert im.text.get("Marking") == M and im.size == (2, 2)

    z = io.BytesIO()
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("fig.png", b"abc")
    zout = mark_export(z.getvalue(), "figs.zip", M)
    zz = zipfile.ZipFile(io.BytesIO(zout))
    assert zz.read("fig.png") == b"abc" and zz.comment == f"Marking: {M}".encode()
    assert file_marking(zout, "figs.zip") == M

    assert mark_export(b"%PDF-1.4 x", "b.pdf", M) == b"%PDF-1.4 x"
    with pytest.raises(ValueError):
        mark_export(b"not json", "x.geojson", M)
