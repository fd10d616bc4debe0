"""The planner's fitted ranking (intel.risk.ranking): known choices, no look-ahead, parts that add up.

Hand-built stores in Toronto at resolution 8, ten cells three rings apart:

* **moving**: 5 "old" cells with 10 events each in 2015 only, 5 "new" cells with 4 events in
  2018 and 4 in 2019. Validation year 2019 (fitted on 2015-2018): counts rank the old cells first
  (10 > 4) and catch nothing at the top, a decayed count (365 d: 4 * ~0.7 against
  10 * 0.5 ** 3.5 = 0.9) ranks the new cells first and catches every validation event; in the
  validation year 2018 (fitted on 2015-2017) no candidate knows the new cells (a draw). So the
  fitted ranking leaves the counts and the new cells are the targets, although counts over the
  whole period (10 against 8) would pick the old ones;
* **stable**: the same 10 cells with 20, 18, ..., 2 events on the same dates every year of
  2015-2019: nothing beats previous-period counts, so the score is count / largest count.
"""
from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest

from intel import risk
from intel.risk.ranking import ALL_PTS, parts_to_score

CENTRE = (43.70, -79.40)
PERIOD = ("2015-01-01", "2020-01-01")


def _spots(n: int = 10) -> list[tuple[float, float]]:
    """Centres of ``n`` resolution-8 cells, every one at least 3 cells from the others."""
    ring = sorted(h3.grid_disk(h3.latlng_to_cell(*CENTRE, 8), 8))
    out = []
    for c in ring:
        if all(h3.grid_distance(c, o) >= 3 for o in out):
            out.append(c)
        if len(out) == n:
            break
    assert len(out) == n
    return [h3.cell_to_latlng(c) for c in out]


def _spread(year: int, n: int) -> list[pd.Timestamp]:
    return [pd.Timestamp(f"{year}-01-01") + pd.Timedelta(days=int(d)) for d in np.linspace(5, 355, n)]


