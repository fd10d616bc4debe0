"""The table output of ``bench/backtest_grid.py`` (issue 16's closing note): hits, hit rate in %
and PAI of the fitted ranking and both baselines, the tally of wins, losses and gains, and the
markdown form written by ``--table-out``. Runs on a hand-built long table, without a store."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def grid():
    spec = importlib.util.spec_from_file_location("bench_backtest_grid", ROOT / "bench" / "backtest_grid.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _long() -> pd.DataFrame:
    """Two combinations of 100 study cells and 200 test events: the fitted ranking beats counts in
    the first (60 against 50 hits) and loses 1.5 hits to them in the second; KDE is behind in both."""
    rows = []
    for pct, cells, hits in ((1.0, 1, {"fitted": 60.0, "counts": 50.0, "kde": 40.0}),
                             (5.0, 5, {"fitted": 98.5, "counts": 100.0, "kde": 90.0})):
        for m, h in hits.items():
            rows.append({"train": "2015:2019", "test": "2020:2023", "res": 9, "area_pct": pct, "method": m,
                         "choice": "previous-period counts" if m == "fitted" else "", "hits": h,
                         "hit_rate": h / 200, "pai": (h / 200) / (cells / 100), "cells": cells,
                         "study_cells": 100, "test_events": 200,
                         # the counts' hits at 5 % vary by 2.0 with the order of their ties; fitted is one such order
                         "tie_sd": 2.0 if (m, pct) == ("counts", 5.0) else 0.0, "counts_order": m == "fitted"})
    return pd.DataFrame(rows)


def test_tally_counts_wins_loss_and_gain(grid):
    counts, losses, kde = grid.tally(_long(), "fitted")
    assert counts.startswith("fitted >= counts: 1/2; largest loss 1.5 of 200 test events")
    assert counts.endswith("total gain +8.5 hits")
    assert losses == ("  of its 1 losses to the counts, 1 are a list ranked by the counts with their ties in another "
                      "order, and 1 are within the standard deviation of the counts' hits over the orders of their "
                      "tied cells (1.5 <= 2.0)")
    assert kde == "fitted >= kde: 2/2; no loss; total gain +28.5 hits"


def test_top_is_tie_order(grid):
    base = [5, 3, 3, 3, 1]
    assert grid.top_is_tie_order([9, 1, 2, 8, 0], base, 2)       # cell 0, then tied cell 3
    assert not grid.top_is_tie_order([9, 1, 2, 0, 8], base, 2)   # cell 4 is below the cut-off 3
    assert not grid.top_is_tie_order([0, 9, 8, 7, 1], base, 3)   # cell 0 (above the cut-off) left out


def test_text_table_has_hit_rate_and_pai(grid):
    text = grid.summarise(_long(), "fitted")
    first = [ln for ln in text.splitlines() if ln.lstrip().startswith("2015:2019")][0]
    # fitted: 60 hits, 30.0 %, PAI 0.30 / 0.01 = 30; counts 25.0 %, PAI 25; KDE 20.0 %, PAI 20
    assert "60.0  30.0%   30.00" in first and "25.0%   25.00" in first and "20.0%   20.00" in first
    second = [ln for ln in text.splitlines() if ln.lstrip().startswith("2015:2019")][1]
    assert second.endswith("< counts") and "< KDE" not in second


def test_markdown_table(grid):
    md = grid.markdown(_long(), "fitted")
    lines = md.splitlines()
    head = [ln for ln in lines if ln.startswith("| train")][0]
    assert "fitted hit %" in head and "counts PAI" in head and "KDE hits" in head
    rows = [ln for ln in lines if ln.startswith("| 2015:2019")]
    assert rows[0] == ("| 2015:2019 | 2020:2023 | 9 | 1 | 200 | 60.0 | 30.0 | 30.00 | 50.0 | 25.0 | 25.00 "
                       "| 40.0 | 20.0 | 20.00 | previous-period counts |")
    assert rows[1].split(" | ")[6:8] == ["49.2", "9.85"]
    assert "- fitted >= counts: 1/2" in md
