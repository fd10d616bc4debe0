"""AppTest of the Planner page: a hand-built store and the real store (KAFO, U.S. Southwest)."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.test_risk import _store

PAGE = str(Path(__file__).resolve().parent / ".." / "pages" / "planner.py")


def _use(monkeypatch, db):
    import intel.store

    monkeypatch.setenv("INTEL_DB", str(db))
    monkeypatch.setattr(intel.store, "DEFAULT_DB", Path(db))


@pytest.fixture
def small(tmp_path, monkeypatch):
    path, _ = _store(tmp_path / "page.duckdb")
    monkeypatch.setenv("HOME", str(tmp_path))
    _use(monkeypatch, path)
    return path


def test_page_ranks_targets_with_downloads(small):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Targets"]) >= 1 and metrics["Events scored"] == "16"
    assert metrics["Records left out (too coarse)"] == "3"
    assert any("too coarse" in w.value for w in at.warning)
    assert len(at.dataframe) >= 1
    # the weights can be changed and the page recomputes
    at.slider(key="pl_w_border").set_value(0.0).run()
    assert not at.exception and not at.error


def test_page_backtest_section(small):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.text_input(key="pl_train").set_value("2021").run()
    at.text_input(key="pl_test").set_value("2022").run()
    at.button(key="pl_bt_run").click().run()
    assert not at.exception, at.exception
    # no events in 2021 in this store: a plain sentence, not a traceback
    assert any("no usable events in the training period" in w.value for w in at.warning)
    at.text_input(key="pl_train").set_value("x:y").run()
    at.button(key="pl_bt_run").click().run()
    assert not at.exception and any("cannot read the period" in w.value for w in at.warning)


def test_page_kafo_on_real_store_says_so(real_store, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    _use(monkeypatch, real_store)
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception, at.exception
    at.selectbox(key="pl_preset").set_value("KAFO").run()
    assert not at.exception, at.exception
    text = " ".join(w.value for w in at.warning)
    assert "holds no point-level records" in text
    assert "UNODC country statistics" in text and "nothing for Mali (MLI)" in text
    assert not at.error


def test_page_us_southwest_on_real_store(real_store, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    _use(monkeypatch, real_store)
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.selectbox(key="pl_preset").set_value("US_SW").run()
    assert not at.exception, at.exception
    # no country's records fit any planner resolution: the slider stays where it was
    assert at.slider(key="pl_res").value == 8
    assert not at.error, [e.value for e in at.error]
    # CBP records carry the extent of their area of responsibility (hundreds of km, issue 15),
    # not the 5 km of their headquarters town: the page says they are too coarse, no targets
    text = " ".join(w.value for w in at.warning)
    assert "too coarse for H3 resolution 8" in text, text
    assert "cannot be ranked at any resolution the planner offers (3-9)" in text
    assert "Targets" not in {m.label for m in at.metric}
    assert any("too coarsely for any of the planner's resolutions" in c.value for c in at.caption)


def test_page_trigger_on_real_store_ranks_colombian_and_ecuadorian_places(real_store, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    _use(monkeypatch, real_store)
    at = AppTest.from_file(PAGE, default_timeout=90).run()
    at.selectbox(key="pl_preset").set_value("TRIGGER").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    # most of Trigger's records are usable only at 3 (64 %; Colombian municipalities alone fit 4, but
    # Ecuadorian provinces, the larger register, need 3 or coarser), so the preset starts at 3
    assert at.slider(key="pl_res").value == 3
    cap = " ".join(c.value for c in at.caption)
    assert "COL 4" in cap and "ECU coarser than 3" in cap and "5,296 ECU" in cap
    assert int({m.label: m.value for m in at.metric}["Targets"]) >= 5


def test_page_says_which_ranking_ranks_the_targets(small):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception, at.exception
    assert any(i.value.startswith("Ranked by the fitted ranking") for i in at.info)
    at.radio(key="pl_ranking").set_value("risk score").run()
    assert not at.exception and not at.error
    assert any(i.value.startswith("Ranked by the weighted risk score") for i in at.info)


def test_page_backtest_defaults_are_the_months_the_sources_cover(tmp_path, monkeypatch):
    # the CLI's rule (intel.backtest.period_choice), written in the grammar: a province register
    # of 2023-01 to 2023-11 gets months, not the calendar years 2022 and 2023
    from tests.test_backtest_defaults import PLACES, _store as prov_store

    rows = [(la, lo, f"2023-{m:02d}-15", "admin-1", 40.0) for m in range(1, 12) for la, lo in PLACES]
    monkeypatch.setenv("HOME", str(tmp_path))
    _use(monkeypatch, prov_store(tmp_path / "p.duckdb", rows, "ec"))
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.slider(key="pl_res").set_value(3).run()
    assert not at.exception, at.exception
    assert at.text_input(key="pl_train").value == "2023-01:2023-08"
    assert at.text_input(key="pl_test").value == "2023-09:2023-11"
    assert any("training 2023-01:2023-08, test 2023-09:2023-11" in c.value for c in at.caption)
    at.button(key="pl_bt_run").click().run()
    assert not at.exception and not at.error
    assert any("Fitted on 2023-01-01 to 2023-09-01, tested on 2023-09-01 to 2023-12-01" in i.value for i in at.info)


def test_page_choosing_a_source_starts_at_a_resolution_its_records_support(real_store, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    _use(monkeypatch, real_store)
    at = AppTest.from_file(PAGE, default_timeout=90).run()
    assert at.slider(key="pl_res").value == 8
    # Ecuador's register: provinces and cantons; none usable at 8, 42 % at 3 (intel backtest's rule)
    at.multiselect(key="pl_sources").set_value(["ecuador_mdi_armas_ilicitas"]).run()
    assert not at.exception, at.exception
    assert at.slider(key="pl_res").value == 3
    assert not at.error, [e.value for e in at.error]
    assert int({m.label: m.value for m in at.metric}["Targets"]) >= 1
    # Colombian municipalities: 4
    at.multiselect(key="pl_sources").set_value(["colombia_policia_incautaciones"]).run()
    assert at.slider(key="pl_res").value == 4


def test_page_map_marks_every_target_with_its_rank_beside_it(small):
    """Every target on the page's map has a marker glyph of fixed pixel size in the score colour, and its
    rank is offset from it (never drawn on the marker)."""
    import json

    from intel.render import hexagons

    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception, at.exception
    n = int({m.label: m.value for m in at.metric}["Targets"])
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    rows = next(layer for layer in spec["layers"] if layer.get("id") == "target-ranks")["data"]
    marks = [r for r in rows if r["text"] == hexagons.MARKER_GLYPH]
    ranks = [r for r in rows if r["text"] != hexagons.MARKER_GLYPH]
    assert n >= 1 and len(marks) == 2 * n and len(ranks) == n
    assert all(r["offset"] == [0.0, 0.0] for r in marks)
    assert all(abs(r["offset"][0]) >= hexagons.MARKER_CLEAR_PX or abs(r["offset"][1]) >= hexagons.MARKER_CLEAR_PX
               for r in ranks)


def test_page_backtest_fields_follow_the_defaults_when_a_source_is_chosen(real_store, monkeypatch, tmp_path):
    """User trial: with Sources = Ecuador the caption said "training 2023-01:2023-08, test 2023-09:2023-11"
    but the fields kept the whole store's years (a keyed field keeps its text), so the run failed."""
    monkeypatch.setenv("HOME", str(tmp_path))
    _use(monkeypatch, real_store)
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception, at.exception
    before = (at.text_input(key="pl_train").value, at.text_input(key="pl_test").value)
    at.multiselect(key="pl_sources").set_value(["ecuador_mdi_armas_ilicitas"]).run()
    assert not at.exception, at.exception
    assert before != ("2023-01:2023-08", "2023-09:2023-11")   # the premise: the defaults change
    assert at.text_input(key="pl_train").value == "2023-01:2023-08"
    assert at.text_input(key="pl_test").value == "2023-09:2023-11"
    assert any("training 2023-01:2023-08, test 2023-09:2023-11" in c.value for c in at.caption)
    at.button(key="pl_bt_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Fitted on 2023-01-01 to 2023-09-01, tested on 2023-09-01 to 2023-12-01" in i.value for i in at.info)
    # a user's own text stays while the defaults do not change
    at.text_input(key="pl_test").set_value("2023-10:2023-11").run()
    assert at.text_input(key="pl_test").value == "2023-10:2023-11"


