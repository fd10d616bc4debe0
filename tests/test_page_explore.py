"""AppTest of the Explore map page on a small store of province-level records (as the Ecuador
source): the text says what is drawn, and why the map is empty is said at the map with advice the
widgets still allow."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.test_emerging_advice import tiny_store

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "explore_map.py")


@pytest.fixture
def coarse_store(tmp_path, monkeypatch):
    """Six records placed only to their province (admin-1, 100 km): too coarse for any map resolution."""
    rows = [("2022-01-03", -1.95, -79.93, "admin-1")] * 3 + [("2022-02-07", -0.22, -78.51, "admin-1")] * 3
    monkeypatch.setenv("INTEL_DB", tiny_store(tmp_path / "coarse.duckdb", rows))
    monkeypatch.setenv("HOME", str(tmp_path))


def _map_column(at):
    """Kinds and texts of the column holding the map, in page order."""
    col = next(c for c in at.columns if any(getattr(e, "type", "") == "deck_gl_json_chart" for e in c.children.values()))
    return [("deck" if getattr(e, "type", "") == "deck_gl_json_chart" else type(e).__name__,
             e.value if isinstance(getattr(e, "value", None), str) else "") for e in col.children.values()]


def test_coarse_points_are_called_what_is_drawn(coarse_store):
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert at.checkbox(key="map_points").value is True
    note = next(i.value for i in at.info if "are not drawn as hexagons" in i.value)
    # the points are hollow and unlabelled (the tooltip names the place): the text says so, and no " ;"
    assert "labelled" not in note and " ;" not in note
    assert note.endswith("; they are shown as hollow points, one per place (hover over one for its name and counts).")
    assert "labelled" not in at.checkbox(key="map_points").label
    import json

    layers = json.loads(at.get("deck_gl_json_chart")[0].proto.json)["layers"]
    assert "coarse-points" in [l["id"] for l in layers]
    assert not at.warning   # points are drawn: the map is not empty


def test_empty_map_is_explained_at_the_map_with_possible_advice(coarse_store):
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.checkbox(key="map_points").set_value(False).run()
    at.slider(key="map_res").set_value(3).run()
    assert not at.exception
    col = _map_column(at)
    kind, text = col[0]
    assert kind == "Warning" and col[1][0] == "deck", col   # said right above the map
    # resolution 3 is the coarsest and no filter narrows the records: only the points can help
    tick = "Tick 'Show too-coarse records as hollow points'."
    assert text.endswith("this is not evidence of absence. " + tick), text
    assert "coarser resolution" not in text and "Widen" not in text
    # at 6 a coarser resolution is offered, but province records (100 km) fit no cell even at 3 (69 km)
    at.slider(key="map_res").set_value(6).run()
    assert _map_column(at)[0][1].endswith("absence. " + tick)
    at.multiselect(key="flt_sources").set_value(["test"]).run()
    text = _map_column(at)[0][1]
    assert text.endswith("absence. Widen the filters or tick 'Show too-coarse records as hollow points'."), text


def test_coarser_resolution_is_advised_when_it_would_draw_something(tmp_path, monkeypatch):
    # municipality records (20 km) fit a resolution-3 cell (69 km edge), not a resolution-6 one
    monkeypatch.setenv("INTEL_DB", tiny_store(tmp_path / "muni.duckdb", [("2022-01-03", -1.95, -79.93, "municipality")] * 4))
    monkeypatch.setenv("HOME", str(tmp_path))
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.checkbox(key="map_points").set_value(False).run()
    at.slider(key="map_res").set_value(6).run()
    assert not at.exception
    text = _map_column(at)[0][1]
    assert text.endswith("absence. Choose a coarser resolution or tick 'Show too-coarse records as hollow points'."), text
