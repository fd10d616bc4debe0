"""The Corridors page (Streamlit AppTest) on a temporary store holding the real ATF flows."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intel import corridors as C  # noqa: E402
from intel import store  # noqa: E402


@pytest.fixture(scope="module")
def atf_store(tmp_path_factory):
    db = tmp_path_factory.mktemp("page_cor") / "intel.duckdb"
    con = store.connect(db)
    C.load_atf_flows(con, C.ATF_CSV)
    con.close()
    return db


@pytest.fixture()
def use_db(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(ROOT)

    def use(db):
        monkeypatch.setenv("INTEL_DB", str(db))
        monkeypatch.setattr(store, "DEFAULT_DB", Path(db))
        monkeypatch.setattr(store.lake, "DEFAULT_DB", Path(db))   # read by store.default_store
    return use


def run_page():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "corridors.py"), default_timeout=60)
    at.run()
    return at


def deck_spec(at) -> dict:
    charts = at.get("deck_gl_json_chart")
    assert charts, "no map on the page"
    return json.loads(charts[0].proto.json)


def test_page_new_york_shows_east_coast_sources(use_db, atf_store):
    use_db(atf_store)
    at = run_page()
    assert not at.exception, at.exception
    assert at.selectbox(key="cor_dest").value == "New York"
    spec = deck_spec(at)
    ids = [layer["id"] for layer in spec["layers"]]
    assert {"corridor-cells", "flow-arcs", "flow-chevrons"} <= set(ids)
    # the map carries the scale caption under it (issue 17), as on the other map pages
    assert sum(c.value.startswith("Initial view: 100 px on the map is about") for c in at.caption) == 1
    arcs = next(layer for layer in spec["layers"] if layer["id"] == "flow-arcs")["data"]
    sources = {a["label"].split(" → ")[0] for a in arcs}
    assert {"Virginia", "Georgia", "South Carolina", "North Carolina", "Pennsylvania", "Florida"} <= sources
    assert all(a["label"].endswith("New York") for a in arcs)
    hexes = next(layer for layer in spec["layers"] if layer["id"] == "corridor-cells")["data"]
    assert hexes and isinstance(hexes[0]["h3"], str)
    table = at.dataframe[0].value
    assert table["origin_name"].head(6).tolist()[0] in {"Georgia", "Virginia"}


def test_page_filters_period_and_destination(use_db, atf_store):
    use_db(atf_store)
    at = run_page()
    at.selectbox(key="cor_dest").set_value("California").run()
    assert not at.exception, at.exception
    at.slider(key="cor_years").set_value((2020, 2020)).run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    top = table.iloc[0]
    assert (top["origin_name"], top["weight"]) == ("Arizona", 3352.0)
    at.multiselect(key="cor_orig").set_value(["Nevada"]).run()
    assert not at.exception
    assert at.dataframe[0].value["origin_name"].tolist() == ["Nevada"]


def test_page_says_so_when_nothing_matches(use_db, atf_store):
    use_db(atf_store)
    at = run_page()
    at.selectbox(key="cor_dest").set_value("Guam").run()
    at.multiselect(key="cor_orig").set_value(["Maine"]).run()
    assert not at.exception
    assert any("No flow matches" in w.value for w in at.warning)
    # the advice names only what the sidebar still allows: the full period is chosen already
    msg = next(w.value for w in at.warning if "No flow matches" in w.value)
    assert msg.endswith(": choose another recovery place, clear the source filter or include the flows within "
                        "one place."), msg
    assert "widen the period" not in msg


def test_page_says_at_the_map_when_every_flow_is_too_light_to_draw(use_db, atf_store):
    use_db(atf_store)
    at = run_page()
    at.number_input(key="cor_min").set_value(10_000_000.0).run()
    assert not at.exception
    col = next(c for c in at.columns if any(getattr(e, "type", "") == "deck_gl_json_chart" for e in c.children.values()))
    first = list(col.children.values())[0]
    assert type(first).__name__ == "Info" and first.value.startswith("No flow is drawn: all ")
    assert "lighter than 10,000,000 firearms" in first.value


def test_page_on_an_empty_store(use_db, tmp_path):
    db = tmp_path / "empty.duckdb"
    store.connect(db).close()
    use_db(db)
    at = run_page()
    assert not at.exception
    assert any("holds no flows" in i.value for i in at.info)


def test_page_map_layers_order_widths_and_legend(use_db, atf_store):
    """Corridor cells are drawn first (under the arcs) in YlOrRd with a legend; arc and chevron
    widths are pixels (1-10 px); arcs are low great circles; no page opens the store itself."""
    use_db(atf_store)
    at = run_page()
    assert not at.exception, at.exception
    spec = deck_spec(at)
    assert "mapStyle" not in spec or spec["mapStyle"] == "__MAP_STYLE__"
    ids = [layer["id"] for layer in spec["layers"]]
    assert ids.index("corridor-cells") < ids.index("flow-arcs") < ids.index("flow-chevrons")
    layers = {layer["id"]: layer for layer in spec["layers"]}
    hexes = layers["corridor-cells"]["data"]
    assert hexes
    from intel.render.palettes import YLORRD

    assert {tuple(h["color"][:3]) for h in hexes} <= set(YLORRD)
    arcs = layers["flow-arcs"]
    assert arcs["widthUnits"] == "pixels"  # a literal string, not the expression "@@=pixels"
    assert arcs["widthMinPixels"] >= 1 and arcs["widthMaxPixels"] <= 10
    assert all(1 <= a["width"] <= 10 for a in arcs["data"])
    assert arcs["greatCircle"] is True and arcs["getHeight"] <= 0.5
    chev = layers["flow-chevrons"]
    assert chev["widthUnits"] == "pixels" and chev["widthMaxPixels"] <= 4
    md = " ".join(m.value for m in at.markdown)
    assert "Corridor cells" in md and "firearms" in md  # the corridor-cell legend
    assert any("Provenance" in e.label for e in at.expander)
    src = (ROOT / "pages" / "corridors.py").read_text()
    assert "read_only=True" not in src and "store.connect" not in src


def test_resolution_starts_from_the_setting_within_the_corridor_range(atf_store, use_db, monkeypatch):
    use_db(atf_store)
    monkeypatch.setenv("INTEL_CORRIDOR_RESOLUTION", "3")
    at = run_page()
    assert not at.exception
    s = at.slider(key="cor_res")
    assert (s.value, s.min, s.max) == (3, 2, 6)   # intel.config.RESOLUTIONS["corridor"]
    # a setting outside the range (refused by intel.settings) never breaks the page: the slider
    # starts at the corridor default, within its range
    monkeypatch.setenv("INTEL_CORRIDOR_RESOLUTION", "9")
    at = run_page()
    assert not at.exception and at.slider(key="cor_res").value == 5
