"""Router: every page is listed here explicitly (st.navigation)."""
import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

st.set_page_config(page_title="Firearms-trafficking route intelligence", layout="wide")

PAGES = {
    "Analysis": [
        st.Page("pages/overview.py", title="Overview", default=True),
        st.Page("pages/explore_map.py", title="Explore map"),
    ],
}
for section, extra in (
    ("Analysis", [("pages/hotspots.py", "Hotspots"), ("pages/borders.py", "Borders"),
                  ("pages/corridors.py", "Corridors")]),
    ("Operations", [("pages/planner.py", "Planner"), ("pages/trends.py", "Trends and briefing")]),
    ("Data", [("pages/import_file.py", "Import"), ("pages/data_quality.py", "Data quality"),
              ("pages/admin.py", "Admin")]),
):
    for path, title in extra:
        if (Path(__file__).resolve().parent / path).exists():
            PAGES.setdefault(section, []).append(st.Page(path, title=title))

st.navigation(PAGES).run()
