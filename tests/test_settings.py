"""Every setting is documented, typed, bounded and read the same way by pages and CLI."""
import json
import re
from pathlib import Path

import pytest

from intel import config, settings, store

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_has_help_and_a_typed_default():
    assert {"map_resolution", "hotspot_k", "significance", "border_zone_km", "marking"} <= set(settings.SETTINGS)
    for s in settings.SETTINGS.values():
        assert s.help and s.help.endswith("."), s.name
        assert s.default is not None, s.name
        assert s.kind in (int, float, bool, str), s.name
        assert s.check(s.default) == s.default, s.name  # the default is inside its own range
        if s.kind in (int, float):
            assert s.choices is not None or (s.lo is not None and s.hi is not None), f"{s.name} has no range"


def test_every_setting_is_read_somewhere():
    # a setting nobody reads is a promise the product does not keep (data_path was one: removed)
    code = "\n".join(p.read_text(encoding="utf-8") for d in ("intel", "pages") for p in (ROOT / d).rglob("*.py")
                     if p.name != "settings.py" or p.parent.name != "intel")
    for name in settings.SETTINGS:
        assert re.search(rf"get\(\s*[\"']{name}[\"']", code), f"setting {name} is never read"


@pytest.mark.parametrize("name,use", [("map_resolution", "map"), ("hotspot_resolution", "hotspot"),
                                      ("corridor_resolution", "corridor")])
def test_resolution_settings_take_the_configured_range(name, use):
    s = settings.SETTINGS[name]
    assert (s.lo, s.hi) == config.RESOLUTIONS[use]
    assert s.default == config.DEFAULT_RESOLUTION[use]
    lo, hi = config.RESOLUTIONS[use]
    assert s.check(lo) == lo and s.check(str(hi)) == hi
    for bad in (lo - 1, hi + 1, 7.5, "x", True):
        with pytest.raises(ValueError, match=name):
            s.check(bad)


def test_values_are_converted_and_checked():
    S = settings.SETTINGS
    assert S["significance"].check("0.1") == 0.1
    with pytest.raises(ValueError, match="one of 0.01, 0.05, 0.1"):
        S["significance"].check(0.2)
    assert S["fdr"].check("false") is False and S["fdr"].check(True) is True
    with pytest.raises(ValueError, match="true or false"):
        S["fdr"].check(1)
    assert S["emerging_step"].check("quarter") == "quarter"
    with pytest.raises(ValueError, match="week, month, quarter"):
        S["emerging_step"].check("year")
    assert S["border_zone_km"].check("20") == 20.0 and isinstance(S["border_zone_km"].check(20), float)
    for bad in ("nan", "inf", -5, 500):
        with pytest.raises(ValueError, match="border_zone_km"):
            S["border_zone_km"].check(bad)
    assert S["marking"].check("  SECRET ") == "SECRET"
    assert S["marking"].check("") == "" and S["marking"].check("  ") == ""   # no classification line
    for bad in ("A\nB", 5):
        with pytest.raises(ValueError, match="marking"):
            S["marking"].check(bad)


def test_put_refuses_out_of_range_and_saves_nothing(tmp_path):
    con = store.connect(tmp_path / "s.duckdb")
    with pytest.raises(ValueError, match="from 5 to 9"):
        settings.put(con, "hotspot_resolution", 10)
    assert con.execute("SELECT count(*) FROM settings").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM audit").fetchone()[0] == 0
    assert settings.put(con, "hotspot_resolution", "6", user="t") == 6
    assert settings.get("hotspot_resolution", con) == 6 and settings.source("hotspot_resolution", con) == "store"
    assert settings.reset(con, "hotspot_resolution", user="t") is True
    assert settings.reset(con, "hotspot_resolution", user="t") is False
    assert settings.get("hotspot_resolution", con) == 8 and settings.source("hotspot_resolution", con) == "default"
    log = con.execute("SELECT action, detail FROM audit ORDER BY audit_id").fetchall()
    assert [a for a, _ in log] == ["settings.change", "settings.reset"]
    assert json.loads(log[0][1]) == {"name": "hotspot_resolution", "value": 6, "previous": None}


def test_bad_environment_value_is_an_error_not_a_silent_value(monkeypatch):
    # before: INTEL_HOTSPOT_RESOLUTION=12 was used as 12, and INTEL_FDR=false raised a bare json error
    monkeypatch.setenv("INTEL_HOTSPOT_RESOLUTION", "12")
    with pytest.raises(ValueError, match="INTEL_HOTSPOT_RESOLUTION='12' is not valid.*from 5 to 9"):
        settings.get("hotspot_resolution")
    monkeypatch.setenv("INTEL_FDR", "no")
    assert settings.get("fdr") is False and settings.source("fdr") == "env"
    monkeypatch.setenv("INTEL_EMERGING_STEP", "fortnight")
    with pytest.raises(ValueError, match="INTEL_EMERGING_STEP"):
        settings.get("emerging_step")


def test_bad_saved_value_is_an_error(tmp_path):
    con = store.connect(tmp_path / "s.duckdb")
    con.execute("INSERT INTO settings VALUES ('corridor_resolution', '9')")  # saved before ranges existed
    with pytest.raises(ValueError, match="intel settings reset corridor_resolution"):
        settings.get("corridor_resolution", con)


