"""AppTest of the Hotspots page on a small temporary store."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.test_hotspots import make_store

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "hotspots.py")


@pytest.fixture
def store(tmp_path, monkeypatch):
    path = make_store(tmp_path / "page.duckdb", n_cluster=150, n_background=100)
    monkeypatch.setenv("INTEL_DB", path)
    return path


def test_page_renders_maps_table_and_downloads(store):
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    labels = {m.label: m.value for m in at.metric}
    assert labels["Events analysed"] == "250"
    assert int(labels["Hot spot cells"]) > 0
    assert any("too coarse" in w.value for w in at.warning)
    assert len(at.dataframe) >= 1
    # one map (one WebGL context in the browser) whose layer is chosen: Gi* first, then the emerging
    # categories in the same view, so they line up
    import json
    specs = [json.loads(d.proto.json) for d in at.get("deck_gl_json_chart")]
    assert len(specs) == 1 and "gi-hexes" in [l["id"] for l in specs[0]["layers"]]
    # every map carries the scale caption under it (issue 17), as on the other map pages
    scales = [c.value for c in at.caption if c.value.startswith("Initial view: 100 px on the map is about")]
    assert len(scales) == 1, scales
    md = " ".join(m.value for m in at.markdown)
    assert "Hot spot - 99% confidence" in md and "Confidence (FDR-corrected)" in md
    captions = " ".join(c.value for c in at.caption)
    assert "conditional permutation p-values (Anselin 1995; 9,999 permutations" in captions  # the method line
    assert "exact Poisson" in captions  # the emerging method line
    at.radio(key="hs_layer").set_value("Emerging hot spots").run()
    assert not at.exception
    decks = [json.loads(d.proto.json) for d in at.get("deck_gl_json_chart")]
    infos = " ".join(i.value for i in at.info)
    assert len(decks) == 1 or "No cell shows an emerging" in infos
    if decks:
        assert "ehsa-hexes" in [l["id"] for l in decks[0]["layers"]]
        assert decks[0]["initialViewState"] == specs[0]["initialViewState"]
    assert "Category (" in " ".join(m.value for m in at.markdown) or "No cell shows" in infos
    at.radio(key="hs_layer").set_value("Hot and cold spots (Gi*)").run()
    assert at.radio(key="hs_method").value == "permutation"
    at.radio(key="hs_method").set_value("normal").run()
    assert not at.exception
    assert "normal-approximation" in " ".join(c.value for c in at.caption)


def test_page_fdr_off_and_empty_period(store):
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.toggle(key="hs_fdr").set_value(False).run()
    assert not at.exception
    assert any("False discovery rate correction is off" in w.value for w in at.warning)
    at.slider(key="hs_res").set_value(5).run()
    assert not at.exception


def test_page_empty_store_says_so(tmp_path, monkeypatch):
    from intel.store import connect

    path = tmp_path / "empty.duckdb"
    connect(path).close()
    monkeypatch.setenv("INTEL_DB", str(path))
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert at.error and "no located events" in at.error[0].value


def test_page_uses_the_shared_connection_and_shows_provenance(store):
    src = Path(PAGE).read_text()
    assert "read_only=True" not in src and "store.connect" not in src  # one DuckDB instance per process
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert any("Provenance" in e.label for e in at.expander)
    import json

    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    assert "mapStyle" not in spec or spec["mapStyle"] == "__MAP_STYLE__"
    assert [l["id"] for l in spec["layers"]][:2] == ["sea", "basemap"]


def test_page_starts_from_the_settings(store, monkeypatch):
    """With INTEL_HOTSPOT_RESOLUTION=7 (and the other hot spot settings) the widgets start at the
    settings and the Gi* call uses them, as the briefing and the CLI do."""
    import h3

    monkeypatch.setenv("INTEL_HOTSPOT_RESOLUTION", "7")
    monkeypatch.setenv("INTEL_HOTSPOT_K", "2")
    monkeypatch.setenv("INTEL_SIGNIFICANCE", "0.01")
    monkeypatch.setenv("INTEL_FDR", "false")
    monkeypatch.setenv("INTEL_EMERGING_STEP", "quarter")
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert at.slider(key="hs_res").value == 7
    assert (at.slider(key="hs_res").min, at.slider(key="hs_res").max) == (5, 9)   # config.RESOLUTIONS["hotspot"]
    assert at.slider(key="hs_k").value == 2
    assert at.select_slider(key="hs_alpha").value == 0.01
    assert at.toggle(key="hs_fdr").value is False
    assert at.selectbox(key="hs_step").value == "quarter"
    cells = at.dataframe[0].value
    assert len(cells) and {h3.get_resolution(c) for c in cells["h3"]} == {7}
    assert "Confidence (no FDR)" in " ".join(m.value for m in at.markdown)
    # the user's choice then persists across reruns
    at.slider(key="hs_res").set_value(6).run()
    at.run()
    assert at.slider(key="hs_res").value == 6
    assert {h3.get_resolution(c) for c in at.dataframe[0].value["h3"]} == {6}


def test_page_default_resolution_without_settings(store, monkeypatch):
    monkeypatch.delenv("INTEL_HOTSPOT_RESOLUTION", raising=False)
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    from intel import settings

    assert at.slider(key="hs_res").value == settings.SETTINGS["hotspot_resolution"].default == 8


def test_page_says_when_cold_spots_lie_on_the_study_area_edge(tmp_path, monkeypatch):
    """Issue 17: a box whose west edge is empty gives cold spots on the edge; the page says so."""
    from tests.test_hotspots import EDGE_BBOX, make_edge_store

    monkeypatch.setenv("INTEL_DB", make_edge_store(tmp_path / "edge.duckdb"))
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.sidebar.radio(key="hs_area_mode").set_value("bbox").run()
    at.sidebar.text_input(key="hs_area_bbox").set_value(",".join(map(str, EDGE_BBOX))).run()
    at.slider(key="hs_res").set_value(7)
    at.radio(key="hs_method").set_value("normal")
    at.toggle(key="hs_fdr").set_value(False).run()
    assert not at.exception
    notes = [w.value for w in at.warning if "lie on the edge of the study area" in w.value]
    assert len(notes) == 1 and "Getis & Ord 1992" in notes[0]
