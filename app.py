"""Router: every page of the dashboard, listed explicitly (st.navigation)."""
import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

st.set_page_config(page_title="Firearms-trafficking route intelligence", layout="wide")

from pages.common import host_gate, sign_in_gate  # noqa: E402

host_gate()  # before anything is shown: refuse host names outside the allow-list (DNS rebinding)
sign_in_gate()

PAGES = {
    "Analysis": [
        st.Page("pages/overview.py", title="Overview", default=True),
        st.Page("pages/explore_map.py", title="Explore map"),
        st.Page("pages/hotspots.py", title="Hotspots"),
        st.Page("pages/borders.py", title="Borders"),
        st.Page("pages/corridors.py", title="Corridors"),
    ],
    "Operations": [
        st.Page("pages/planner.py", title="Planner"),
        st.Page("pages/trends.py", title="Trends and briefing"),
    ],
    "Data": [
        st.Page("pages/import_file.py", title="Import"),
        st.Page("pages/data_quality.py", title="Data quality"),
        st.Page("pages/admin.py", title="Admin"),
    ],
}

st.navigation(PAGES).run()
