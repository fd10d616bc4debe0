"""Target package for the field (issue 17 item 2): grid references, evidence, spacing, PDF text."""
from __future__ import annotations

import shutil
import subprocess

import h3
import numpy as np
import pandas as pd
import pytest

from intel import risk, target_package as tp
from intel.gridref import dms, mgrs_ref
from intel.render.labels import overlaps, place_labels


# ------------------------------------------------------------------ grid references

def test_dms_hand_computed():
    # 0.741389 deg = 44.48334' -> 44' and 0.48334 * 60 = 29.0"; 0.514389 deg = 30.86334' -> 30' 51.8"
    assert dms(43.741389, -79.514389) == "43°44'29.0\"N 79°30'51.8\"W"
    assert dms(-33.5, 151.25) == "33°30'00.0\"S 151°15'00.0\"E"
    # 10.99999 deg = 10° 59' 59.964": rounds to 60.0", carried into the minute and the degree
    assert dms(10.99999, 0.0) == "11°00'00.0\"N 0°00'00.0\"E"
    with pytest.raises(ValueError):
        dms(91.0, 0.0)


def test_mgrs_hand_computed():
    # on the equator at -75 deg, zone 18's central meridian: false easting 500 000 m, northing 0;
    # band N (0-8 deg N); zone 18 is in column set 6 (letters S..Z for 100-800 km: 500 km -> W);
    # even zones start their row letters at F: northing 0 -> F
    assert mgrs_ref(0.0, -75.0) == "18N WF 00000 00000"
    assert mgrs_ref(0.0, -75.0, precision=3) == "18N WF 000 000"
    ref = mgrs_ref(43.741389, -79.514389)
    assert ref.startswith("17T PJ ") and len(ref.split()) == 4   # Toronto: zone 17, band T


# ------------------------------------------------------------------ evidence

def _scores():
    # A (0, 0) 5 events; B 0.4 deg east (44.5 km, on the equator 111.32 km per degree), no event;
    # C 1.0 deg east, 2 events
    return pd.DataFrame({"cell": np.array([1, 2, 3], dtype="uint64"), "score": [0.9, 0.8, 0.5],
                         "events": [5, 0, 2], "latitude": [0.0, 0.0, 0.0], "longitude": [0.0, 0.4, 1.0]})


def test_zero_event_cell_is_left_out_by_default():
    t = risk.select_targets(_scores(), 3, 0.0)
    assert t["cell"].tolist() == [1, 3]
    assert t["evidence"].tolist() == ["5 events", "2 events"]
    assert t.attrs["no_evidence_left_out"] == 1


def test_zero_event_cell_flagged_as_neighbour_when_asked():
    t = risk.select_targets(_scores(), 3, 0.0, neighbours=True)
    assert t["cell"].tolist() == [1, 2, 3]
    # B is 44.5 km from A (rank 1) and 66.8 km from C (rank 3)
    assert t["evidence"].tolist() == ["5 events", "neighbour of rank 1 (44.5 km)", "2 events"]
    lone = _scores().assign(events=[0, 0, 0])
    assert risk.select_targets(lone, 3, 0.0)["cell"].tolist() == []
    assert set(risk.select_targets(lone, 3, 0.0, neighbours=True)["evidence"]) == {"no events in the period"}


# ------------------------------------------------------------------ spacing

def test_spacing_raised_to_the_cell_width_at_res5():
    c = h3.latlng_to_cell(31.5, -106.4, 5)       # El Paso
    ring = list(h3.grid_ring(c, 1))
    width = risk.cell_width_km([c])
    # H3's mean edge at res 5 is 9.854 km, a regular hexagon's width sqrt(3) x edge = 17.07 km; the
    # widest of the six centre-to-centre distances of a real cell is within 15 % of that
    assert 17.07 * 0.95 < width < 17.07 * 1.15
    used, note = risk.spacing_for(5, 5.0, [c])
    assert used == pytest.approx(np.ceil(width * 10) / 10) and used >= width
    assert "raised from 5 km" in note and "resolution-5 cell" in note
    assert risk.spacing_for(5, 30.0, [c]) == (30.0, None)
    assert risk.spacing_for(8, 5.0, [h3.latlng_to_cell(31.5, -106.4, 8)]) == (5.0, None)   # 0.9 km cells
    # the cell and its six neighbours, all with events: 5 km keeps neighbours, the raised spacing only one
    cells = [c] + ring
    ll = np.array([h3.cell_to_latlng(x) for x in cells])
    sc = pd.DataFrame({"h3": cells, "score": np.linspace(0.9, 0.3, 7), "events": 1,
                       "latitude": ll[:, 0], "longitude": ll[:, 1]})
    assert len(risk.select_targets(sc, 7, 5.0)) == 7
    assert risk.select_targets(sc, 7, used)["h3"].tolist() == [c]


