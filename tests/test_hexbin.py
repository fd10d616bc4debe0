"""Binning and aggregation with hand-computed cells."""
import h3
import numpy as np
import pandas as pd
import pytest

from intel import config, h3cells, hexbin, store


def test_bin_points_matches_h3py_and_keeps_lat_lon_order():
    # Bogota (case C01-1): res 7 cell 8766e4288ffffff
    cells = hexbin.bin_points(np.array([4.7110, np.nan]), np.array([-74.0721, 0.0]), 7)
    assert h3cells.to_hex(cells[:1]) == ["8766e4288ffffff"]
    assert cells[1] == 0
    lat, lng = h3.cell_to_latlng("8766e4288ffffff")
    assert (round(lat, 4), round(lng, 4)) == (4.7076, -74.0750)


def test_bin_points_refuses_out_of_range():
    with pytest.raises(ValueError):
        hexbin.bin_points(np.array([-99.1332]), np.array([19.4326]), 7)


def test_usable_precisions():
    assert hexbin.usable_precisions(9) == ["exact", "intersection"]
    assert hexbin.usable_precisions(5) == ["exact", "intersection", "town"]
    assert "admin-1" not in hexbin.usable_precisions(3)


def _insert(con, rows):
    cols = ["event_id", "batch_id", "source", "incident_key", "status", "kind", "event_date", "latitude",
            "longitude", "location_precision", "country_iso3", "category", "firearms", "h3_cell"]
    df = pd.DataFrame(rows, columns=cols)
    df["h3_cell"] = pd.array([r[-1] for r in rows], dtype="UInt64")  # no float round trip of 64-bit ids
    con.register("r", df)
    con.execute(f"INSERT INTO events ({', '.join(cols)}) SELECT {', '.join(cols)} FROM r")


def test_aggregate_counts_nest_and_respect_precision(tmp_path):
    con = store.connect(tmp_path / "a.duckdb")
    pts = [(43.6532, -79.3832), (43.6533, -79.3831), (43.7000, -79.4000)]
    cells = hexbin.bin_points(np.array([p[0] for p in pts]), np.array([p[1] for p in pts]), config.FINE_RES)
    rows = [
        (1, 1, "t", "A", "accepted", "seizure", "2024-01-05", *pts[0], "exact", "CAN", "firearm", 2, int(cells[0])),
        (2, 1, "t", "A", "accepted", "seizure", "2024-01-05", *pts[1], "exact", "CAN", "firearm", 1, int(cells[1])),
        (3, 1, "t", "B", "accepted", "seizure", "2024-02-01", *pts[2], "exact", "CAN", "ammunition", 0, int(cells[2])),
        (4, 1, "t", "C", "accepted", "seizure", "2024-02-01", 43.65, -79.38, "town", "CAN", "firearm", 5,
         int(hexbin.bin_points(np.array([43.65]), np.array([-79.38]), config.FINE_RES)[0])),
        (5, 1, "t", "D", "quarantined", "seizure", "2024-02-01", None, None, None, "CAN", "firearm", 1, None),
    ]
    _insert(con, rows)
    a9 = hexbin.aggregate(con, 9)
    # records 1 and 2 are one incident (A) in one res-9 cell: 1 event, 3 firearms; the town record is left out
    top = a9[a9["h3"] == h3cells.to_hex(cells[:1])[0]].iloc[0]
    assert (top["events"], top["firearms"], top["records"]) == (1, 3, 2)
    assert a9["records"].sum() == 3
    lo = hexbin.left_out(con, 9)
    assert lo["records"].sum() == 1
    # at res 5 the town record is usable: all 4 accepted records binned; counts nest
    a5 = hexbin.aggregate(con, 5)
    assert a5["records"].sum() == 4
    assert hexbin.left_out(con, 5)["records"].sum() == 0
    # period filter is half-open [from, to)
    f = hexbin.Filters(date_from="2024-01-05", date_to="2024-02-01")
    assert hexbin.aggregate(con, 9, f)["records"].sum() == 2


def test_aggregate_labels_and_incidents_hand_computed(tmp_path):
    """One res-9 cell: incident A has three rows (one event), B, C, D one row each (three
    events); labels are firearm type, else category, else kind; the top three by count, ties by
    label: pistol 2, rifle 2, then ammunition/revolver/shotgun 1 each -> ammunition."""
    con = store.connect(tmp_path / "l.duckdb")
    lat, lon = 43.6532, -79.3832
    c = int(hexbin.bin_points(np.array([lat]), np.array([lon]), config.FINE_RES)[0])
    rows = [  # event_id, key, firearm_type, category
        (1, "A", "pistol", "firearm"), (2, "A", "rifle", "firearm"), (3, "A", None, "ammunition"),
        (4, "B", "pistol", "firearm"), (5, "C", "rifle", "firearm"), (6, "D", "revolver", "firearm"),
        (7, "E", "shotgun", "firearm"),
    ]
    df = pd.DataFrame({"event_id": [r[0] for r in rows], "incident_key": [r[1] for r in rows],
                       "firearm_type": [r[2] for r in rows], "category": [r[3] for r in rows]})
    df["h3_cell"] = pd.array([c] * len(rows), dtype="UInt64")
    con.register("r", df)
    con.execute("""INSERT INTO events (event_id, batch_id, source, incident_key, status, kind, event_date, latitude,
                   longitude, location_precision, firearm_type, category, firearms, h3_cell)
                   SELECT event_id, 1, 't', incident_key, 'accepted', 'seizure', DATE '2024-01-05', ?, ?, 'exact',
                   firearm_type, category, 1, h3_cell FROM r""", [lat, lon])
    store.refresh_incidents(con)
    for res in (9, 7):
        a = hexbin.aggregate(con, res)
        assert len(a) == 1
        row = a.iloc[0]
        assert (row["events"], row["records"], row["firearms"]) == (5, 7, 7)
        assert row["top_categories"] == "pistol 2, rifle 2, ammunition 1"
