"""A ``.json`` file that is not GeoJSON, and GeoJSON features without properties (issue 13's
import path; rule 4: a clear error, never GDAL's advice on driver prefixes nor a pandas error).

Before the fix, a JSON list of records, a CSV saved as ``.json`` and a JSON object that is not a
FeatureCollection all gave ``'...' not recognized as being in a supported file format.; It might
help to specify the correct driver explicitly by prefixing the file path with '<DRIVER>:'``, and a
FeatureCollection whose features have no properties raised ``ValueError: Length of values (1)
does not match length of index (0)``.
"""
from __future__ import annotations

import json

import pytest

from intel.readers import ReadError, read_table


@pytest.mark.parametrize("name, text, says", [
    ("records.json", json.dumps([{"date": "2024-01-02", "lat": 4.6, "lon": -74.1}]), "JSON list of records, not GeoJSON"),
    ("table.json", "date,lat,lon\n2024-01-02,4.6,-74.1\n", "is not JSON"),
    ("object.json", json.dumps({"rows": [1, 2]}), "holds JSON but not GeoJSON"),
    ("bad.gpkg", "garbage", "is not a readable GeoPackage file"),
])
def test_unreadable_spatial_file_says_what_it_is_and_what_to_do(tmp_path, name, text, says):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ReadError) as err:
        read_table(path)
    msg = str(err.value)
    assert says in msg
    assert "Save the table as CSV or Excel" in msg
    assert "DRIVER" not in msg and "It might help" not in msg and str(tmp_path) not in msg


def test_features_without_properties_are_read(tmp_path):
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [-74.1, 4.6]}},
        {"type": "Feature", "properties": None,
         "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [0.02, 0], [0.02, 0.02], [0, 0]]]}}]}),
        encoding="utf-8")
    raw = read_table(path)
    assert len(raw.frame) == 2
    assert [float(v) for v in raw.frame["__longitude"]][0] == pytest.approx(-74.1)
    assert list(raw.frame["__precision"])[0] == "exact" and list(raw.frame["__precision"])[1] != "exact"