# ------------------------------------------------------------------ labels

def test_labels_never_overlap():
    x, y = np.arange(10) * 2.0, np.zeros(10)       # ten points 2 units apart, labels 14 x 12
    assert overlaps(x, y, 14, 12, np.full(10, 11.0), np.full(10, 10.0)) > 0   # one fixed offset: a blob
    dx, dy, lead = place_labels(x, y, 14, 12)
    assert overlaps(x, y, 14, 12, dx, dy) == 0 and lead.any() and not lead[0]


def test_deck_labels_do_not_overlap_at_the_initial_zoom():
    from intel.render.hexagons import target_layers
    from intel.render.labels import mercator_px

    c = h3.latlng_to_cell(31.5, -106.4, 5)
    cells = [c] + list(h3.grid_ring(c, 1)) + list(h3.grid_ring(c, 2))[:3]
    t = _targets(cells)
    layers, view, _ = target_layers(t, t[["h3", "score"]])
    lab = [layer for layer in layers if layer.id == "target-ranks"][0]
    d = pd.DataFrame(lab.data)
    d = d[d["text"] == d["label"]]   # the ranks (the layer's other rows are the targets' marker glyphs)
    assert len(d) == len(t)
    px, py = mercator_px(d["latitude"], d["longitude"], view.zoom)
    w = [0.62 * 16 * len(s) + 8 for s in d["label"]]
    off = np.array(d["offset"].tolist())
    assert overlaps(px, py, w, 22, off[:, 0], off[:, 1]) == 0


# ------------------------------------------------------------------ PDF

def _targets(cells):
    from intel.gridref import references

    ll = np.array([h3.cell_to_latlng(x) for x in cells])
    n = len(cells)
    t = pd.DataFrame({"cell": np.arange(1, n + 1, dtype="uint64"), "rank": np.arange(1, n + 1), "h3": cells,
                      "latitude": ll[:, 0], "longitude": ll[:, 1]})
    refs = references(t["latitude"], t["longitude"])
    t["dms"], t["mgrs"] = refs["dms"], refs["mgrs"]
    t["score"] = np.linspace(0.8, 0.2, n)
    for comp in risk.COMPONENTS:
        t[f"{comp}_pts"] = t["score"] / len(risk.COMPONENTS)
        t[comp] = t["score"]
    t["counts_pts"] = t["decayed_pts"] = t["density_pts"] = 0.0   # ranked by the risk score alone
    t["risk_score"] = t["score"]
    t["events"] = [12] + [0] + [3] * (n - 2)
    t["evidence"] = ["12 events", "neighbour of rank 1 (17.1 km)"] + ["3 events"] * (n - 2)
    t["firearms"], t["recent"], t["gi_bin"], t["emerging_category"] = 4, 1.0, 3, "Intensifying Hot Spot"
    t["border_km"] = 12.5
    t["nearest_town"], t["town_country"], t["town_population"], t["town_km"] = "Ciudad Juárez", "MX", 1_500_000, 3.2
    t["nearest_crossing"] = "Bridge of the Americas International Port of Entry"
    t["crossing_source"], t["crossing_km"] = "CBP", 4.25
    t["crossing_note"] = None
    return t[["cell"] + risk.TARGET_COLUMNS]


