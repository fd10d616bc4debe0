"""The marking of an export is that of the records it was built from (issue 17, item 4).

The store of ``test_export_marking``: batch 1 holds 12 records marked ``REL TO BFA`` dated 2023,
batch 2 twelve unrestricted records dated 2024, all in Canada. Here a third batch adds rows that
are not events: a stored flow and a month of counts per area in Brazil, marked ``REL TO MLI``.
Before the fix, the CLI's corridors export and the pages' flows, crossings, registers and UNODC
exports were marked by the period's events only (or by everything the user sees): a flow of a
``REL TO MLI`` batch left as ``UNRESTRICTED``, public UNODC figures as ``REL TO BFA``.
"""
from __future__ import annotations

import pytest

from intel import auth, corridors, store, trends
from intel.export import records_marking
from intel.hexbin import Filters

from test_export_marking import build_two_years

UNRESTRICTED = auth.UNRESTRICTED_MARKING


@pytest.fixture
def con(tmp_path):
    db = tmp_path / "scope.duckdb"
    build_two_years(db)
    c = store.connect(db)
    c.execute("INSERT INTO batches (batch_id, source, file_name, sha256, imported_at, imported_by, rows_read, "
              "rows_accepted, rows_quarantined, rows_rejected, releasability) "
              "VALUES (3, 'other', 'b3.csv', 's3', now(), 'ama', 2, 2, 0, 0, 'REL TO MLI')")
    c.execute("INSERT INTO flows (flow_id, source, flow_type, origin, origin_name, origin_lat, origin_lon, destination, "
              "destination_name, destination_lat, destination_lon, weight, period_start, period_end, batch_id) VALUES "
              "(7, 'other', 'od', 'USA', 'United States', 40, -100, 'CAN', 'Canada', 45, -75, 3, "
              "'2024-01-01', '2025-01-01', 3)")
    c.execute("INSERT INTO areas (source, area_id, name, country_iso3, batch_id) VALUES ('rj', '5', 'Area 5', 'BRA', 3)")
    c.execute("INSERT INTO area_counts (source, area_id, month, measure, value, status, batch_id) "
              "VALUES ('rj', '5', '2024-01-01', 'arma_fogo_total', 4, 'recorded', 3)")
    yield c
    c.close()


def test_records_marking_combines_events_and_batches(con):
    assert records_marking(con, Filters(date_from="2024-01-01", date_to="2025-01-01")) == UNRESTRICTED
    assert records_marking(con, Filters(date_from="2023-01-01", date_to="2024-01-01")) == "REL TO BFA"
    # rows of batch 3 beside the unrestricted 2024 events: the batch's marking
    assert records_marking(con, Filters(date_from="2024-01-01", date_to="2025-01-01"), [3, None]) == "REL TO MLI"
    # no event at all in the export: only the batches count; nothing restricted -> unrestricted
    assert records_marking(con, None, [3], events=False) == "REL TO MLI"
    assert records_marking(con, None, (), events=False) == UNRESTRICTED
    # REL TO BFA and REL TO MLI together: no country may see both
    assert records_marking(con, Filters(date_from="2023-01-01", date_to="2024-01-01"), [3]).startswith("NOT RELEASABLE")


def test_flows_marking_takes_the_stored_flows_batches(con):
    flows = corridors.query_flows(con, "2024-01-01", "2025-01-01")
    stored = flows[flows["flow_id"] > 0]
    assert list(stored["flow_id"]) == [7]
    assert corridors.flows_marking(con, flows, "2024-01-01", "2025-01-01") == "REL TO MLI"
    # the derived flows alone (negative ids, not stored): the period's events only
    derived = flows[flows["flow_id"] < 0]
    assert corridors.flows_marking(con, derived, "2024-01-01", "2025-01-01") == UNRESTRICTED
    assert corridors.flows_marking(con, derived, "2023-01-01", "2024-01-01") == "REL TO BFA"


def test_register_marking_follows_the_countries_of_the_table(con):
    assert trends.register_marking(con, ["CAN"]) == "REL TO BFA"        # the 2023 records in Canada
    assert trends.register_marking(con, ["BRA"]) == "REL TO MLI"        # the counts per area in Brazil
    assert trends.register_marking(con, ["MLI"]) == UNRESTRICTED        # no register: an empty table
    assert trends.register_marking(con, []) == UNRESTRICTED
    # and the table it marks holds exactly those registers
    reg = trends.register_totals(con, ["BRA"])
    assert list(reg["kind"]) == ["counts per area"] and float(reg["firearms"].iloc[0]) == 4.0


def test_cli_marking_still_covers_the_period_and_batches(con):
    from intel.cli.options import cli_marking

    assert cli_marking(con, "2024-01-01", "2025-01-01") == UNRESTRICTED
    assert cli_marking(con, "2024-01-01", "2025-01-01", batch_ids=[3]) == "REL TO MLI"
    assert cli_marking(con, "2023-01-01", "2025-01-01") == "REL TO BFA"
