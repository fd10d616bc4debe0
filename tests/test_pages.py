"""AppTest of the foundation pages on the real store."""
import json

from streamlit.testing.v1 import AppTest


def _deck(at):
    els = at.get("deck_gl_json_chart")
    assert els, "no map on the page"
    return json.loads(els[0].proto.json)


def test_overview(real_store, app_env):
    app_env(real_store)
    at = AppTest.from_file("../pages/overview.py", default_timeout=60).run()
    assert not at.exception
    text = " ".join(m.value for m in at.info)
    assert "Colombian National Police" in text and "West Africa" in text
    # as on the Data quality page: all rows the quarantine holds (127 quarantined + 1 rejected), then the rejected
    assert any(m.label == "Rows in quarantine" and m.value == "128" for m in at.metric)
    assert any(m.label == "Rejected on import" and m.value == "1" for m in at.metric)  # the Colombian total line
    # calendar days are shown as days, never with a 00:00:00 time (provenance, per-source tables)
    for df in at.dataframe:
        assert not any(str(t).startswith("datetime") for t in df.value.dtypes), df.value.dtypes
    per = next(df.value for df in at.dataframe if "first" in df.value.columns)
    assert str(per["first"].iloc[0]).count(":") == 0
    # equal lengths only: Colombia's quarter and Ecuador's 2023 have no 12 months before, said, never 0
    ch = next(df.value for df in at.dataframe if "12 months before" in df.value.columns).set_index("source")
    assert (ch["12 months before"] == "no earlier data").tolist() == [False, True, True, False]
    assert (ch["change %"] == "no earlier data").tolist() == [False, True, True, False]
    assert int(ch.at["toronto_tps_shootings", "12 months before"].replace(",", "")) > 0
    # no table of the page shows a missing value (drawn as the text None)
    for df in at.dataframe:
        assert not df.value.isna().any().any(), df.value
    # a count the source does not record reads "not recorded", never 0: Toronto's discharge incidents
    # carry no firearm count, and Toronto, Colombia and Ecuador no rounds of ammunition
    tot = per.set_index("source")
    assert tot.at["toronto_tps_shootings", "firearms"] == "not recorded"
    assert (tot.loc[["toronto_tps_shootings", "colombia_policia_incautaciones", "ecuador_mdi_armas_ilicitas"],
                    "ammunition"] == "not recorded").all()
    assert "not recorded" not in tot.loc[["cbp_weapons_seizures"], "firearms"].tolist()
    where = next(df.value for df in at.dataframe if "firearms, last 12 months" in df.value.columns)
    tor = where[where["source"] == "toronto_tps_shootings"]
    assert len(tor) and (tor["firearms, last 12 months"] == "not recorded").all()
    assert any("colombia_policia_incautaciones (from 2019-01-01), ecuador_mdi_armas_ilicitas (from 2022-12-31) do "
               "not cover them" in c.value for c in at.caption)
    # the Data quality page shows the same two figures under the same names
    dq = AppTest.from_file("../pages/data_quality.py", default_timeout=60).run()
    assert not dq.exception
    want = {m.label: m.value for m in at.metric if m.label in ("Rows in quarantine", "Rejected on import")}
    assert {m.label: m.value for m in dq.metric if m.label in want} == want


def test_explore_map_draws_hexes_offline(real_store, app_env):
    app_env(real_store)
    at = AppTest.from_file("../pages/explore_map.py", default_timeout=60).run()
    assert not at.exception
    spec = _deck(at)
    kinds = [l["@@type"] for l in spec["layers"]]
    assert "H3HexagonLayer" in kinds and "GeoJsonLayer" in kinds
    # map_provider=None keeps pydeck's style sentinel, which Streamlit drops without fetching a basemap;
    # an explicit map_style=None would make Streamlit fall back to a web (Carto) basemap
    assert spec.get("mapStyle") == "__MAP_STYLE__" and not spec.get("mapProvider")
    hexes = next(l for l in spec["layers"] if l["@@type"] == "H3HexagonLayer")["data"]
    assert hexes and all(isinstance(h["h3"], str) and len(h["h3"]) == 15 for h in hexes[:50])
    # CBP town-precision records are left out at resolution 7 and said so
    assert any("coarser than a resolution-7 cell" in m.value for m in at.info)


def test_explore_map_resolution_and_filters_persist(real_store, app_env):
    app_env(real_store)
    at = AppTest.from_file("../pages/explore_map.py", default_timeout=60).run()
    at.slider(key="map_res").set_value(5).run()
    assert not at.exception
    # at resolution 5 the CBP town records are binned too: more events on the map
    events5 = next(m for m in at.metric if m.label == "Events on the map").value
    at.multiselect(key="flt_sources").set_value(["toronto_tps_shootings"]).run()
    events_t = next(m for m in at.metric if m.label == "Events on the map").value
    assert int(events_t.replace(",", "")) < int(events5.replace(",", ""))
    view_t = _deck(at)["initialViewState"]
    at.run()  # a rerun keeps the resolution, the filter and the view
    assert at.slider(key="map_res").value == 5
    assert at.multiselect(key="flt_sources").value == ["toronto_tps_shootings"]
    assert _deck(at)["initialViewState"] == view_t
    # a change of the data on the map reframes it: all sources (North and South America) need a wider view
    at.multiselect(key="flt_sources").set_value([]).run()
    assert _deck(at)["initialViewState"]["zoom"] < view_t["zoom"]
