"""Import structure of ``intel``: no import cycle, renderers at the edge.

Two checks. :func:`module_graph` reads every module of ``intel/`` with :mod:`ast` and keeps the
imports that run when the module is imported (module level, including ``if``/``try`` blocks, not
function bodies); an import of ``a.b.c`` also runs the packages ``a.b`` and ``a`` unless they are
packages of the importing module itself (already being imported). The graph must have no cycle.
Then a fresh interpreter imports every module, in sorted and in reverse order, and the two
modules that used to import each other (``intel.links`` and ``intel.corridors``) each first: a
cycle of ``from x import name`` would raise ImportError in one of those orders.
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
INTEL = ROOT / "intel"


def _module_name(path: Path, base: Path) -> str:
    rel = path.relative_to(base).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _module_level_imports(tree: ast.Module):
    """Import nodes executed at import time: module body, descending into if/try/with, not into defs
    nor into ``if TYPE_CHECKING:`` (type checkers only)."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                for child in getattr(node, field, []) or []:
                    stack.extend(child.body if isinstance(child, ast.ExceptHandler) else [child])


def module_graph(package_dir: Path) -> nx.DiGraph:
    """Directed graph module -> module it runs on import, for every module under ``package_dir``.

    Parameters
    ----------
    package_dir : pathlib.Path
        A package folder (``intel/``); module names are taken relative to its parent.
    """
    base = package_dir.parent
    top = package_dir.name
    files = sorted(package_dir.rglob("*.py"))
    modules = {_module_name(f, base): f for f in files}
    g = nx.DiGraph()
    g.add_nodes_from(modules)
    for name, path in modules.items():
        is_pkg = path.name == "__init__.py"
        own_pkgs = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1 + is_pkg)}
        for node in _module_level_imports(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                mod = node.module or ""
                if node.level:  # relative import
                    anchor = name.split(".")[: len(name.split(".")) - node.level + is_pkg]
                    mod = ".".join([*anchor, mod] if mod else anchor)
                targets = [mod]
                targets += [f"{mod}.{a.name}" for a in node.names if f"{mod}.{a.name}" in modules]
            for t in targets:
                if t.split(".")[0] != top:
                    continue
                parts = t.split(".")
                for i in range(1, len(parts) + 1):
                    dep = ".".join(parts[:i])
                    if dep in modules and dep != name and dep not in own_pkgs:
                        g.add_edge(name, dep)
    return g


def test_module_graph_finds_a_cycle(tmp_path):
    """The walker sees a cycle through a package ``__init__`` and ignores imports inside functions."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from pkg.sub.flows import f\n")
    (pkg / "sub" / "flows.py").write_text("from pkg.sub.geo import g\nfrom pkg.links import h\n\ndef f():\n    pass\n")
    (pkg / "sub" / "geo.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import links\n\n"
                                        "def g():\n    from pkg import links\n")
    (pkg / "links.py").write_text("try:\n    from pkg.sub.geo import g\nexcept ImportError:\n    pass\n\ndef h():\n    pass\n")
    g = module_graph(pkg)
    assert g.has_edge("pkg.links", "pkg.sub") and g.has_edge("pkg.sub.flows", "pkg.links")
    assert not g.has_edge("pkg.sub.geo", "pkg.links")  # inside a function or for type checkers only
    assert not g.has_edge("pkg.sub.flows", "pkg.sub")  # its own package is already being imported
    cycle = nx.find_cycle(g)
    assert {"pkg.links", "pkg.sub", "pkg.sub.flows"} == {a for a, _ in cycle}


def test_intel_has_no_import_cycle():
    g = module_graph(INTEL)
    assert g.has_edge("intel.corridors.flows", "intel.links")  # the graph is read, not empty
    cycles = list(nx.simple_cycles(g))
    assert not cycles, "import cycles: " + "; ".join(" -> ".join([*c, c[0]]) for c in cycles)


def test_links_and_corridors_import_each_other_at_the_top_of_the_module():
    """The former cycle is gone for real: the imports sit at module level, not inside functions."""
    g = module_graph(INTEL)
    assert g.has_edge("intel.links", "intel.geodesy")
    assert not g.has_edge("intel.links", "intel.corridors")


def _import_all(order: list[str]) -> subprocess.CompletedProcess:
    code = "import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)\n"
    return subprocess.run([sys.executable, "-c", code, *order], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("first, reverse", [("intel.links", False), ("intel.corridors", False), (None, True)])
def test_fresh_interpreter_imports_in_any_order(first, reverse):
    """Every intel module imports in a fresh interpreter: ``intel.links`` first, ``intel.corridors``
    first, then all in reverse order, so each pair of modules is met in both orders."""
    names = sorted(module_graph(INTEL).nodes, reverse=reverse)
    order = [first, *(n for n in names if n != first)] if first else names
    r = _import_all(order)
    assert r.returncode == 0, r.stderr[-3000:]


HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
"""A CSS colour written as hex."""

PDF_RENDERERS = {"intel.briefing", "intel.briefing_draw", "intel.briefing_pages", "intel.target_package"}
"""Renderers that draw PDFs with matplotlib: they may name their own print colours (the marking)."""


def test_analyses_import_no_pydeck_and_hold_no_palette():
    """pydeck and the colour tables live in intel.render only (the PDF renderers read palettes)."""
    g = module_graph(INTEL)
    offenders = []
    for name in g.nodes:
        if name.startswith("intel.render"):
            continue
        path = INTEL.parent / (name.replace(".", "/") + ".py")
        if not path.exists():
            path = INTEL.parent / name.replace(".", "/") / "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "pydeck" for a in node.names):
                offenders.append(f"{name} imports pydeck")
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "pydeck":
                offenders.append(f"{name} imports pydeck")
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                tgts = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in tgts:
                    if isinstance(t, ast.Name) and ("COLOUR" in t.id or "COLOR" in t.id) and name not in PDF_RENDERERS:
                        offenders.append(f"{name} defines {t.id}")
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and HEX_COLOUR.match(node.value)
                    and name not in PDF_RENDERERS):
                offenders.append(f"{name}:{node.lineno} writes the colour {node.value}")
    assert not offenders, offenders


def private_names_used_across_modules(root: Path) -> list[str]:
    """``user: module.name`` for each underscore name (not dunder) of an ``intel`` module that
    another module of ``intel/`` or ``pages/`` imports (``from intel.x import _y``) or reads
    (``x._y`` where ``x`` is an imported ``intel`` module). Walks whole files, function bodies too.
    """
    out = []
    files = sorted([*(root / "intel").rglob("*.py"), *(root / "pages").rglob("*.py")])
    for path in files:
        me = _module_name(path, root)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = {}   # local name -> intel module it is bound to
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "intel":
                for a in node.names:
                    if a.name.startswith("_") and not a.name.startswith("__"):
                        out.append(f"{me}: {node.module}.{a.name}")
                    modules[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.split(".")[0] == "intel":
                        modules[a.asname or a.name.split(".")[0]] = a.name if a.asname else "intel"
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and isinstance(node.value, ast.Name) and modules.get(node.value.id, me) != me):
                out.append(f"{me}: {modules[node.value.id]}.{node.attr}")
    return out


def test_private_name_walker_sees_both_forms(tmp_path):
    (tmp_path / "intel").mkdir()
    (tmp_path / "pages").mkdir()
    (tmp_path / "intel" / "a.py").write_text("def _f():\n    pass\n")
    (tmp_path / "intel" / "b.py").write_text("from intel.a import _f\n")
    (tmp_path / "intel" / "c.py").write_text("def g():\n    from intel import a\n    return a._f, a.__name__\n")
    (tmp_path / "pages" / "p.py").write_text("from intel import a as _a\n_a.__doc__\n")
    assert private_names_used_across_modules(tmp_path) == ["intel.b: intel.a._f", "intel.c: intel.a._f"]


def test_no_module_uses_another_modules_private_names():
    """What another module uses has a public name (issue 13): no ``from intel.x import _y``, no ``x._y``."""
    used = private_names_used_across_modules(ROOT)
    assert not used, used



def colour_literals(path: Path) -> list[str]:
    """``line: literal`` for each colour written out in ``path``: a CSS hex string (``"#cc0000"``),
    a tuple or list of 3 or 4 integers in 0-255 with one above 12 (an RGB(A) colour, not the
    column ratios of ``st.columns([1, 1, 2])``), or a name holding ``COLOUR``/``COLOR``."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and HEX_COLOUR.match(node.value):
            out.append(f"{node.lineno}: {node.value}")
        elif isinstance(node, (ast.Tuple, ast.List)) and len(node.elts) in (3, 4) and all(
                isinstance(e, ast.Constant) and type(e.value) is int and 0 <= e.value <= 255 for e in node.elts) \
                and max(e.value for e in node.elts) > 12:
            out.append(f"{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                if isinstance(t, ast.Name) and ("COLOUR" in t.id.upper() or "COLOR" in t.id.upper()):
                    out.append(f"{node.lineno}: {t.id} =")
    return out


def test_colour_walker_sees_each_form(tmp_path):
    p = tmp_path / "page.py"
    p.write_text('a = st.columns([1, 1, 2])\nb = ("#cc0000", [60, 60, 160], (1, 2, 300))\nline_colour = x\n')
    assert sorted(colour_literals(p)) == ["2: #cc0000", "2: [60, 60, 160]", "3: line_colour ="]


def test_pages_hold_no_colours_and_draw_no_pydeck_of_their_own():
    """Pages and the router name colours from :mod:`intel.render.palettes` and build no pydeck
    object themselves: layers and the deck come from :mod:`intel.render` (issue 13)."""
    files = sorted((ROOT / "pages").glob("*.py")) + [ROOT / "app.py"]
    offenders = []
    for path in files:
        offenders += [f"{path.name}:{c}" for c in colour_literals(path)]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}:{node.lineno}: imports {n}" for n in names if n.split(".")[0] == "pydeck"]
    assert not offenders, offenders


def function_level_imports(package_dir: Path) -> list[str]:
    """``module -> imported module`` for each import of an ``intel`` module written inside a
    function body (the imports :func:`module_graph` does not see)."""
    base = package_dir.parent
    out = []
    for path in sorted(package_dir.rglob("*.py")):
        name = _module_name(path, base)
        for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == package_dir.name:
                    out.append(f"{name} -> {node.module}")
                elif isinstance(node, ast.Import):
                    out += [f"{name} -> {a.name}" for a in node.names if a.name.split(".")[0] == package_dir.name]
    return sorted(set(out))


LOCAL_IMPORTS: dict[str, str] = {
    "intel.store.auditlog -> intel": "intel.store.connect folds the audit spool (intel.auditspool), which writes "
                                     "through intel.store's audit writer: a real cycle, kept inside the one "
                                     "function that folds (intel.store.auditlog.fold_spool)",
}
"""Function-level imports of ``intel`` modules allowed outside ``intel/cli`` (where each verb
imports its analysis when run, so ``intel --help`` stays fast), each with its reason."""


def test_no_hidden_cycles_behind_function_level_imports():
    """Outside the CLI, an intel module imports the others at its top (issue 13: the cycles that
    function-level imports hid are broken: ingest/areas/readers, hotspots/studyarea/inference,
    risk/backtest, risk.scores/corridors/links), except :data:`LOCAL_IMPORTS`."""
    found = [f for f in function_level_imports(INTEL) if not f.startswith("intel.cli")]
    assert set(found) == set(LOCAL_IMPORTS), found
