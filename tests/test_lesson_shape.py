"""The size and shape of what a learner reads: each lesson exports at most about 150 lines (the CNN lesson
200), exports no name it never uses itself, and its code fits 88 columns (what the website and a laptop
screen show without scrolling). The measures are those of `tools/lesson_shape.py`."""

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("lesson_shape", ROOT / "tools" / "lesson_shape.py")
shape = importlib.util.module_from_spec(_spec)
sys.modules["lesson_shape"] = shape
_spec.loader.exec_module(shape)

NOTEBOOKS = sorted((ROOT / "nbs").glob("*.ipynb"))
LESSONS = [p for p in NOTEBOOKS if shape.is_lesson(p)]
COLUMNS = 88
FENCE = re.compile(r"```[^\n]*\n(.*?)```", re.S)


def _notebook(tmp_path: Path, name: str, cells: list[tuple[str, str]]) -> Path:
    nb = {"cells": [{"cell_type": t, "source": s, "metadata": {}} for t, s in cells], "metadata": {},
          "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / name
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_exports_at_most_its_limit(path):
    n, limit = shape.exported_lines(path), shape.limit(path)
    assert n <= limit, f"{path.name} exports {n} lines of code; a lesson exports at most {limit}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_exports_only_names_it_uses(path):
    unused = shape.unused_exports(path)
    assert not unused, f"{path.name} exports {unused} but never uses them: export them where they are needed"


def _code_lines(path: Path) -> list[tuple[int, str]]:
    "(cell index, line) of every line of code a reader sees: code cells and fenced blocks in Markdown."
    out = []
    for i, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
        src = "".join(cell["source"])
        blocks = [src] if cell["cell_type"] == "code" else FENCE.findall(src)
        out += [(i, line) for block in blocks for line in block.splitlines()]
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_code_fits_88_columns(path):
    wide = [(i, len(line)) for i, line in _code_lines(path) if len(line) > COLUMNS]
    assert not wide, f"{path.name}: lines wider than {COLUMNS} columns (cell, width): {wide[:10]}"


def test_the_rules_can_fail(tmp_path):
    "Each rule catches a notebook that breaks it."
    big = _notebook(tmp_path, "05_big.ipynb", [("code", "#| export\n" + "x = 1\n" * 151)])
    assert shape.exported_lines(big) == 151 and shape.limit(big) == 150
    unused = _notebook(tmp_path, "06_unused.ipynb", [("code", "#| export\ndef helper(): return 1"),
                                                      ("code", "#| export\ndef used(): return 2"),
                                                      ("code", "used()")])
    assert shape.unused_exports(unused) == ["helper"]
    wide = _notebook(tmp_path, "07_wide.ipynb", [("markdown", "```python\n" + "y" * 89 + "\n```")])
    assert [(i, len(line)) for i, line in _code_lines(wide)] == [(0, 89)]
    appendix = _notebook(tmp_path, "18a_appendix.ipynb", [("code", "#| export\n" + "x = 1\n" * 400)])
    assert shape.limit(appendix) is None
