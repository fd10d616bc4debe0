"""Page scripts hold no bare strings after their docstring: Streamlit's "magic" draws every bare
expression of a page script on the page (the Import page showed two constants' docstrings above
its title). Modules the pages import (pages/common.py) are not page scripts and may have them."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = [ROOT / "app.py", *sorted(p for p in (ROOT / "pages").glob("*.py") if p.name != "common.py")]


def _bare_strings(path: Path) -> list[int]:
    """Line numbers of the string expressions of a script, at any depth, other than the docstrings
    of the script, its functions and classes (which magic does not draw)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(n.body[0]) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.body}
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and id(node) not in docs and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)]


def test_the_check_finds_a_bare_string(tmp_path):
    f = tmp_path / "page.py"
    f.write_text('"""Docstring."""\nX = 1\n"""Shown on the page."""\ndef g():\n    """Not shown."""\n', encoding="utf-8")
    assert _bare_strings(f) == [3]


def test_no_page_script_draws_a_bare_string():
    found = {p.name: _bare_strings(p) for p in SCRIPTS}
    assert len(found) >= 10
    assert {k: v for k, v in found.items() if v} == {}


# a space before ";" or "," in a text meant for people (the Explore map said "hexagons ; they are ...")
_SPACED = re.compile(r"(^|[\w)\]}'\"%.]) +[;,](\s|$)")


def _spaced_punctuation(path: Path) -> list[tuple[int, str]]:
    """Line and text of every string literal (f-string parts too, docstrings aside) with a space
    before a semicolon or comma that ends a clause (followed by a space or the string's end)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs \
                and _SPACED.search(node.value):
            found.append((node.lineno, node.value))
    return found


def test_the_check_finds_a_space_before_punctuation(tmp_path):
    f = tmp_path / "m.py"
    f.write_text('"""Doc ; string."""\nA = "cells" + (" ; they are drawn." if x else ".")\n'
                 'B = f"{n} cells , of which"\nC = "ducklake:x;data=<dir>, or a, b; c"\n', encoding="utf-8")
    assert sorted(line for line, _ in _spaced_punctuation(f)) == [2, 3]


def test_no_user_facing_string_has_a_space_before_punctuation():
    files = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "intel").rglob("*.py"))]
    found = {str(p.relative_to(ROOT)): hits for p in files if (hits := _spaced_punctuation(p))}
    assert found == {}
