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


def _map_and_side(at):
    """The children of the map column (the one holding the deck, or the first after the metrics whose
    first child is a message) and of the column beside it, as (kind, text) pairs in page order."""
    cols = list(at.columns)
    i = next(j for j, c in enumerate(cols)
             if any(getattr(e, "type", "") == "deck_gl_json_chart" or type(e).__name__ in ("Info", "Error")
                    for e in c.children.values()))

    def kinds(col):
        out = []
        for e in col.children.values():
            kind = "deck" if getattr(e, "type", "") == "deck_gl_json_chart" else type(e).__name__
            out.append((kind, e.value if isinstance(getattr(e, "value", None), str) else ""))
        return out
    return kinds(cols[i]), kinds(cols[i + 1])


def test_page_says_why_the_map_is_empty_at_the_map(tmp_path, monkeypatch):
    """Defect of a user trial: "no significant cell" sat under the method paragraphs, far below the
    map. It is said in the map column right before the map; the method text follows the warnings."""
    import datetime as dt

    from tests.test_emerging_advice import tiny_store

    # 40 events, 120 days apart, each in its own cell far from the others: no hot or cold spot
    path = tiny_store(tmp_path / "flat.duckdb", [(dt.date(2010, 1, 15) + dt.timedelta(days=120 * i),
                                                  40.0 + 0.5 * (i % 10), -79.4 - 0.7 * (i // 10), "exact")
                                                 for i in range(40)])
    monkeypatch.setenv("INTEL_DB", path)
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    at_map, side = _map_and_side(at)
    assert at_map[0] == ("Info", "No cell is a significant hot or cold spot at 90% confidence or more.")
    assert at_map[1][0] == "deck"
    assert not any("No cell is a significant" in text for _, text in side)   # said once, at the map
    # beside the map: legend, warnings, then the study area and method text last
    kinds = [k for k, _ in side]
    assert "Warning" in kinds and kinds.index("Caption") > max(i for i, k in enumerate(kinds) if k == "Warning")


def test_page_says_why_the_emerging_map_cannot_be_trusted_at_the_map(tmp_path, monkeypatch):
    """250 events over 8 weeks, step week (the shortest): the emerging layer says at the map that
    8 steps are too few, and advises no shorter step."""
    import datetime as dt

    from tests.test_emerging_advice import tiny_store

    rows = [(dt.date(2022, 1, 3) + dt.timedelta(days=i % 50), 43.655 + 0.0005 * (i % 7), -79.385 + 0.0005 * (i % 5),
             "exact") for i in range(150)]
    rows += [(dt.date(2022, 1, 3) + dt.timedelta(days=i % 50), 43.5 + 0.003 * (i % 40), -79.6 + 0.004 * (i // 40),
              "exact") for i in range(100)]
    monkeypatch.setenv("INTEL_DB", tiny_store(tmp_path / "short.duckdb", rows))
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.selectbox(key="hs_step").set_value("week").run()
    at.radio(key="hs_layer").set_value("Emerging hot spots").run()
    assert not at.exception
    at_map, side = _map_and_side(at)
    kind, text = at_map[0]
    assert kind == "Error" and text.startswith("The emerging hot spot statistics cannot support this result: "
                                               "Only 8 time steps (weeks)"), at_map
    assert "shorter step" not in text and "no step shorter than a week is offered" in text
    assert not any("Only 8 time steps" in t for _, t in side)   # said once, at the map
    # on the month step, a shorter step is offered
    at.selectbox(key="hs_step").set_value("month").run()
    at_map, _ = _map_and_side(at)
    assert at_map[0][0] == "Error" and at_map[0][1].endswith("choose a shorter step.")