def test_page_choosing_a_source_sets_the_period_to_its_records_and_keeps_the_backtest(real_store, monkeypatch,
                                                                                     tmp_path):
    """User trial: Colombia's register holds 2019-01-01 to 2019-03-31; the period stayed at the store's last
    three years, nothing was ranked, and the backtest section disappeared with the plan's warning."""
    import datetime as dt

    monkeypatch.setenv("HOME", str(tmp_path))
    _use(monkeypatch, real_store)
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.multiselect(key="pl_sources").set_value(["colombia_policia_incautaciones"]).run()
    assert not at.exception, at.exception
    assert tuple(at.date_input(key="pl_period").value) == (dt.date(2019, 1, 1), dt.date(2019, 3, 31))
    assert int({m.label: m.value for m in at.metric}["Targets"]) >= 1
    # a period without any of its records: no targets, but the backtest stays, its periods from the data
    at.date_input(key="pl_period").set_value((dt.date(2024, 1, 1), dt.date(2024, 12, 31))).run()
    assert not at.exception, at.exception
    assert any("holds no located records in the chosen period" in w.value for w in at.warning)
    assert "Targets" not in {m.label for m in at.metric}
    assert at.text_input(key="pl_train").value == "2019-01:2019-02"
    at.button(key="pl_bt_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(i.value.startswith("Fitted on 2019-01-01 to 2019-03-01") for i in at.info)
    # all sources again: the page's default period, the store's last three years
    at.multiselect(key="pl_sources").set_value([]).run()
    assert not at.exception, at.exception
    assert at.date_input(key="pl_period").value[1] - at.date_input(key="pl_period").value[0] > dt.timedelta(days=1000)
