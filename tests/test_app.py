"""The router lists every page file, and each page has an AppTest of its own."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_router_lists_every_page_and_every_page_is_tested():
    app = (ROOT / "app.py").read_text()
    listed = set(re.findall(r'st\.Page\("pages/(\w+)\.py"', app))
    files = {p.stem for p in (ROOT / "pages").glob("*.py")} - {"common", "__init__"}
    assert listed == files
    apptests = [t.read_text() for t in (ROOT / "tests").glob("test_*.py")]
    apptests = [t for t in apptests if "AppTest" in t]
    for name in files:
        assert any(f"{name}.py" in t for t in apptests), f"no AppTest for pages/{name}.py"
