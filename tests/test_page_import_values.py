"""The value cases of issue 14 (tests/cases/real-world: N07a, N08, N09a, N16, N17) uploaded through the
Import page give the CLI's counts, as the C cases do in tests/test_page_import.py."""
from __future__ import annotations

import pytest

from tests.test_page_import import CASES, _cli_counts, _metric, _page, empty_store  # noqa: F401 (fixture)

VALUE_CASES = ["real-world/N07a_placeholders_namibia_NA.csv", "real-world/N08_single_column_lat_lon.csv",
               "real-world/N09a_mgrs_grid_references.csv", "real-world/N16_dot_thousands_counts_dot_decimal_coords.csv",
               "real-world/N17_date_forms_police_systems.csv"]
EXPECTED_ACCEPTED = {"N07a": 5, "N08": 6, "N09a": 6, "N16": 6, "N17": 12}


@pytest.mark.parametrize("name", VALUE_CASES)
def test_value_case_through_page_matches_cli(tmp_path, empty_store, name):
    at = _page(name.split("/")[-1], (CASES / name).read_bytes())
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    at.button(key="imp_go").click().run()
    assert not at.exception, at.exception
    rep = _cli_counts(tmp_path, name)
    got = {k: _metric(at, lab) for k, lab in (("rows_read", "Rows read"), ("accepted", "Accepted"),
                                               ("quarantined", "Quarantined"), ("rejected", "Rejected"))}
    assert got == {k: rep[k] for k in got}
    assert got["accepted"] == EXPECTED_ACCEPTED[name.split("/")[-1].split("_")[0]]
