"""The README's layout table names every part of the tree (issue 13: a newcomer finds a module
from the table, and the table does not name modules that are gone)."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def layout_section(text: str) -> str:
    """The text of the README's ``## Layout`` section."""
    start = text.index("## Layout")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def tree_names(root: Path) -> set[str]:
    """Modules of ``intel/`` (``name``) and its subpackages (``name/``), top level only."""
    intel = root / "intel"
    out = {p.stem for p in intel.glob("*.py") if p.stem != "__init__"}
    out |= {f"{p.name}/" for p in intel.iterdir() if (p / "__init__.py").exists() and p.name != "cli"}
    return out


NOT_MODULES = {"prepare", "intel"}
"""Backticked words of the layout table that are not module names (a function and the command it names)."""


def test_layout_names_every_intel_module_and_no_missing_one():
    section = layout_section((ROOT / "README.md").read_text(encoding="utf-8"))
    names = set(re.findall(r"`([a-z0-9_]+/?)`", section))
    tree = tree_names(ROOT)
    assert tree - names == set(), f"modules missing from the README layout: {sorted(tree - names)}"
    # and every name it gives is in the tree (a module of intel/ or of its packages, or a top folder)
    everything = {p.stem for p in (ROOT / "intel").rglob("*.py")} | {f"{p.name}/" for p in ROOT.iterdir() if p.is_dir()}
    everything |= {f"{p.name}/" for p in (ROOT / "intel").iterdir() if p.is_dir()}
    assert names - everything - NOT_MODULES == set(), f"names not in the tree: {sorted(names - everything - NOT_MODULES)}"


def test_every_intel_module_says_what_it_is_for():
    """Each module of ``intel/`` opens with a docstring of at least one full sentence (issue 13:
    module docstrings say what the module is for and where it sits)."""
    import ast

    thin = []
    for path in sorted((ROOT / "intel").rglob("*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        if len(doc) < 60 or "." not in doc:
            thin.append(str(path.relative_to(ROOT)))
    assert thin == [], f"modules without an overview: {thin}"
