"""Pages never reach past an analysis into SQL of their own (DESIGN.md): every read is a named
function of the intel layer (intel.queries, intel.overview, the analyses)."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL = re.compile(r"SELECT|execute\(|\.sql\(")


def test_pages_and_router_hold_no_sql():
    files = sorted((ROOT / "pages").glob("*.py")) + [ROOT / "app.py"]
    hits = [f"{p.name}:{i}: {line.strip()}" for p in files
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if SQL.search(line)]
    assert hits == []


def test_common_offers_no_generic_query():
    src = (ROOT / "pages" / "common.py").read_text(encoding="utf-8")
    assert "def query_df" not in src
