"""Advice in the hot spot messages offers only changes the current choices allow (no "choose a
shorter step" at the shortest step, no "coarser resolution" at the coarsest, ...)."""
from __future__ import annotations

import pytest

from intel import emerging as em
from intel import hotspots as hs
from intel.hexbin import Filters
from intel.inference import fdr_floor_message
from tests.test_hotspots import make_store


def test_advice_drops_what_the_choices_do_not_allow():
    every = ("shorter_step", "longer_step", "coarser", "longer_period", "wider")
    assert em.advice(8, "month", True, Filters(sources=("a",)), every) == [
        "a shorter step", "a longer step", "a coarser resolution", "a longer period",
        "wider filters (more sources, countries or kinds)"]
    # week is the shortest step, quarter the longest, 5 the coarsest hot spot resolution
    assert em.advice(5, "week", False, None, every) == ["a longer step"]
    assert em.advice(5, "quarter", False, Filters(), every) == ["a shorter step"]
    # a period alone is not a filter to widen
    assert em.advice(5, "quarter", False, Filters(date_from="2022-01-01"), ("wider",)) == []


def test_fdr_floor_message_advises_more_permutations_only_below_the_limit():
    below = fdr_floor_message(410, "permutation", 9_999, 0.05, max_permutations=99_999)
    at_max = fdr_floor_message(410_000, "permutation", 99_999, 0.05, max_permutations=99_999)
    assert "raise the number of permutations" in below
    assert at_max and "raise the number" not in at_max and at_max.endswith("use a smaller study area.")


def tiny_store(path, rows):
    """A store of ``rows`` (date, latitude, longitude, precision), one located record each."""
    from intel.hexbin import bin_points
    from intel.store import connect

    con = connect(path)
    con.execute("INSERT INTO batches VALUES (1,'test','t.csv','x',NULL,now(),NULL,0,0,0,0,NULL,NULL,NULL)")
    cells = bin_points([r[1] for r in rows], [r[2] for r in rows])
    con.executemany("INSERT INTO events (event_id, batch_id, source, incident_key, status, kind, event_date, latitude, "
                    "longitude, location_precision, firearms, h3_cell) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    [(i + 1, 1, "test", f"E{i}", "accepted", "seizure", d, lat, lon, prec, 1.0, int(cells[i]))
                     for i, (d, lat, lon, prec) in enumerate(rows)])
    con.close()
    return str(path)


@pytest.fixture
def short_store(tmp_path):
    """250 located events over 50 days (2022-01-03 to 2022-02-21): 8 weeks, 2 months."""
    from intel.store import connect

    path = make_store(tmp_path / "short.duckdb", n_cluster=150, n_background=100)
    con = connect(path)
    con.execute("UPDATE events SET event_date = DATE '2022-01-03' + CAST(event_id % 50 AS INTEGER)")
    con.close()
    return path


def _steps_message(g):
    return next(m for m in g.messages if "Mann-Kendall" in m)


def test_too_few_steps_advises_only_what_is_possible(short_store):
    from intel.store import connect

    con = connect(short_store, read_only=True)
    # month: a shorter step (week) is possible; the period spans every record; no filter
    _, g = em.emerging_from_store(con, 8, "month", 1, 1)
    assert _steps_message(g).endswith("choose a shorter step.")
    # week, the shortest step, every record, no filter: nothing to advise, only why
    _, g = em.emerging_from_store(con, 8, "week", 1, 1)
    msg = _steps_message(g)
    assert "shorter step" not in msg and "choose" not in msg, msg
    assert msg.startswith("Only 8 time steps (weeks)")
    assert "the selected records cover only 8 weeks (2022-01-03 to 2022-02-21) and no step shorter than a week" in msg
    # a period that leaves records out: a longer period helps; a source filter: wider filters help
    _, g = em.emerging_from_store(con, 8, "week", 1, 1, date_from="2022-01-03", date_to="2022-01-31")
    assert _steps_message(g).endswith("choose a longer period.")
    _, g = em.emerging_from_store(con, 8, "week", 1, 1, filters=Filters(sources=("test",)))
    assert _steps_message(g).endswith("choose wider filters (more sources, countries or kinds).")
    con.close()


def test_too_sparse_window_advises_only_what_is_possible(tmp_path):
    from intel.store import connect

    # 40 events, 120 days apart, each in its own cell 0.5 degrees from the last: no window holds 3
    import datetime as dt

    path = tiny_store(tmp_path / "sparse.duckdb", [(dt.date(2010, 1, 15) + dt.timedelta(days=120 * i),
                                                     40.0 + 0.5 * (i % 10), -79.4 - 0.7 * (i // 10), "exact")
                                                    for i in range(40)])
    con = connect(path, read_only=True)
    _, g = em.emerging_from_store(con, 5, "quarter", 1, 1)
    sparse = next(m for m in g.messages if m.startswith("Too sparse for any claim"))
    assert "choose" not in sparse and "longer step" not in sparse and "coarser" not in sparse, sparse
    assert sparse.endswith("the longest step and the coarsest resolution are already chosen and the period "
                           "already spans every record.")
    _, g = em.emerging_from_store(con, 6, "month", 1, 1)
    sparse = next(m for m in g.messages if m.startswith("Too sparse for any claim"))
    assert sparse.endswith("choose a longer step or a coarser resolution."), sparse
    con.close()


def test_hotspots_no_coarser_resolution_below_the_coarsest(tmp_path):
    from intel.store import connect

    # only records too coarse for any hot spot resolution
    path = tiny_store(tmp_path / "coarse.duckdb", [("2022-01-01", 43.7, -79.4, "admin-1")] * 5)
    con = connect(path, read_only=True)
    with pytest.raises(hs.HotspotError) as fine:
        hs.hotspots_from_store(con, 7, 1)
    assert "try a coarser resolution" in str(fine.value)
    with pytest.raises(hs.HotspotError) as coarsest:
        hs.hotspots_from_store(con, 5, 1)
    assert "coarser resolution" not in str(coarsest.value)
    assert "the coarsest resolution offered here" in str(coarsest.value)
    con.close()