def test_pdf_map_marks_every_target_in_its_score_colour_with_its_rank_beside_it():
    """As on the Planner's map (user trial, KAFO): at a wide extent the cells are smaller than a dot, so
    each target has a marker of a fixed size in its cell's score colour, and no rank label covers a marker."""
    import matplotlib.pyplot as plt

    c = h3.latlng_to_cell(12.6, -8.0, 6)
    far = h3.latlng_to_cell(14.5, -4.2, 6)            # Bamako and Mopti: about 450 km apart
    t = _targets([c] + list(h3.grid_ring(c, 2))[:4] + [far])
    scores = t[["h3", "score", "latitude", "longitude"]].copy()
    scores.attrs.update(date_from="2024-01-01", date_to="2025-01-01")
    p = risk.Plan(t, scores, None, 6, 4, 2.0, [], ["Test data."])
    fig = tp._map_page(p, "TEST")
    ax = fig.axes[0]
    fig.canvas.draw()
    cells = [pt for pt in ax.patches if pt.get_zorder() == 3]
    marks = [ln for ln in ax.lines if ln.get_marker() == "o"]
    assert len(marks) == len(t) == len(cells)
    for m, cell in zip(marks, cells):
        assert m.get_markersize() == 2 * tp.MARKER_PT
        assert np.allclose(m.get_markerfacecolor()[:3], cell.get_facecolor()[:3])   # the cell's score colour
    ranks = [a for a in ax.texts if a.get_text().isdigit()]
    for a in ranks:
        box = a.get_bbox_patch().get_window_extent()
        for m in marks:
            x, y = ax.transData.transform((m.get_xdata()[0], m.get_ydata()[0]))
            r = tp.MARKER_PT * fig.dpi / 72.0
            assert not (box.x0 < x + r and x - r < box.x1 and box.y0 < y + r and y - r < box.y1), a.get_text()
    plt.close(fig)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_text_has_coordinates_and_whole_headers(tmp_path):
    c = h3.latlng_to_cell(31.76, -106.45, 5)
    t = _targets([c] + list(h3.grid_ring(c, 1))[:3])
    scores = t[["h3", "score", "latitude", "longitude"]].copy()
    scores.attrs.update(date_from="2024-01-01", date_to="2025-01-01")
    p = risk.Plan(t, scores, None, 5, 4, 17.1, ["Minimum spacing raised from 5 km to 17.1 km."], ["Test data."])
    pdf = tmp_path / "t.pdf"
    pdf.write_bytes(tp.to_pdf(p, marking="TEST MARKING"))
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    words = set(text.split())
    for r in t.itertuples():
        assert f"{r.latitude:.5f}" in words and f"{r.longitude:.5f}" in words
        assert r.dms in text and r.mgrs in text and r.h3 in words
    for head in list(risk.COMPONENTS) + ["latitude", "longitude", "DMS", "MGRS", "evidence", "score", "events",
                                         "firearms", "crossing", "border"]:
        assert head in words, head
    assert not {"intens", "hotspo", "emergi", "corrid"} & words          # the old clipped labels
    for w in ("Bridge", "Americas", "International", "Port", "Entry", "Juárez", "neighbour", "rank"):
        assert w in words, w                                             # wrapped, never shortened
    assert "..." not in text
    # every word lies on the page (A4 landscape, 841.9 pt wide): nothing runs off the edge
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    xmax = [float(v) for v in pd.Series(html.split("xMax=\"")[1:]).str.split("\"").str[0]]
    assert xmax and max(xmax) <= 841.9


def test_pdf_map_has_lake_and_place_names_clear_of_the_targets():
    """Issue 17: the target map draws Lake Ontario as water and names places, and no place name
    covers a target or its rank label (rank labels would otherwise hide a name under them)."""
    from matplotlib.image import imread

    from intel.render import palettes

    c = h3.latlng_to_cell(43.65, -79.38, 7)
    t = _targets([c] + list(h3.grid_ring(c, 2))[:4] + [h3.latlng_to_cell(43.25, -79.87, 7)])
    scores = t[["h3", "score", "latitude", "longitude"]].copy()
    scores.attrs.update(date_from="2024-01-01", date_to="2025-01-01")
    p = risk.Plan(t, scores, None, 7, 4, 2.0, [], ["Test data."])
    fig = tp._map_page(p, "TEST")
    ax = fig.axes[0]
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., :3] / 255.0
    x, y = ax.transData.transform((-79.5, 43.4))                  # Lake Ontario, off Mississauga
    px = np.median(img[int(img.shape[0] - y) - 2:int(img.shape[0] - y) + 3, int(x) - 2:int(x) + 3].reshape(-1, 3), 0)
    assert np.abs(px - np.array(palettes.SEA_COLOUR[:3]) / 255.0).max() < 0.02
    ranks = [a for a in ax.texts if a.get_text().isdigit()]
    places = [a for a in ax.texts if not a.get_text().isdigit()]
    assert len(ranks) == len(t) and len(places) >= 3
    names = {a.get_text() for a in places}
    assert "Hamilton" not in names                                   # its label would sit on target 6
    pts = ax.transData.transform(t[["longitude", "latitude"]].to_numpy(float))
    for a in places:
        b = a.get_window_extent()
        assert not any(b.overlaps(r.get_window_extent()) for r in ranks), a.get_text()
        assert not any(b.contains(x, y) for x, y in pts), a.get_text()
    import matplotlib.pyplot as plt

    plt.close(fig)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_marking_comes_from_the_records(tmp_path):
    """Issue 19: the target package PDF printed the setting's marking whatever records it held.
    Given the user's cursor, every page says the releasability of the records of the plan's
    period after the classification line (a BFA reader of NOFORN records: NOFORN)."""
    from intel import auth, store
    from tests.test_releasability import BFA, MLI, build_store

    db = tmp_path / "m.duckdb"
    build_store(db)
    c = h3.latlng_to_cell(31.76, -106.45, 5)
    t = _targets([c] + list(h3.grid_ring(c, 1))[:2])
    scores = t[["h3", "score", "latitude", "longitude"]].copy()
    scores.attrs.update(date_from="2024-01-01", date_to="2025-01-01")
    p = risk.Plan(t, scores, None, 5, 3, 17.1, [], ["Test data."])
    con = store.connect(db, read_only=True)
    try:
        for user, want in ((BFA, "NOFORN"), (MLI, "REL TO MLI")):
            pdf = tmp_path / f"{user.name}.pdf"
            pdf.write_bytes(tp.to_pdf(p, marking="RESTRICTED", con=auth.apply_visibility(store.cursor(con), user)))
            text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True,
                                  text=True, check=True).stdout
            assert text.count(f"RESTRICTED // {want}") >= 2, (user.name, text[:200])
    finally:
        con.close()


