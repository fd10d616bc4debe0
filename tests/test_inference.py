"""Tests of intel.inference: permutation p-values for Gi* against esda and exact enumeration,
seeds, the permutation floor, exact Poisson tails, and the method sentence."""
from __future__ import annotations

import itertools
import math
import warnings

import h3
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.stats import norm

from intel import hotspots as hs
from intel import inference as inf
from tests.test_hotspots import TORONTO, cells_of


def lattice(radius=6, res=8):
    """The cells within ``radius`` of a Toronto cell: 3 r (r + 1) + 1 cells (127 for r = 6)."""
    return cells_of(h3.grid_disk(h3.latlng_to_cell(*TORONTO, res), radius))


def esda_p_sim(W, y, permutations, seed):
    from esda.getisord import G_Local
    from libpysal.weights import WSP

    W0 = sp.csr_matrix(W, copy=True)
    W0.setdiag(0)
    W0.eliminate_zeros()
    w = WSP(W0).to_W(silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return G_Local(y, w, transform="B", star=True, permutations=permutations, seed=seed).p_sim


# ---------------------------------------------------------------- against esda
def test_folded_p_matches_esda_p_sim_on_a_lattice():
    cells = lattice()
    assert cells.size == 127
    rng = np.random.default_rng(1)
    y = rng.poisson(0.8, cells.size).astype(float)
    y[:6] += 5  # some structure
    W = hs.neighbour_matrix(cells, 1)
    ours = inf.gi_star_permutation_p(W, y, 1999, seed=3, alternative="folded")
    theirs = esda_p_sim(W, y, 1999, seed=3)
    d = np.abs(ours - theirs)
    # two Monte Carlo estimates of the same p: sd about sqrt(2 p (1 - p) / 2000) <= 0.016
    assert np.median(d) < 0.01 and np.quantile(d, 0.9) < 0.02 and d.max() < 0.05
    # on the high side (z > 0, few permuted sums as large) the two-sided value is the folded one
    # doubled (same seed, same draws); on the low side esda's fold leaves out ties
    two = inf.gi_star_permutation_p(W, y, 1999, seed=3)
    high = (ours < 0.2) & (hs.gi_star_z(W, y) > 0)
    assert high.sum() > 5
    np.testing.assert_allclose(two[high], np.minimum(1, 2 * ours[high]))


def test_ties_of_empty_neighbourhoods_are_not_extreme():
    """esda's p_sim reads an empty cell with empty neighbours as extreme (every permuted sum ties
    it, and it counts only the strictly smaller ones on the low side); ours counts ties on both
    sides. One event in 127 cells: for an empty cell far from it, 6 draws from the 126 others
    miss the event with probability C(125, 6) / C(126, 6) = 120 / 126, so le = 0.952 P and
    ge = P: p = 1."""
    cells = lattice()
    y = np.zeros(cells.size)
    y[0] = 1.0
    W = hs.neighbour_matrix(cells, 1)
    far = np.flatnonzero(np.asarray(W[0].todense()).ravel() == 0)
    far = far[np.asarray(W.sum(axis=1)).ravel()[far] == 7][:5]
    p = inf.gi_star_permutation_p(W, y, 999, seed=0)
    assert np.all(p[far] == 1.0)
    assert np.all(esda_p_sim(W, y, 999, seed=0)[far] == pytest.approx(1 / 1000))


# ---------------------------------------------------------------- against exact enumeration
def test_permutation_p_converges_to_exact_enumeration():
    """7 cells (a centre and its ring): the null of a ring cell (4 neighbours with itself) is its
    own value plus 3 of the 6 other values, all C(6, 3) = 20 subsets equally likely."""
    c = h3.latlng_to_cell(*TORONTO, 8)
    cells = cells_of([c] + list(h3.grid_ring(c, 1)))
    y = np.array([5.0, 0.0, 1.0, 2.0, 0.0, 3.0, 1.0])
    W = hs.neighbour_matrix(cells, 1)
    P = 49_999
    p = inf.gi_star_permutation_p(W, y, P, seed=11)
    card = np.asarray(W.sum(axis=1)).ravel()
    lag = W @ y
    for i in range(7):
        if card[i] == 7:  # the centre: its neighbourhood is the whole area
            assert p[i] == 1.0
            continue
        others = np.delete(y, i)
        sums = np.array([sum(s) for s in itertools.combinations(others, int(card[i]) - 1)])
        obs = lag[i] - y[i]
        exact = min(1.0, 2 * min((sums >= obs).mean(), (sums <= obs).mean()))
        assert p[i] == pytest.approx(exact, abs=0.015), i


# ---------------------------------------------------------------- seeds and parameters
def test_same_seed_same_p_other_seed_differs():
    cells = lattice(4)
    y = np.random.default_rng(5).poisson(1.0, cells.size).astype(float)
    W = hs.neighbour_matrix(cells, 1)
    a = inf.gi_star_permutation_p(W, y, 999, seed=42)
    b = inf.gi_star_permutation_p(W, y, 999, seed=42)
    c = inf.gi_star_permutation_p(W, y, 999, seed=43)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # p-values are multiples of 1 / (P + 1), between 2 / (P + 1) and 1
    assert np.allclose(a * 1000, np.round(a * 1000))
    assert a.min() >= 2 / 1000 and a.max() <= 1.0
    with pytest.raises(ValueError):
        inf.gi_star_permutation_p(W, y, 0)
    with pytest.raises(ValueError):
        inf.gi_star_permutation_p(W, y, 99, alternative="greater")


def test_gi_star_records_method_and_is_reproducible():
    cells = lattice(4)
    y = np.random.default_rng(2).poisson(1.0, cells.size).astype(float)
    a = hs.gi_star(cells, y, 1, permutations=999, seed=7)
    b = hs.gi_star(cells, y, 1, permutations=999, seed=7)
    assert a.attrs["method"] == "permutation" and a.attrs["permutations"] == 999 and a.attrs["seed"] == 7
    assert "Anselin 1995" in a.attrs["method_text"] and "seed 7" in a.attrs["method_text"]
    np.testing.assert_array_equal(a["p"], b["p"])
    n = hs.gi_star(cells, y, 1, method="normal")
    assert n.attrs["method"] == "normal" and n.attrs["permutations"] is None
    np.testing.assert_allclose(n["z"], a["z"])  # the statistic is the same, only p differs
    # the defaults are the module's constants
    d = hs.gi_star(cells, y, 1)
    assert d.attrs["permutations"] == inf.DEFAULT_PERMUTATIONS == 9_999 and d.attrs["seed"] == inf.DEFAULT_SEED
    with pytest.raises(ValueError, match="method"):
        hs.gi_star(cells, y, 1, method="bootstrap")


def test_lone_cell_is_a_normal_hot_spot_but_not_a_permutation_one():
    """One cell with 3 events among 127 empty cells. Normal: n = 127, mean = 3/127,
    S^2 = 9/127 - (3/127)^2; the cell (W_i = 7) has z = (3 - 21/127) / (S sqrt((889 - 49)/126))
    = 4.14 and passes FDR. Permutation: the cell keeps its own value and its neighbours are empty
    in every draw that misses nothing, so its neighbourhood sum (0 besides itself) is the smallest
    possible: p = 1. Its neighbours hold the event in 6 of 126 draws' chances: p ~ 2 x 0.048."""
    cells = lattice()
    y = np.zeros(cells.size)
    centre = h3.str_to_int(h3.latlng_to_cell(*TORONTO, 8))
    i = int(np.flatnonzero(cells == centre)[0])
    y[i] = 3.0
    n, mean = 127, 3 / 127
    s = math.sqrt(9 / 127 - mean ** 2)
    z = (3 - 7 * mean) / (s * math.sqrt((n * 7 - 49) / (n - 1)))
    normal = hs.gi_star(cells, y, 1, method="normal")
    assert normal.loc[i, "z"] == pytest.approx(z, abs=1e-9) and z == pytest.approx(4.1404, abs=1e-4)
    assert normal.loc[i, "p"] == pytest.approx(2 * norm.sf(z), rel=1e-9)
    assert normal.loc[i, "significant"] and normal.loc[i, "bin"] == 3
    perm = hs.gi_star(cells, y, 1, permutations=9999, seed=1)
    assert perm.loc[i, "p"] == 1.0
    ring = np.asarray(hs.neighbour_matrix(cells, 1)[i].todense()).ravel() > 0
    ring[i] = False
    assert np.allclose(perm.loc[ring, "p"], 2 * 6 / 126, atol=0.015)
    assert not perm["significant"].any() and (perm["bin"] == 0).all()


# ---------------------------------------------------------------- floor, Poisson, describe
def test_fdr_floor_message():
    assert inf.min_p("permutation", 9999) == pytest.approx(2e-4)
    assert inf.min_p("normal") == 0.0
    assert inf.fdr_floor_message(200, "permutation", 9999, 0.05) is None  # 200 x 2e-4 = 0.04
    msg = inf.fdr_floor_message(6136, "permutation", 9999, 0.05)  # 6136 x 2e-4 = 1.23
    assert "2.0e-04" in msg and "25 equally extreme cells" in msg
    assert inf.fdr_floor_message(10 ** 6, "normal", 9999, 0.05) is None


def test_poisson_tails_by_hand():
    mu = 14 * 0.0254
    # P(X >= 3) = 1 - e^-mu (1 + mu + mu^2 / 2)
    want = 1 - math.exp(-mu) * (1 + mu + mu * mu / 2)
    assert inf.poisson_upper_p(3, mu) == pytest.approx(want, rel=1e-9)
    assert 5e-3 < want < 6.5e-3
    # P(X <= 0) = e^-mu; two-sided is the smaller tail doubled
    assert inf.poisson_lower_p(0, mu) == pytest.approx(math.exp(-mu))
    assert inf.poisson_two_sided_p(3, mu) == pytest.approx(2 * want)
    assert inf.poisson_two_sided_p(0, mu) == 1.0  # P(X <= 0) = 0.70, doubled and capped
    assert inf.poisson_upper_p(0, mu) == 1.0 and inf.poisson_upper_p(4, 0.0) == 1.0
    np.testing.assert_allclose(inf.poisson_upper_p(np.array([1, 2]), 1.0),
                               [1 - math.exp(-1), 1 - 2 * math.exp(-1)])


def test_describe_names_method_and_sources():
    t = inf.describe("permutation", 9999, 12345)
    for part in ("Getis & Ord 1992", "Ord & Getis 1995", "Anselin 1995", "Benjamini & Hochberg (1995)",
                 "9,999 permutations", "seed 12345", "two-sided"):
        assert part in t
    assert "unseeded" in inf.describe("permutation", 999, None)
    assert "normal-approximation" in inf.describe("normal")
    assert "exact Poisson" in inf.describe("poisson")
    with pytest.raises(ValueError):
        inf.describe("magic")


# ---------------------------------------------------------------- settings and CLI
def test_settings_method_and_permutations():
    from intel import settings

    S = settings.SETTINGS
    assert S["hotspot_method"].default == "permutation" and S["hotspot_permutations"].default == 9999
    assert S["hotspot_method"].check("normal") == "normal"
    with pytest.raises(ValueError, match="permutation, normal"):
        S["hotspot_method"].check("bootstrap")
    assert S["hotspot_permutations"].check("99") == 99 and S["hotspot_permutations"].check(99999) == 99999
    for bad in (98, 100000, 999.5):
        with pytest.raises(ValueError, match="hotspot_permutations"):
            S["hotspot_permutations"].check(bad)


def test_cli_method_permutations_seed(tmp_path, monkeypatch):
    import pandas as pd
    from click.testing import CliRunner

    from intel.cli.hotspots import hotspots_cmd
    from tests.test_hotspots import make_store

    store = make_store(tmp_path / "s.duckdb")
    base = ["--db", store, "--res", "8", "--k", "1"]
    outs = []
    for i, extra in enumerate((["--permutations", "999", "--seed", "5"], ["--permutations", "999", "--seed", "5"],
                               ["--method", "normal"])):
        out = tmp_path / f"h{i}.csv"
        r = CliRunner().invoke(hotspots_cmd, base + extra + ["--out", str(out)])
        assert r.exit_code == 0, r.output
        outs.append((r.output, pd.read_csv(out).sort_values("h3").reset_index(drop=True)))
    assert "Method: " in outs[0][0] and "999 permutations, seed 5" in outs[0][0]
    pd.testing.assert_series_equal(outs[0][1]["p"], outs[1][1]["p"])  # seeded: same p-values
    assert "normal-approximation" in outs[2][0]
    assert not np.allclose(outs[0][1]["p"], outs[2][1]["p"])
    # the setting is the default when no option is given
    monkeypatch.setenv("INTEL_HOTSPOT_METHOD", "normal")
    r = CliRunner().invoke(hotspots_cmd, base + ["--out", str(tmp_path / "e.csv")])
    assert r.exit_code == 0 and "normal-approximation" in r.output
    r = CliRunner().invoke(hotspots_cmd, base + ["--permutations", "5", "--out", str(tmp_path / "f.csv")])
    assert r.exit_code == 2
