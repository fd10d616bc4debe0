"""Tests of intel.emerging: space-time Gi*, Mann-Kendall against pymannkendall, ESRI categories, store, CLI."""
from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pymannkendall as pmk
import pytest
import scipy.sparse as sp

from intel import emerging as em
from intel import hotspots as hs
from tests.test_hotspots import TORONTO, cells_of, make_store


# ---------------------------------------------------------------- space-time Gi*
@pytest.mark.parametrize("lag", [0, 1, 2])
def test_space_time_gi_equals_explicit_weights(lag):
    """Build the (N T) x (N T) space-time weight matrix explicitly and use the plain Gi* formula."""
    rng = np.random.default_rng(lag)
    cells = cells_of(h3.grid_disk(h3.latlng_to_cell(*TORONTO, 8), 3))
    N, T = cells.size, 6
    x = rng.poisson(1.0, (N, T)).astype(float)
    W = hs.neighbour_matrix(cells, 1)
    # temporal part: step t sees steps t-lag .. t
    L = sp.csr_matrix(np.array([[1.0 if 0 <= t - s <= lag else 0.0 for s in range(T)] for t in range(T)]))
    Wst = sp.kron(W, L).tocsr()  # row index i*T + t, matching x.ravel()
    want = hs.gi_star_z(Wst, x.ravel()).reshape(N, T)
    got = em.space_time_gi_star(x, W, lag)
    np.testing.assert_allclose(got, want, atol=1e-12)


# ---------------------------------------------------------------- Mann-Kendall
def test_mann_kendall_matches_pymannkendall():
    rng = np.random.default_rng(11)
    series = [rng.normal(size=30), rng.normal(size=30) + np.linspace(0, 2, 30),
              rng.integers(0, 4, 24).astype(float),  # many ties
              np.r_[np.zeros(10), np.ones(5), np.zeros(9)],
              -np.arange(12.0), np.ones(12) * 2.0]
    for x in series:
        mk = em.mann_kendall(x[None, :])
        ref = pmk.original_test(x)
        assert mk["s"][0] == pytest.approx(ref.s)
        assert mk["var_s"][0] == pytest.approx(ref.var_s)
        assert mk["z"][0] == pytest.approx(ref.z, abs=1e-12)
        assert mk["p"][0] == pytest.approx(ref.p, abs=1e-12)
        assert mk["tau"][0] == pytest.approx(ref.Tau, abs=1e-12)
    # vectorised over rows
    X = rng.integers(0, 3, (50, 20)).astype(float)
    mk = em.mann_kendall(X)
    for i in range(0, 50, 7):
        ref = pmk.original_test(X[i])
        assert mk["z"][i] == pytest.approx(ref.z, abs=1e-12) and mk["p"][i] == pytest.approx(ref.p, abs=1e-12)


# ---------------------------------------------------------------- categories
def _cat(hot, cold=None, tz=0.0, tp=1.0):
    hot = np.array(hot, dtype=bool)[None, :]
    cold = np.zeros_like(hot) if cold is None else np.array(cold, dtype=bool)[None, :]
    return em.classify(hot, cold, np.array([tz]), np.array([tp]), 0.05)[0]