def test_provenance_says_when_a_batch_holds_no_dated_record(tmp_path):
    """A batch of counts per area (Rio de Janeiro's precincts) has no events: its line printed
    'dates None to None'."""
    from intel import store
    from intel.risk.targets import provenance_lines

    con = store.connect(tmp_path / "s.duckdb")
    for b, src, name in [(1, "a", "a.csv"), (2, "rio", "rio.csv")]:
        con.execute("INSERT INTO batches VALUES (?, ?, ?, 'x', NULL, '2024-05-01 10:30:00', NULL, ?, ?, 0, 0, "
                    "NULL, NULL, NULL)", [b, src, name, 2 if b == 1 else 7, 2 if b == 1 else 7])
    con.execute("INSERT INTO events (event_id, batch_id, source, incident_key, status, kind, event_date) VALUES "
                "(1, 1, 'a', '1', 'accepted', 'seizure', '2023-02-01'), "
                "(2, 1, 'a', '2', 'accepted', 'seizure', '2024-03-05')")
    lines = provenance_lines(con)
    a = [x for x in lines if x.startswith("a: ")][0]
    rio = [x for x in lines if x.startswith("rio: ")][0]
    assert a == "a: a.csv, imported 2024-05-01, 2 rows accepted, dates 2023-02-01 to 2024-03-05."
    assert rio.startswith("rio: rio.csv, imported 2024-05-01, 7 rows accepted, no dated record")
    assert not any("None" in x for x in lines)


def test_pdf_map_colours_targets_in_the_planner_pages_classes_with_its_legend():
    """User trial (Colombia 2019 Q1): ranks 9 and 10, score 0.139 of a top of about 1, were pale yellow on
    the Planner page (its legend: "score 0.00-0.17") but orange in the PDF, whose own colour scale started
    at 35 % of YlOrRd. The PDF now uses the page's six equal classes of [0, top] and draws their legend."""
    import matplotlib.pyplot as plt

    from intel.render import hexagons, palettes

    c = h3.latlng_to_cell(4.6, -74.1, 5)
    far = h3.latlng_to_cell(6.2, -75.6, 5)
    t = _targets([c, far, h3.latlng_to_cell(3.4, -76.5, 5)])
    t["score"] = [1.0, 0.139, 0.55]
    scores = t[["h3", "score", "latitude", "longitude"]].copy()
    scores.attrs.update(date_from="2019-01-01", date_to="2019-04-01")
    p = risk.Plan(t, scores, None, 5, 3, 2.0, [], ["Test data."])
    fig = tp._map_page(p, "TEST")
    ax = fig.axes[0]
    marks = [ln for ln in ax.lines if ln.get_marker() == "o"]
    cells = [pt for pt in ax.patches if pt.get_zorder() == 3]
    expected = [palettes.YLORRD[5], palettes.YLORRD[0], palettes.YLORRD[3]]   # 1.0, 0.139 (< 1/6), 0.55 (3/6-4/6)
    for m, cell, rgb, s in zip(marks, cells, expected, t["score"]):
        assert tuple(palettes.score_colour(s, 1.0)[:3]) == rgb                  # the page's colour of that score
        assert np.allclose(m.get_markerfacecolor()[:3], np.array(rgb) / 255)
        assert np.allclose(cell.get_facecolor()[:3], np.array(rgb) / 255)
    leg = ax.get_legend()
    assert leg is not None and leg.get_title().get_text() == "Target score"
    assert [x.get_text() for x in leg.get_texts()] == [text for _, text in hexagons.target_legend(1.0)]
    assert [tuple(np.round(np.array(h.get_facecolor()[:3]) * 255).astype(int)) for h in leg.legend_handles] == \
        [rgb for rgb, _ in hexagons.target_legend(1.0)]
    assert leg.get_texts()[-1].get_text() == "score 0.00-0.17"
    plt.close(fig)