def test_precedence_env_store_default(tmp_path, monkeypatch):
    con = store.connect(tmp_path / "s.duckdb")
    assert settings.get("border_zone_km", con) == 50.0
    settings.put(con, "border_zone_km", 20.0, user="tester")
    assert settings.get("border_zone_km", con) == 20.0
    monkeypatch.setenv("INTEL_BORDER_ZONE_KM", "80")
    assert settings.get("border_zone_km", con) == 80.0
    monkeypatch.setenv("INTEL_MARKING", "SECRET//REL TO BFA")
    assert settings.get("marking", con) == "SECRET//REL TO BFA"
    # the change is in the audit log with its user
    row = con.execute("SELECT user_name, action FROM audit WHERE action = 'settings.change'").fetchone()
    assert row == ("tester", "settings.change")


def test_unknown_setting_is_refused(tmp_path):
    con = store.connect(tmp_path / "s.duckdb")
    with pytest.raises(KeyError):
        settings.get("no_such_setting")
    with pytest.raises(KeyError):
        settings.put(con, "no_such_setting", 1)


def literal_widget_ranges(path) -> list[str]:
    """``line: widget(lo, hi)`` for each ``slider``, ``number_input`` or ``select_slider`` of a page whose
    lower and upper bounds are both written as numbers (positional or ``min_value``/``max_value``)."""
    import ast

    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("slider", "number_input", "select_slider")):
            continue
        kw = {k.arg: k.value for k in node.keywords}
        lo = node.args[1] if len(node.args) > 1 else kw.get("min_value")
        hi = node.args[2] if len(node.args) > 2 else kw.get("max_value")
        if isinstance(lo, ast.Constant) and isinstance(hi, ast.Constant):
            out.append(f"{node.lineno}: {node.func.attr}({lo.value}, {hi.value})")
    return out


def test_pages_bound_setting_widgets_by_the_settings_ranges():
    """A page widget whose bounds are written as numbers must not repeat the range of a named
    setting or of an H3 resolution use: those are decided once (intel.settings, intel.config)
    and read by the pages (issue 13). Score weights (0-1) are not settings."""
    ranges = {(float(s.lo), float(s.hi)): name for name, s in settings.SETTINGS.items() if s.lo is not None}
    ranges |= {(float(lo), float(hi)): f"resolution range of {use}" for use, (lo, hi) in config.RESOLUTIONS.items()}
    root = Path(__file__).resolve().parents[1]
    offenders = []
    for page in sorted((root / "pages").glob("*.py")):
        for hit in literal_widget_ranges(page):
            lo, hi = (float(x) for x in hit.split("(", 1)[1].rstrip(")").split(", "))
            if (lo, hi) in ranges:
                offenders.append(f"{page.name}:{hit} repeats {ranges[(lo, hi)]}")
    assert not offenders, offenders


def test_literal_widget_walker(tmp_path):
    p = tmp_path / "p.py"
    p.write_text('a = st.slider("x", 1, 3)\nb = c.number_input("y", min_value=0.0, max_value=500.0)\n'
                 'c = c.number_input("z", *settings.bounds("planner_targets"))\nd = st.slider("w", 0, hi)\n')
    assert literal_widget_ranges(p) == ["1: slider(1, 3)", "2: number_input(0.0, 500.0)"]


def test_bounds_of_a_setting():
    assert settings.bounds("planner_targets") == (1, 100) and isinstance(settings.bounds("planner_targets")[0], int)
    assert settings.bounds("decay_half_life_days") == (7.0, 3650.0)
    with pytest.raises(ValueError):
        settings.bounds("marking")
    with pytest.raises(KeyError):
        settings.bounds("no_such_setting")


RES_NAMES = {"res", "resolution", "corridor_res", "map_res", "hotspot_res"}
"""Parameter names that hold an H3 resolution."""


def literal_resolutions(root) -> list[str]:
    """``file:line name=value`` for each H3 resolution written as a number: a default of a
    function parameter in ``intel/`` (outside intel/config.py, where they are decided) and an
    argument passed by keyword or as a default in ``pages/``."""
    import ast

    out = []
    files = [p for p in sorted((root / "intel").rglob("*.py")) if p.name != "config.py" or p.parent.name != "intel"]
    files += sorted((root / "pages").glob("*.py"))
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            pairs = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = node.args
                pos = [*a.posonlyargs, *a.args]
                pairs += list(zip(pos[len(pos) - len(a.defaults):], a.defaults))
                pairs += [(k, d) for k, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None]
                pairs = [(k.arg, d) for k, d in pairs]
            elif isinstance(node, ast.Call):
                pairs = [(k.arg, k.value) for k in node.keywords]
            for name, value in pairs:
                if name in RES_NAMES and isinstance(value, ast.Constant) and type(value.value) is int:
                    out.append(f"{path.relative_to(root)}:{node.lineno} {name}={value.value}")
    return out


def test_no_resolution_is_written_as_a_number_outside_config():
    """Every H3 resolution default is decided once, in :data:`intel.config.DEFAULT_RESOLUTION`
    (issue 13); functions and pages name it from there."""
    root = Path(__file__).resolve().parents[1]
    assert literal_resolutions(root) == []


def test_literal_resolution_walker(tmp_path):
    (tmp_path / "intel").mkdir()
    (tmp_path / "pages").mkdir()
    (tmp_path / "intel" / "a.py").write_text("def f(con, zone=50.0, res: int = 5, *, map_res=3):\n    pass\n"
                                             "def g(res=DEFAULT['map']):\n    pass\n")
    (tmp_path / "pages" / "p.py").write_text("f(con, res=7)\nf(con, 7)\n")
    assert literal_resolutions(tmp_path) == ["intel/a.py:1 res=5", "intel/a.py:1 map_res=3", "pages/p.py:1 res=7"]
