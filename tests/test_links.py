"""Linked seizures on hand-built events: serial keys seen in two incidents are linked, never merged."""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from intel import corridors as C  # noqa: E402
from intel import links as L  # noqa: E402
from intel import store  # noqa: E402
from intel.render.links import links_layer  # noqa: E402

# (event_id, incident, date, lat, lon, place, country, serial_key, status)
EVENTS = [
    (1, "I1", "2020-01-10", 43.65, -79.38, "Toronto", "CAN", "ABC123", "accepted"),
    (2, "I2", "2020-03-01", 42.89, -78.88, "Buffalo", "USA", "ABC123", "accepted"),
    (3, "I3", "2020-06-01", 40.71, -74.00, "New York", "USA", "ABC123", "accepted"),
    (4, "I4", "2021-02-01", 33.75, -84.39, "Atlanta", "USA", "XYZ999", "accepted"),
    (5, "I4", "2021-02-01", 33.75, -84.39, "Atlanta", "USA", "XYZ999", "accepted"),  # same incident twice
    (6, "I5", "2021-05-01", 25.76, -80.19, "Miami", "USA", "XYZ999", "accepted"),
    (7, "I6", "2021-05-02", 25.76, -80.19, "Miami", "USA", "12", "accepted"),  # too short to link
    (8, "I7", "2021-05-03", 30.33, -81.66, "Jacksonville", "USA", "12", "accepted"),
    (9, "I8", "2021-06-01", 29.76, -95.37, "Houston", "USA", "QQQ777", "quarantined"),  # not accepted
    (10, "I9", "2021-07-01", 29.42, -98.49, "San Antonio", "USA", "QQQ777", "accepted"),
    (11, "I10", "2021-08-01", None, None, None, "USA", "NOPOS1", "accepted"),
    (12, "I11", "2021-09-01", 32.78, -96.80, "Dallas", "USA", "NOPOS1", "accepted"),
]


def make_store(extra=()):
    con = store.connect(":memory:")
    for e in [*EVENTS, *extra]:
        eid, inc, d, lat, lon, place, iso, key, status = e
        con.execute(
            """INSERT INTO events (event_id, batch_id, source, incident_key, status, kind, event_date, latitude,
                                   longitude, location_name, country_iso3, serial_key, firearms)
               VALUES (?, 1, 'test', ?, ?, 'seizure', ?, ?, ?, ?, ?, ?, 1)""",
            [eid, inc, status, d, lat, lon, place, iso, key])
    return con


def test_links_chain_incidents_in_time_order():
    con = make_store()
    e = L.seizure_links(con)
    pairs = list(zip(e["serial_key"], e["incident_a"], e["incident_b"]))
    assert pairs == [("ABC123", "I1", "I2"), ("ABC123", "I2", "I3"), ("NOPOS1", "I10", "I11"),
                     ("XYZ999", "I4", "I5")]
    abc = e[e["serial_key"] == "ABC123"]
    assert abc["days"].tolist() == [51, 92]
    # Toronto -> Buffalo is about 90 km on the sphere
    assert 80 < abc["km"].iloc[0] < 100
    assert pd.isna(e.loc[e["serial_key"] == "NOPOS1", "km"].iloc[0])


def test_records_are_linked_not_merged():
    con = make_store()
    L.seizure_links(con)
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == len(EVENTS)


def test_connected_groups():
    con = make_store()
    g = L.link_groups(L.seizure_links(con))
    assert g["incidents"].tolist() == [3, 2, 2]
    first = g.iloc[0]
    assert first["group"] == 1 and first["incident_keys"] == "I1, I2, I3" and first["links"] == 2
    assert first["countries"] == "CAN, USA" and first["places"] == "Buffalo, New York, Toronto"
    # a second firearm seen in New York and Atlanta joins the two groups
    con2 = make_store([(20, "I3", "2020-06-01", 40.71, -74.0, "New York", "USA", "LINK42", "accepted"),
                       (21, "I4", "2021-02-01", 33.75, -84.39, "Atlanta", "USA", "LINK42", "accepted")])
    g2 = L.link_groups(L.seizure_links(con2))
    assert g2["incidents"].tolist() == [5, 2]
    assert g2.iloc[0]["serial_keys"] == 3
    assert L.group_of(L.seizure_links(con2))["I5"] == 1


def test_period_filter_on_the_later_seizure():
    con = make_store()
    e = L.seizure_links(con, "2020-01-01", "2021-01-01")
    assert set(e["serial_key"]) == {"ABC123"}


def test_reseizure_flows_and_layer():
    con = make_store()
    f = C.reseizure_flows(con)
    assert f["flow_type"].unique().tolist() == ["re-seizure"]
    assert list(zip(f["origin_name"], f["destination_name"])) == [("Toronto", "Buffalo"), ("Buffalo", "New York"),
                                                                  ("Atlanta", "Miami")]
    assert (f["weight"] == 1.0).all()
    assert f["period_start"].iloc[0] == pd.Timestamp("2020-03-01")
    all_f = C.query_flows(con)
    assert len(all_f) == 3
    layer = links_layer(L.seizure_links(con))
    assert layer.type == "LineLayer" and len(layer.data) == 3


def test_empty_store_has_no_links():
    con = store.connect(":memory:")
    assert L.seizure_links(con).empty
    assert L.link_groups(L.seizure_links(con)).empty
    assert C.reseizure_flows(con).empty


def test_event_flows_between_countries():
    con = store.connect(":memory:")
    rows = [(1, "A", "2021-03-01", "USA", "MEX", 3), (2, "B", "2021-04-01", "USA", "MEX", 2),
            (3, "C", "2022-01-05", "USA", "CAN", 0), (4, "D", "2022-01-06", None, "CAN", 1)]
    for eid, inc, d, o, dst, n in rows:
        con.execute("""INSERT INTO events (event_id, batch_id, source, incident_key, status, kind, event_date,
                                           origin_iso3, destination_iso3, firearms)
                       VALUES (?, 1, 'agency', ?, 'accepted', 'seizure', ?, ?, ?, ?)""", [eid, inc, d, o, dst, n])
    f = C.event_flows(con)
    got = {(r.origin, r.destination, r.period_start.year): r.weight for r in f.itertuples()}
    assert got == {("USA", "MEX", 2021): 5.0, ("USA", "CAN", 2022): 1.0}
    assert f["origin_lat"].notna().all() and f["flow_type"].eq("od").all()


@pytest.mark.parametrize("short", ["", "  ", "X"])
def test_generic_keys_do_not_link(short):
    con = store.connect(":memory:")
    for eid, inc in ((1, "A"), (2, "B")):
        con.execute("""INSERT INTO events (event_id, batch_id, source, incident_key, status, kind, serial_key)
                       VALUES (?, 1, 't', ?, 'accepted', 'seizure', ?)""", [eid, inc, short])
    assert L.seizure_links(con).empty