def _write(path, events) -> str:
    """A store with one accepted point event per (lat, lon, date)."""
    from intel.hexbin import bin_points
    from intel.store import connect

    rows = []
    for i, (lat, lon, d) in enumerate(events):
        c = int(bin_points(np.array([lat]), np.array([lon]))[0])
        rows.append((i + 1, 1, "t", f"e{i}", "accepted", "discharge incident", pd.Timestamp(d).date(), lat, lon,
                     "intersection", 1.0, c, "CAN"))
    con = connect(str(path))
    con.execute("INSERT INTO batches VALUES (1,'t','t.csv','x',NULL,now(),NULL,0,0,0,0,NULL,NULL,NULL)")
    con.executemany("INSERT INTO events (event_id, batch_id, source, incident_key, status, kind, event_date, latitude, "
                    "longitude, location_precision, firearms, h3_cell, country_iso3) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    rows)
    con.close()
    return str(path)


def _cell8(lat, lon) -> str:
    return h3.latlng_to_cell(lat, lon, 8)


def _moving():
    s = _spots()
    old, new = s[:5], s[5:]
    ev = [(la, lo, d) for la, lo in old for d in _spread(2015, 10)]
    ev += [(la, lo, d) for la, lo in new for y in (2018, 2019) for d in _spread(y, 4)]
    return ev, old, new


def _stable():
    s = _spots()
    return [(la, lo, d) for y in range(2015, 2020) for r, (la, lo) in enumerate(s) for d in _spread(y, 20 - 2 * r)], s


def _parts_add_up(df):
    assert np.allclose(df[ALL_PTS].sum(axis=1).to_numpy(float), df["score"].to_numpy(float), atol=1e-12)


# ------------------------------------------------------------------ arithmetic

def test_parts_to_score_by_hand():
    # counts (2, 1, 0) and kernel density tie-break (0.5, 0, 0.25): sums 2.5, 1, 0.25, largest 2.5
    # -> counts_pts 0.8, 0.4, 0; density_pts 0.2, 0, 0.1; score 1, 0.4, 0.1.
    rp = pd.DataFrame({f"{c}_pts": 0.0 for c in risk.COMPONENTS}, index=range(3))
    out = parts_to_score({"counts": np.array([2.0, 1, 0]), "density": np.array([0.5, 0, 0.25])}, rp, np.zeros(3))
    assert out["counts_pts"].tolist() == pytest.approx([0.8, 0.4, 0])
    assert out["density_pts"].tolist() == pytest.approx([0.2, 0, 0.1])
    assert out["score"].tolist() == pytest.approx([1, 0.4, 0.1])
    # counts (1, 1, 0) and risk part (0.2, 0.1, 0) of risk scores (0.4, 0.2, 0) made of intensity (0.3, 0.2, 0)
    # and hotspot (0.1, 0, 0): sums 1.2, 1.1, 0; the risk part of cell 1 is 0.2 / 1.2 = 1/6, which is
    # 5/12 of its risk score, so intensity_pts = 0.3 * 5/12 = 0.125 and hotspot_pts = 0.1 * 5/12.
    rp.loc[:, "intensity_pts"] = [0.3, 0.2, 0]
    rp.loc[:, "hotspot_pts"] = [0.1, 0, 0]
    out = parts_to_score({"counts": np.array([1.0, 1, 0]), "risk": np.array([0.2, 0.1, 0])}, rp,
                         np.array([0.4, 0.2, 0]))
    assert out["counts_pts"].tolist() == pytest.approx([1 / 1.2, 1 / 1.2, 0])
    assert out["intensity_pts"].tolist() == pytest.approx([0.125, 0.2 * 5 / 12, 0])
    assert out["hotspot_pts"].tolist() == pytest.approx([0.1 * 5 / 12, 0, 0])
    assert out["score"].tolist() == pytest.approx([1, 1.1 / 1.2, 0])
    _parts_add_up(out)
    with pytest.raises(ValueError):
        parts_to_score({"weather": np.zeros(3)}, rp, np.zeros(3))


# ------------------------------------------------------------------ known choices on a store

def test_moving_events_leave_the_counts_and_target_the_new_cells(tmp_path):
    from intel.store import connect

    ev, old, new = _moving()
    con = connect(_write(tmp_path / "m.duckdb", ev), read_only=True)
    p = risk.plan(con, 8, None, PERIOD, n=5, min_spacing_km=0)
    a = p.scores.attrs
    assert a["ranking"] == "fitted" and a["ranking_choice"] != "previous-period counts"
    # folds 2019 and 2018 (2017 has no events); in 2018 nothing knows the new cells yet: a draw
    assert a["ranking_folds"] == [("2019-01-01", "2020-01-01"), ("2018-01-01", "2019-01-01")]
    assert a["ranking_validation"] == ("2018-01-01", "2020-01-01")
    # the five targets are the five new cells (8 events each), not the old ones (10 each)
    assert set(p.targets["h3"]) == {_cell8(la, lo) for la, lo in new}
    assert p.notes[0].startswith(f"Ranked by the fitted ranking ({a['ranking_choice']})")
    _parts_add_up(p.scores)
    _parts_add_up(p.targets)
    # the weighted risk score is still there as the explanation, and can be asked for
    assert (p.scores["risk_score"] > 0).any()
    q = risk.plan(con, 8, None, PERIOD, n=5, min_spacing_km=0, ranking="risk score")
    assert q.scores.attrs["ranking"] == "risk score"
    assert q.scores["score"].tolist() == pytest.approx(q.scores["risk_score"].tolist())
    _parts_add_up(q.scores)
    con.close()


def test_stable_events_keep_previous_period_counts(tmp_path):
    from intel.store import connect

    ev, spots = _stable()
    con = connect(_write(tmp_path / "s.duckdb", ev), read_only=True)
    p = risk.plan(con, 8, None, PERIOD, n=10, min_spacing_km=0)
    a = p.scores.attrs
    assert a["ranking_choice"] == "previous-period counts"
    assert "no candidate" in p.notes[0]
    # score = count / largest count (100 events in the busiest cell), all of it counts_pts
    want = [5 * (20 - 2 * r) / 100 for r in range(10)]
    assert p.targets["score"].tolist() == pytest.approx(want)
    assert p.targets["h3"].tolist() == [_cell8(la, lo) for la, lo in spots]
    assert p.targets["counts_pts"].tolist() == pytest.approx(want)
    _parts_add_up(p.scores)
    con.close()


def test_no_record_after_the_plan_end_changes_the_ranking(tmp_path):
    # the moving store, then the same store with 2020-2021 events piled on the OLD cells: a plan whose
    # period ends on 2020-01-01 must not see them (same scores, same choice, same targets); a plan
    # over 2016-2022 does see them (the test can fail).
    from intel.store import connect

    ev, old, new = _moving()
    later = [(la, lo, d) for la, lo in old for y in (2020, 2021) for d in _spread(y, 15)]
    con1 = connect(_write(tmp_path / "a.duckdb", ev), read_only=True)
    con2 = connect(_write(tmp_path / "b.duckdb", ev + later), read_only=True)
    p1 = risk.plan(con1, 8, None, PERIOD, n=5, min_spacing_km=0)
    p2 = risk.plan(con2, 8, None, PERIOD, n=5, min_spacing_km=0)
    assert p2.scores.attrs["ranking_choice"] == p1.scores.attrs["ranking_choice"]
    assert p2.targets["h3"].tolist() == p1.targets["h3"].tolist()
    cols = ["cell", "score", "risk_score", *ALL_PTS]
    pd.testing.assert_frame_equal(p1.scores[cols], p2.scores[cols])
    p3 = risk.plan(con2, 8, None, ("2016-01-01", "2022-01-01"), n=5, min_spacing_km=0)
    assert set(p3.targets["h3"]) == {_cell8(la, lo) for la, lo in old}
    con1.close()
    con2.close()