def test_categories_on_hand_built_series():
    T = 20
    z = [0] * T
    assert _cat(z) == em.NO_PATTERN
    assert _cat(z[:-1] + [1]) == "New Hot Spot"  # hot only in the last step
    assert _cat([0] * 16 + [1] * 4) == "Consecutive Hot Spot"  # one final run, never hot before
    assert _cat([0] + [1] * 19, tz=3.0, tp=0.001) == "Intensifying Hot Spot"  # 95 % hot, rising
    assert _cat([1] * 20, tz=0.3, tp=0.7) == "Persistent Hot Spot"  # 100 % hot, no trend
    assert _cat([1] * 20, tz=-3.0, tp=0.001) == "Diminishing Hot Spot"  # 100 % hot, falling
    assert _cat([1, 0] * 9 + [0, 1]) == "Sporadic Hot Spot"  # on and off, never cold
    cold = [0, 0, 1] + [0] * 17
    assert _cat([0] * 5 + [1] * 3 + [0] * 11 + [1], cold) == "Oscillating Hot Spot"  # cold earlier
    assert _cat([1] * 19 + [0]) == "Historical Hot Spot"  # 95 % hot but not now
    assert _cat([1] * 10 + [0] * 9 + [1]) == "Sporadic Hot Spot"  # hot before, gap, hot again
    # the cold mirror images: an intensifying cold spot has a falling trend in z
    zero = [0] * T
    assert _cat(zero, zero[:-1] + [1]) == "New Cold Spot"
    assert _cat(zero, [0] * 16 + [1] * 4) == "Consecutive Cold Spot"
    assert _cat(zero, [1] * 20, tz=-3.0, tp=0.001) == "Intensifying Cold Spot"
    assert _cat(zero, [1] * 20) == "Persistent Cold Spot"
    assert _cat(zero, [1] * 20, tz=3.0, tp=0.001) == "Diminishing Cold Spot"
    assert _cat(zero, [0, 1] * 10) == "Sporadic Cold Spot"
    assert _cat([0, 0, 1] + [0] * 17, [0] * 19 + [1]) == "New Cold Spot"  # new wins over oscillating
    assert _cat([0, 1, 1] + [0] * 17, [1, 0, 0, 1] + [0] * 15 + [1]) == "Oscillating Cold Spot"
    assert _cat(zero, [1] * 18 + [0, 0]) == "Historical Cold Spot"


def test_emerging_finds_new_and_intensifying_on_synthetic_cube():
    rng = np.random.default_rng(5)
    cells = cells_of(h3.grid_disk(h3.latlng_to_cell(*TORONTO, 8), 8))
    N, T = cells.size, 24
    x = rng.poisson(0.2, (N, T)).astype(float)
    i_new = int(np.searchsorted(cells, h3.str_to_int(h3.latlng_to_cell(43.72, -79.36, 8))))
    x[i_new, -1] += 40  # appears only in the last month
    i_int = int(np.searchsorted(cells, h3.str_to_int(h3.latlng_to_cell(*TORONTO, 8))))
    x[i_int, :] += np.linspace(20, 35, T).round()  # hot throughout, growing
    df = em.emerging_hotspots(cells, x, k=1, time_lag=1).set_index("cell")
    assert df.loc[cells[i_new], "category"] == "New Hot Spot"
    assert df.loc[cells[i_int], "category"] == "Intensifying Hot Spot"
    assert df.loc[cells[i_int], "trend"] == "increasing"
    assert set(df["category"]) <= set(em.CATEGORIES)


# ---------------------------------------------------------------- store and CLI
@pytest.fixture
def store(tmp_path):
    return make_store(tmp_path / "s.duckdb", n_cluster=150, n_background=100)


def test_emerging_from_store(store):
    from intel.store import connect

    con = connect(store, read_only=True)
    df, g = em.emerging_from_store(con, 8, "month", 1, 1)
    assert df.attrs["steps"] == 24 and df.attrs["first_period"] == "2022-01-01"
    assert len(df) == g.study_cells and g.left_out_precision_records == 5
    q, gq = em.emerging_from_store(con, 8, "quarter", 1, 1)
    assert q.attrs["steps"] == 8 and gq.unreliable and "Mann-Kendall" in gq.messages[0]
    w, _ = em.emerging_from_store(con, 8, "week", 1, 1, date_from="2022-01-03", date_to="2022-04-04")
    assert w.attrs["steps"] == 13
    # a period running past the data is clipped and says so
    _, g3 = em.emerging_from_store(con, 8, "month", 1, 1, date_from="2022-01-01", date_to="2030-01-01")
    assert any("covers only that span" in m for m in g3.messages)
    con.close()


def test_cli_emerging(store, tmp_path):
    from click.testing import CliRunner

    from intel.cli.hotspots import emerging_cmd

    out = tmp_path / "e.csv"
    r = CliRunner().invoke(emerging_cmd, ["--db", store, "--res", "8", "--step", "month", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "24 months" in r.output
    got = pd.read_csv(out)
    assert list(got.columns) == ["marking", "h3", "latitude", "longitude"] + em.EMERGING_COLUMNS[1:]  # cell centre after h3
    assert set(got["category"]) <= set(em.CATEGORIES)
    out2 = tmp_path / "e.geojson"
    r = CliRunner().invoke(emerging_cmd, ["--db", store, "--res", "8", "--step", "quarter", "--no-fdr", "--out", str(out2)])
    assert r.exit_code == 0 and "False discovery rate correction is off" in r.output
