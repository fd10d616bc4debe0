"""Pages never reach past an analysis into SQL of their own (DESIGN.md): every read is a named
function of the intel layer (intel.queries, intel.overview, the analyses)."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE (TABLE|VIEW))\b"
                 r"|\.execute(many)?\(|\.sql\(|\.query\(|read_sql|\.fetch(all|one|df|many)\(")
"""SQL text, or a call that runs SQL or reads its result (DuckDB connection, relation and pandas)."""


def test_pages_and_router_hold_no_sql():
    files = sorted((ROOT / "pages").glob("*.py")) + [ROOT / "app.py"]
    hits = [f"{p.name}:{i}: {line.strip()}" for p in files
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if SQL.search(line)]
    assert hits == []


def test_the_sql_pattern_sees_each_form():
    caught = ['con.execute("x")', "cur.executemany(q, rows)", 'duckdb.sql("x")', "con.query(q)",
              "pd.read_sql(q, con)", "r.fetchall()", "r.fetchdf()", '"DELETE FROM events"', "q = 'SELECT 1'"]
    assert all(SQL.search(c) for c in caught)
    assert not any(SQL.search(c) for c in ["st.selectbox('Select a kind')", "update the map", "queries.data_range(con)"])


def test_common_offers_no_generic_query():
    src = (ROOT / "pages" / "common.py").read_text(encoding="utf-8")
    assert "def query_df" not in src
