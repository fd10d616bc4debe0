"""The one H3 module: int <-> hex at the edges, the parent rule, and resolution bounds enforced
by every engine the same way (a resolution finer than the stored cells is refused)."""
from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest

from intel import backtest, config, corridors, emerging, h3cells, hexbin, hotspots, risk, store
from intel.borders import bypass_candidates


@pytest.mark.parametrize("res", range(0, 16))
def test_hex_round_trip_at_every_resolution_two_ways(res):
    rng = np.random.default_rng(res)
    want = [h3.latlng_to_cell(a, b, res) for a, b in zip(rng.uniform(-89, 89, 50), rng.uniform(-180, 180, 50))]
    cells = np.array([h3.str_to_int(h) for h in want], dtype="uint64")
    assert h3cells.to_hex(cells) == want
    assert list(h3cells.hex_array(cells)) == want
    assert np.array_equal(h3cells.from_hex(want), cells)
    assert (h3cells.resolution_of(cells) == res).all()


def test_zero_is_no_cell_and_other_integers_keep_their_hex():
    assert h3cells.to_hex([0]) == [None]
    assert pd.isna(h3cells.hex_array([0, 0x8928308280FFFFF])[0])
    assert h3cells.to_hex([1, 255, 2**64 - 1]) == ["1", "ff", "ffffffffffffffff"]
    assert h3cells.to_hex([]) == [] and len(h3cells.hex_array(np.zeros(0, "uint64"))) == 0


def test_parent_rule_refuses_a_parent_finer_than_the_stored_cells():
    assert h3cells.parent_sql("c", config.FINE_RES).startswith("((c & ")
    with pytest.raises(ValueError, match=f"0-{config.FINE_RES}"):
        h3cells.parent_sql("c", config.FINE_RES + 1)
    c7 = np.array([h3.str_to_int(h3.latlng_to_cell(43.65, -79.38, 7))], dtype="uint64")
    assert h3cells.to_hex(h3cells.parent(c7, 5)) == [h3.cell_to_parent(h3.latlng_to_cell(43.65, -79.38, 7), 5)]
    with pytest.raises(ValueError, match="coarser than its cell"):
        h3cells.parent(c7, 8)
    with pytest.raises(ValueError, match="0-15"):
        h3cells.parent_masks(16)
    assert h3cells.unused_bits(9) == 18 and h3cells.unused_bits(15) == 0


def test_edge_km_and_centres():
    assert h3cells.edge_km(9) == pytest.approx(h3.average_hexagon_edge_length(9, unit="km"))
    c = h3.latlng_to_cell(43.65, -79.38, 9)
    lat, lon = h3cells.cell_centres([h3.str_to_int(c)])
    assert (lat[0], lon[0]) == pytest.approx(h3.cell_to_latlng(c))
    ring = h3cells.cell_ring(c)
    assert ring[0] == ring[-1] and ring[0] == [h3.cell_to_boundary(c)[0][1], h3.cell_to_boundary(c)[0][0]]


@pytest.fixture(scope="module")
def empty_store():
    con = store.connect(":memory:")
    yield con
    con.close()


def _flows():
    return pd.DataFrame({"origin_lat": [0.0], "origin_lon": [0.0], "destination_lat": [0.0],
                         "destination_lon": [2.0], "weight": [1.0]})


@pytest.mark.parametrize("name, call, rng", [
    ("hotspots", lambda con: hotspots.hotspots_from_store(con, 10), "5-9"),
    ("hotspot cells", lambda con: hotspots.cell_values(con, 10), "5-9"),
    ("emerging", lambda con: emerging.emerging_from_store(con, 10), "5-9"),
    ("map", lambda con: hexbin.aggregate(con, 10), "3-9"),
    ("planner", lambda con: risk.risk_scores(con, 10), "3-9"),
    ("planner records", lambda con: risk.area_records(con, 10), "3-9"),
    ("backtest", lambda con: backtest.backtest(con, 10, "2019", "2020"), "3-9"),
    ("bypass", lambda con: bypass_candidates(con, res=10), "3-9"),
    ("corridors", lambda con: corridors.corridor_density(_flows(), 10), "2-6"),
])
def test_every_engine_refuses_resolution_10_naming_its_range(empty_store, name, call, rng):
    with pytest.raises(ValueError, match=f"resolution 10 is outside {rng}") as e:
        call(empty_store)
    if name != "corridors":
        assert f"binned at resolution {config.FINE_RES}" in str(e.value)


def test_flow_layout_itself_takes_any_h3_resolution():
    _, c = corridors.flow_cells([0], [0], [0], [0.01], 12)
    assert (h3cells.resolution_of(c) == 12).all()
    with pytest.raises(ValueError, match="0-15"):
        corridors.flow_cells([0], [0], [0], [1], 16)
