"""The briefing pack: a PDF is produced for the real store and for a hand-built one; its pages,
rendered with pdftoppm, are not blank and carry the marking at top and bottom (pdftotext)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from intel import briefing
from intel.cli.briefing import briefing_cmd
from intel.store import connect
from tests.test_trends import make_store

needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
                                   reason="poppler-utils (pdftoppm, pdftotext) not installed")


def _pages(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(l.split()[-1] for l in out.splitlines() if l.startswith("Pages:")))


def check_pdf(pdf: Path, marking: str, tmp: Path, expected_pages: int = 6) -> None:
    """Every page: not blank (pixel variance) and the marking printed twice (top and bottom)."""
    from matplotlib.image import imread

    n = _pages(pdf)
    assert n == expected_pages
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp / "page")], check=True)
    pngs = sorted(tmp.glob("page*.png"))
    assert len(pngs) == n
    for i, p in enumerate(pngs, 1):
        img = imread(p)[..., :3]
        grey = img.mean(axis=2)
        assert grey.std() > 0.03, f"page {i} looks blank"
        assert (grey < 0.9).mean() > 0.005, f"page {i} has almost no ink"
        text = subprocess.run(["pdftotext", "-layout", "-f", str(i), "-l", str(i), str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout
        lines = [l.strip() for l in text.splitlines() if l.strip()]
        assert text.count(marking) >= 2, f"page {i} lacks the marking twice"
        assert marking in lines[0], f"page {i}: marking not on the first line"
        assert any(marking in l for l in lines[-2:]), f"page {i}: marking not on the last lines"


@pytest.fixture(scope="module")
def hand_store(tmp_path_factory):
    return make_store(tmp_path_factory.mktemp("brief") / "hand.duckdb")


@needs_poppler
@pytest.mark.slow   # 51 s in the fast tier on the shared 2 cores (load ~35): see the tier timing of issue 13
def test_briefing_hand_store(hand_store, tmp_path):
    con = connect(hand_store, read_only=True)
    b = briefing.make_briefing(con, marking="RESTRICTED - TEST $5 price")
    con.close()
    assert b.pdf.startswith(b"%PDF") and b.pages == 6
    assert set(b.pngs) == {"summary", "map", "trends", "hotspots", "country_context", "methods"}
    assert all(v.startswith(b"\x89PNG") for v in b.pngs.values())
    assert any("not computable" in n for n in b.notes)  # no located events: hot spots say so
    files = b.write(tmp_path / "out" / "hand.pdf")
    assert files[0].exists() and all(f.exists() for f in files) and len(files) == 7
    check_pdf(files[0], "RESTRICTED - TEST $5 price", tmp_path)
    text = subprocess.run(["pdftotext", str(files[0]), "-"], capture_output=True, text=True).stdout
    assert "more than a year before" in text  # the KPI sentence of the hand store
    assert "no data in this source" in text  # Mali
    import zipfile, io

    assert len(zipfile.ZipFile(io.BytesIO(b.png_zip())).namelist()) == 6


@needs_poppler
def test_briefing_real_store_cli(real_store, tmp_path, monkeypatch):
    # this test pins normal-approximation bins (99 % confidence); with the default 9,999
    # permutations the smallest p-value (2e-4) keeps FDR from reaching 99 % (tests/test_inference.py)
    monkeypatch.setenv("INTEL_HOTSPOT_METHOD", "normal")
    out = tmp_path / "real" / "briefing.pdf"
    r = CliRunner().invoke(briefing_cmd, ["--db", str(real_store), "--period", "2023-06-01:2025-06-01",
                                          "--out", str(out), "--marking", "RESTRICTED"])
    assert r.exit_code == 0, r.output
    assert "6 pages" in r.output and "fewer than a year before" in r.output
    assert out.exists() and (tmp_path / "real" / "briefing_map.png").exists()
    check_pdf(out, "RESTRICTED", tmp_path)
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "Hot spot - 99% confidence" in text  # Toronto hot spots are computable
    assert "cbp_weapons_seizures" in text and "toronto_tps_shootings" in text


def test_cli_plain_failures(tmp_path, hand_store):
    r = CliRunner().invoke(briefing_cmd, ["--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "x.pdf")])
    assert r.exit_code == 2 and "does not exist" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(briefing_cmd, ["--db", hand_store, "--period", "2025-01-01:2024-01-01",
                                          "--out", str(tmp_path / "x.pdf")])
    assert r.exit_code == 2 and "ends before it starts" in r.output
    r = CliRunner().invoke(briefing_cmd, ["--db", hand_store, "--period", "last week", "--out", str(tmp_path / "x.pdf")])
    assert r.exit_code == 2 and "cannot read the period" in r.output
    r = CliRunner().invoke(briefing_cmd, ["--db", hand_store, "--source", "nope", "--out", str(tmp_path / "x.pdf")])
    assert r.exit_code == 2 and "unknown source nope" in r.output


def test_plain_escapes_dollar():
    assert briefing.plain("cost $5 and $6") == r"cost \$5 and \$6"
    assert briefing.plain(None) == ""


def test_provenance_display_fits_the_page():
    import pandas as pd

    from intel.briefing import provenance_display

    prov = pd.DataFrame({"source": ["t"], "file_name": ["toronto_shootings_firearm_discharges_2004_2024.csv"],
                         "imported": ["2026-12-05 21:36:11.123"], "rows_read": [6295], "rows_accepted": [6233.0],
                         "rows_quarantined": [62], "events": ["-"]})
    d = provenance_display(prov)
    assert list(d.columns) == ["source", "file", "imported", "read", "accepted", "quarant.", "events"]
    row = d.iloc[0]
    assert row["file"] == "toronto_shootings_firearm_disch..." and len(row["file"]) == 34
    assert row["imported"] == "2026-12-05" and row["read"] == "6,295" and row["accepted"] == "6,233"
    assert row["events"] == "-"


def _pixel(fig, ax, lon: float, lat: float, half: int = 2):
    """Median RGB (0-1) of the (2 half + 1)^2 rendered pixels around (lon, lat) on ``ax``."""
    import numpy as np

    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., :3] / 255.0
    x, y = ax.transData.transform((lon, lat))
    row, col = int(round(img.shape[0] - y)), int(round(x))  # display y points up, image rows down
    return np.median(img[row - half:row + half + 1, col - half:col + half + 1].reshape(-1, 3), axis=0)


def test_toronto_briefing_map_draws_lake_ontario_as_water():
    """Issue 17: the PDF map drew the Great Lakes as land (the countries cover them). A Toronto
    map page must show Lake Ontario in the sea colour and the land north of Toronto in the land
    colour, with place names from the web map's places."""
    import h3
    import numpy as np
    import pandas as pd
    from matplotlib.figure import Figure

    from intel.render import palettes

    pts = [(43.65, -79.38), (43.70, -79.42), (43.72, -79.30), (43.66, -79.50), (43.76, -79.40)]
    cells = pd.DataFrame({"h3": [h3.latlng_to_cell(la, lo, 7) for la, lo in pts], "events": [5, 3, 2, 1, 1]})
    coarse = pd.DataFrame(columns=["latitude", "longitude", "events", "records"])
    ctx = dict(cells=cells, coarse=coarse, hot_cells=None, map_res=7, hotspot_res=8, map_note="test")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(figsize=(11.69, 8.27))
    FigureCanvasAgg(fig)
    briefing.page_map(fig, ctx)
    overview = fig.axes[0]                            # 2-degree overview around Toronto
    w, e = overview.get_xlim()
    s, n = overview.get_ylim()
    assert w < -79.0 < e and s < 43.45 < n and s < 44.1 < n and w < -80.2 < e
    sea = np.array(palettes.SEA_COLOUR[:3]) / 255.0
    land = np.array(palettes.LAND_COLOUR[:3]) / 255.0
    assert np.abs(_pixel(fig, overview, -79.0, 43.45) - sea).max() < 0.02   # Lake Ontario, mid-lake
    assert np.abs(_pixel(fig, overview, -80.2, 44.1) - land).max() < 0.02   # Dufferin County, inland
    names = {t.get_text() for t in overview.texts}
    assert "Toronto" in names and "Hamilton" in names


