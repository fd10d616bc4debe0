"""AppTest of the Trends and briefing page on a hand-built store (and once on the real store)."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.test_trends import make_store

PAGE = "../pages/trends.py"


def _use(monkeypatch, path):
    monkeypatch.setenv("INTEL_DB", str(path))
    import intel.store

    monkeypatch.setattr(intel.store, "DEFAULT_DB", Path(path))


@pytest.fixture
def hand(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    path = make_store(tmp_path / "page.duckdb")
    _use(monkeypatch, path)
    return path


def test_page_kpis_headline_and_downloads(hand):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    metrics = {m.label: (m.value, m.delta) for m in at.metric}
    assert metrics["events, last 28 days"] == ("3", "+50.0 %")
    assert metrics["events, year over year"][1] in ("+40.0 %", "+350.0 %")
    assert "events, last month" in metrics  # the month-precision source compares whole months
    infos = " ".join(i.value for i in at.info).replace("\\", "")  # Markdown escapes removed
    assert "40.0 % more than a year before" in infos
    labels = [d.label for d in at.get("download_button")]
    assert "Chart as PNG" in labels and "Data as CSV" in labels
    md = " ".join(m.value for m in at.warning)
    assert "Mali" in md  # KAFO view: the gap is named


def test_page_series_breakdown_and_playback(hand):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.selectbox(key="tr_grain").set_value("quarter").run()
    at.selectbox(key="tr_by").set_value("region").run()
    assert not at.exception, [e.value for e in at.exception]
    slider = at.select_slider(key="pb_at_month")
    last = slider.value
    at.button(key="pb_prev").click().run()
    assert at.select_slider(key="pb_at_month").value != last
    at.radio(key="pb_step").set_value("week").run()
    assert not at.exception
    assert any("dated only to the month" in i.value for i in at.info)


@pytest.mark.slow   # 24 s in the fast tier on the shared 2 cores (load ~30): see the tier timing of issue 13
def test_page_briefing_one_click(hand):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert at.text_input(key="br_marking").value == ""   # no classification line unless one is given
    at.text_input(key="br_marking").set_value("OFFICIAL").run()
    at.button(key="br_make").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Briefing ready: 6 pages" in s.value for s in at.success)
    assert any("OFFICIAL // UNRESTRICTED (public sources)" in s.value.replace("\\", "") for s in at.success)
    buttons = {d.label: d.proto.url for d in at.get("download_button")}
    assert "Download the PDF" in buttons and "Download the figures (PNG, zip)" in buttons


def test_page_real_store(real_store, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    _use(monkeypatch, real_store)
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    infos = " ".join(i.value for i in at.info).replace("\\", "")  # Markdown escapes removed
    assert "fewer than a year before" in infos and "more than a year before" in infos
