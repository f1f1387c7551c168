"""The shape of each lesson's exported code: how many lines a learner reads, and which exported names a lesson
defines but never uses (names that belong in the later lesson that first needs them).

    python tools/lesson_shape.py            # the table, and the names exported before they are used
    python tools/lesson_shape.py --check    # exit 1 if a lesson is over its size or exports an unused name

Sizes are the lines of a notebook's `#| export` cells (every line but the directive, blank lines included).
A lesson may export at most `LIMIT` lines (`LIMITS` lists the exceptions); appendices (a letter after
the number, or 90 and above) are not lessons and have no limit here. A name defined at the top level of an
exported cell is "used" in its lesson when it appears as a word in another cell of the same notebook (a
demonstration, a check or another exported function)."""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT / "nbs"
LIMIT = 150
LIMITS = {"22": 200}
EXPORT = re.compile(r"^#\|\s*export(?:s|i)?\b")


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _src(cell: dict) -> str:
    return "".join(cell["source"])


def is_lesson(path: Path) -> bool:
    "True for a lesson notebook (`NN_name.ipynb` with NN below 90), False for appendices and the home page."
    m = re.match(r"(\d\d)_", path.name)
    return bool(m) and int(m.group(1)) < 90


def export_cells(path: Path) -> list[tuple[int, str]]:
    "(index, source without the directive line) of every exported code cell."
    out = []
    for i, c in enumerate(_cells(path)):
        src = _src(c)
        if c["cell_type"] == "code" and EXPORT.match(src):
            out.append((i, src.split("\n", 1)[1] if "\n" in src else ""))
    return out


def exported_lines(path: Path) -> int:
    "Lines of exported code a learner reads in `path`."
    return sum(len(body.splitlines()) for _, body in export_cells(path))


def _top_names(body: str) -> list[str]:
    try: tree = ast.parse(body)
    except SyntaxError: return []
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if not any(isinstance(d, ast.Call) and getattr(d.func, "id", "") == "patch_to"
                       or getattr(d, "id", "") == "patch_to" for d in node.decorator_list):
                names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name): names.append(n.id)
    return [n for n in names if not n.startswith("__")]


def unused_exports(path: Path) -> list[str]:
    "Top-level names exported by `path` that no other cell of `path` mentions."
    cells = [_src(c) for c in _cells(path)]
    unused = []
    for i, body in export_cells(path):
        others = "\n".join(s for j, s in enumerate(cells) if j != i)
        for name in _top_names(body):
            if name == "_all_":  # nbdev's list of imported names to re-export: used by nbdev itself
                continue
            if not re.search(rf"(?<![\w.]){re.escape(name)}\b", others) and not _used_in_cell(name, body):
                unused.append(name)
    return unused


def _used_in_cell(name: str, body: str) -> bool:
    "True if `name` is used in its own cell beyond its definition (another definition of the cell calls it)."
    return len(re.findall(rf"(?<![\w.]){re.escape(name)}\b", body)) > 1


def limit(path: Path) -> int | None:
    return LIMITS.get(path.name[:2], LIMIT) if is_lesson(path) else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 when a lesson breaks a rule")
    args = ap.parse_args(argv)
    bad = 0
    print(f"{'notebook':44} {'exported':>8} {'limit':>6}  unused exported names")
    for path in sorted(NBS.glob("*.ipynb")):
        n, lim = exported_lines(path), limit(path)
        unused = unused_exports(path) if is_lesson(path) else []
        over = lim is not None and n > lim
        bad += over + bool(unused)
        flag = " OVER" if over else ""
        print(f"{path.name:44} {n:8} {lim if lim else '-':>6}{flag}  {', '.join(unused)}")
    return 1 if args.check and bad else 0


if __name__ == "__main__":
    sys.exit(main())