@pytest.fixture(scope="module")
def marked_store(tmp_path_factory):
    from tests.test_releasability import build_store

    db = tmp_path_factory.mktemp("brief_marked") / "marked.duckdb"
    build_store(db)
    return db


@pytest.mark.slow   # 27-37 s in the fast tier on the shared 2 cores (load ~35): see the tier timing of issue 13
@pytest.mark.parametrize("who,data_marking", [("ama", "NOFORN"), ("moussa", "REL TO MLI"),
                                              ("nobody", "UNRESTRICTED (public sources)")])
def test_briefing_marking_comes_from_the_records_it_holds(marked_store, tmp_path, who, data_marking):
    """Issue 19: the PDF marking came from a text box, so a briefing of ``REL TO BFA, CIV, MLI``
    and ``NOFORN`` records said RESTRICTED. The line on every page now carries the most
    restrictive effective marking of the records the briefing holds, after the text box's."""
    from intel import auth, store
    from tests.test_releasability import BFA, MLI, NOCOUNTRY

    user = {"ama": BFA, "moussa": MLI, "nobody": NOCOUNTRY}[who]
    con = connect(marked_store, read_only=True)
    try:
        cur = auth.apply_visibility(store.cursor(con), user)
        b = briefing.make_briefing(cur, marking="RESTRICTED", with_hotspots=False)
    finally:
        con.close()
    assert b.marking == f"RESTRICTED // {data_marking}"
    if shutil.which("pdftotext"):
        pdf = tmp_path / "b.pdf"
        pdf.write_bytes(b.pdf)
        text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert text.count(data_marking) >= 2


