"""Emerging hot spots on sparse cubes: the exact Poisson test, the 3-event rule, cells without
events, and the sparse guardrails (intel.emerging with intel.inference)."""
from __future__ import annotations

import math

import h3
import numpy as np
import pytest

from intel import emerging as em
from intel import hotspots as hs
from tests.test_hotspots import TORONTO, cells_of, make_store


def star_cube(radius, steps, last_two=(2.0, 1.0)):
    """A disk of cells around a Toronto cell; the centre holds ``last_two`` events in the last two
    steps and nothing else happens."""
    c = h3.latlng_to_cell(*TORONTO, 8)
    cells = cells_of(h3.grid_disk(c, radius))
    i = int(np.flatnonzero(cells == h3.str_to_int(c))[0])
    x = np.zeros((cells.size, steps))
    x[i, -2], x[i, -1] = last_two
    return cells, x, i


def test_normal_approximation_calls_a_false_hot_spot_the_exact_test_does_not():
    """19 cells (radius 2) x 6 months, 3 events at the centre (2, then 1 in the last month).

    n = 114 bins, mean = 3/114, window of the centre in the last step: 7 cells x 2 steps = 14
    bins holding 3 events, expected mu = 14 x 3/114 = 0.3684.
    Normal: S^2 = 5/114 - (3/114)^2, z = (3 - mu) / (S sqrt((114 x 14 - 196)/113)) = 3.598,
    p = 3.2e-4; the 7 bins sharing that window pass BH at 3.2e-4 x 114 / 7 = 0.0052.
    Exact: P(X >= 3) = 1 - e^-mu (1 + mu + mu^2/2) = 0.0063, two-sided 0.0127, BH 0.21: no.
    """
    cells, x, i = star_cube(2, 6)
    assert cells.size == 19
    mu = 14 * 3 / 114
    s = math.sqrt(5 / 114 - (3 / 114) ** 2)
    z = (3 - mu) / (s * math.sqrt((114 * 14 - 196) / 113))
    upper = 1 - math.exp(-mu) * (1 + mu + mu * mu / 2)
    normal = em.emerging_hotspots(cells, x, k=1, time_lag=1, method="normal")
    exact = em.emerging_hotspots(cells, x, k=1, time_lag=1)  # the default: exact Poisson
    assert exact.attrs["method"] == "poisson" and "exact Poisson" in exact.attrs["method_text"]
    for df in (normal, exact):
        assert df.loc[i, "last_window_events"] == 3 and df.loc[i, "last_expected"] == pytest.approx(mu)
        assert df.loc[i, "last_z"] == pytest.approx(z, abs=1e-9)
    assert z == pytest.approx(3.598, abs=1e-3)
    assert normal.loc[i, "last_p_fdr"] <= 0.05 and normal.loc[i, "category"] == "New Hot Spot"
    assert exact.loc[i, "last_p"] == pytest.approx(2 * upper, rel=1e-9)
    assert upper == pytest.approx(0.0063, abs=1e-4)
    assert exact.loc[i, "last_p_fdr"] > 0.05 and exact.loc[i, "category"] == em.NO_PATTERN
    assert (exact["category"] == em.NO_PATTERN).all() and (exact["last_bin"] == 0).all()


def test_cells_without_events_get_no_category():
    """Same cube, normal test: the 6 ring cells share the centre's window (3 events) and pass, but
    they never had an event, so they are not classified (as ArcGIS analyses only locations with
    data); only the centre is a hot spot."""
    cells, x, i = star_cube(2, 6)
    df = em.emerging_hotspots(cells, x, k=1, time_lag=1, method="normal")
    ring = np.array([h3.are_neighbor_cells(h3.int_to_str(int(c)), h3.int_to_str(int(cells[i]))) for c in cells])
    assert ring.sum() == 6
    assert (df.loc[ring, "last_p_fdr"] <= 0.05).all()  # they would pass the test ...
    assert (~df.loc[ring, "has_events"]).all()
    assert (df.loc[ring, "category"] == em.NO_PATTERN).all() and (df.loc[ring, "hot_steps"] == 0).all()
    assert df.loc[ring, "last_bin"].eq(0).all()
    assert df["has_events"].sum() == 1 and df.loc[i, "category"] == "New Hot Spot"
    assert set(df.loc[df["category"] != em.NO_PATTERN, "cell"]) == {cells[i]}


def test_fewer_than_three_events_are_never_significant():
    """127 cells x 24 steps, 2 events at the centre in the last step (0 before). mean = 2/3048,
    mu = 14 x 2/3048 = 0.00919; P(X >= 2) = 1 - e^-mu (1 + mu) = 4.2e-5, two-sided 8.4e-5; the 7
    bins of that window pass BH (8.4e-5 x 3048 / 7 = 0.037) but hold only 2 events (one of them,
    the centre's, in a cell with events: the one bin held back)."""
    cells, x, i = star_cube(6, 24, last_two=(0.0, 2.0))
    mu = 14 * 2 / 3048
    upper = 1 - math.exp(-mu) * (1 + mu)
    df = em.emerging_hotspots(cells, x, k=1, time_lag=1)
    assert df.loc[i, "last_p"] == pytest.approx(2 * upper, rel=1e-9)
    assert df.loc[i, "last_p_fdr"] <= 0.05
    assert df.loc[i, "category"] == em.NO_PATTERN and df.loc[i, "hot_steps"] == 0 and df.loc[i, "last_bin"] == 0
    assert df.attrs["held_back_bins"] == 1 and df.attrs["max_window_events"] == 2
    # one more event in the same window, and the exact test calls it (p = 2 P(X >= 3) ~ 2.6e-7)
    x[i, -2] = 1.0
    df3 = em.emerging_hotspots(cells, x, k=1, time_lag=1)
    assert df3.loc[i, "category"] == "New Hot Spot" and df3.attrs["held_back_bins"] == 0


def test_method_is_checked():
    cells, x, _ = star_cube(2, 6)
    with pytest.raises(ValueError, match="method"):
        em.emerging_hotspots(cells, x, method="permutation")


# ---------------------------------------------------------------- store guardrails
@pytest.fixture
def store(tmp_path):
    return make_store(tmp_path / "s.duckdb", n_cluster=150, n_background=100)


def test_store_guardrails_say_too_sparse(store):
    from intel.store import connect

    con = connect(store, read_only=True)
    df, g = em.emerging_from_store(con, 8, "month", 1, 1)
    assert g.method == "poisson" and "exact Poisson" in g.method_text
    assert not g.too_sparse
    empty = int((~df["has_events"]).sum())
    assert empty > 0 and any(f"{empty:,} study-area cells have no events" in m for m in g.messages)
    hot = df["category"].str.contains("Hot Spot")
    assert df.loc[hot, "has_events"].all()
    # one month of a 250-event store: too sparse for any claim
    w, gw = em.emerging_from_store(con, 8, "week", 1, 1, date_from="2022-01-01", date_to="2022-02-01")
    assert gw.too_sparse and gw.unreliable and "too sparse for any claim" in gw.messages[0].lower()
    # the Gi* guardrails say the same for a sparse period
    h, gh = hs.hotspots_from_store(con, 8, 1, date_from="2022-01-01", date_to="2022-02-01", permutations=999)
    assert gh.too_sparse and "too sparse for any claim" in gh.messages[0]
    assert gh.method == "permutation" and gh.permutations == 999 and "Anselin 1995" in gh.method_text
    con.close()
