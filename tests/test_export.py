"""Plain JSON values of exported properties (hand-written answers)."""
import json
from datetime import date

import numpy as np
import pandas as pd

from intel.export import json_value


def test_json_value_kinds():
    cases = [
        (np.int64(7), 7), (np.float32(1.5), 1.5), (np.float64("nan"), None), (float("inf"), None),
        (np.bool_(True), True), (None, None), (pd.NaT, None), (pd.NA, None),
        (pd.Timestamp("2024-01-05"), "2024-01-05"), (pd.Timestamp("2024-01-05 13:30"), "2024-01-05T13:30:00"),
        (date(2023, 12, 31), "2023-12-31"), ("MEX-USA", "MEX-USA"), ([1, "a"], [1, "a"]),
        (np.array([1, 2]), [1, 2]), (3, 3),
    ]
    for v, want in cases:
        got = json_value(v)
        assert got == want and type(got) is type(want), (v, got)
        json.dumps(got, allow_nan=False)   # plain JSON: no NaN