def test_a_note_shared_by_every_target_leaves_the_crossing_column():
    import pandas as pd

    from intel.briefing import shared_prefix_note

    d = pd.DataFrame({"rank": [1, 2], "official crossing": [
        "no land border within the 50 km border zone (border part 0); nearest official crossing: Buffalo, 100 km",
        "no land border within the 50 km border zone (border part 0); nearest official crossing: Lewiston, 93 km"]})
    out, note = shared_prefix_note(d, "official crossing")
    assert note == "no land border within the 50 km border zone (border part 0); nearest official crossing"
    assert out["official crossing"].tolist() == ["Buffalo, 100 km", "Lewiston, 93 km"]
    same, note = shared_prefix_note(d.assign(**{"official crossing": ["none known within the border zone"] * 2}),
                                    "official crossing")
    assert note == "none known within the border zone" and list(same.columns) == ["rank"]
    mixed = d.assign(**{"official crossing": ["Rosso (45.8 km)", "Rosso (12.0 km)"]})
    assert shared_prefix_note(mixed, "official crossing") == (mixed, None)   # too little in common


def test_key_figures_and_where_of_a_source_without_earlier_data(tmp_path):
    """Colombia's quarter and Ecuador's 2023 printed "5,672 vs 0 (n/a)" and "largest rises (not
    recorded) (+5,672)": a source without earlier data prints "no earlier data", never "vs 0"."""
    import pandas as pd

    from intel import trends
    from intel.briefing_draw import kpi_display
    from tests.test_trends import _new_source_store

    con = _new_source_store(tmp_path / "n.duckdb")
    kd = kpi_display(trends.kpis(con))
    assert kd["Events"].tolist() == ["2 (no earlier data)"] * 3
    assert kd["Firearms"].tolist() == ["3 (no earlier data)"] * 3
    assert kd["Ammunition (rounds)"].tolist() == ["not recorded"] * 3
    assert not kd.apply(lambda c: c.astype(str).str.contains(" vs 0")).any().any()
    d = trends.kpi_breakdown(con, "unit", "year over year", "events", source="new")
    assert briefing.where_line("new", d) == "new, events by unit, year over year: no earlier data to compare."
    # a covered source: records without a unit are named so, not "(not recorded)"
    d = pd.DataFrame({"group": [trends.NOT_RECORDED, "U1", "U2"], "change": [5.0, -2.0, 0.0], "covered": True})
    assert briefing.where_line("x", d) == ("x, events by unit, year over year: largest rises records without a unit "
                                           "(+5); largest falls U1 (-2).")
    assert briefing.where_line("x", d.assign(change=0.0)) is None


def test_a_month_the_data_cover_in_part_is_marked():
    from intel.briefing_pages import partial_months

    per = ["2022-12-01", "2023-01-01", "2023-11-01"]
    # Ecuador: two records of 2022-12-31, the register ends 2023-11-30
    assert partial_months(per, "2022-12-31", "2023-11-30").tolist() == [True, False, False]
    assert partial_months(per, "2022-12-01", "2023-11-15").tolist() == [False, False, True]
    assert partial_months(per, None, None).tolist() == [False, False, False]
