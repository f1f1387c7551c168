#!/usr/bin/env python3
"""Put the exercise cells of the course's lessons in the course's exercise format, and list them.

The format (see `nbs/90_exercises.ipynb`):

* The exercise section starts with a Markdown cell that begins with `## Exercises`.
* Each exercise has Markdown statement cells, a learner cell (code ending with `check("LL.N", answer)`),
  then its reference solution as a Markdown cell: `<details><summary>Reference solution (open it after
  you have tried)</summary>`, a blank line, a fenced `python` block, a blank line, `</details>`. A Markdown
  block never runs, so Run All can neither print an answer nor replace a learner's definitions.
* The section's last exercise cell is one collapsed code cell, `check.references("LL", globals())`: under
  `nbdev-test` it proves that every reference solution passes its check (see `nnfs.exercises.references`).
  Its `#| hide` keeps it off the website.

`python tools/exercise_cells.py` converts the notebooks given (all lessons by default) in place and is
idempotent: a cell that is already in the format is left alone. It turns each collapsed code cell whose
first line is the old header `# Reference solution: open it after you have tried.` into the Markdown
block (keeping the cell's id, and dropping `strict=True` from its checks), drops the `;` after a learner
cell's `check(...)`, moves `## Exercises` and what follows it out of a Markdown cell that starts with other
text into a cell of its own, and adds the collapsed test cell after the last exercise when it is missing.
`--list` prints each lesson's exercise cells instead.
"""

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OLD_HEAD = "# Reference solution: open it after you have tried."
SUMMARY = "<details><summary>Reference solution (open it after you have tried)</summary>"
CHECK = re.compile(r"""\bcheck\(\s*["'](\w+)\.(\d+)["']""")
TEST_COMMENT = (
    "#| hide\n"
    "# The course's test of the exercises above. It does nothing under JupyterLab; under nbdev-test it\n"
    "# proves that each reference solution passes its check, each in a copy of this namespace."
)


def _src(cell: dict) -> str:
    return "".join(cell["source"])


def _lines(text: str) -> list[str]:
    "Text as a notebook stores it: a list of lines, each with its newline but the last."
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _new_id(nb_path: Path, text: str) -> str:
    return hashlib.sha1(f"{nb_path.name}:{text}".encode()).hexdigest()[:8]


def _hidden(cell: dict) -> bool:
    return bool(cell.get("metadata", {}).get("jupyter", {}).get("source_hidden"))


def is_reference(cell: dict) -> bool:
    "A reference solution in the course's format: a Markdown `<details>` block holding a `python` fence."
    return (
        cell["cell_type"] == "markdown"
        and _src(cell).startswith("<details>")
        and "```python" in _src(cell)
    )


def is_test_cell(cell: dict) -> bool:
    "The collapsed cell that runs a lesson's reference solutions under nbdev-test."
    return cell["cell_type"] == "code" and "check.references(" in _src(cell)


def exercise_section(cells: list[dict]) -> tuple[int, int] | None:
    "The cell range [start, end) of the exercise section: from `## Exercises` to the next `## ` or `---`."
    start = next(
        (
            i
            for i, c in enumerate(cells)
            if c["cell_type"] == "markdown" and _src(c).startswith("## Exercises")
        ),
        None,
    )
    if start is None:
        return None
    end = next(
        (
            i
            for i in range(start + 1, len(cells))
            if cells[i]["cell_type"] == "markdown" and re.match(r"(## |---)", _src(cells[i]))
        ),
        len(cells),
    )
    return start, end


def _reference_markdown(code: str) -> str:
    "The Markdown block of a reference solution given as the source of an old collapsed code cell."
    body = code.split("\n", 1)[1] if code.startswith(OLD_HEAD) else code
    body = re.sub(r",\s*strict=True\)", ")", body).strip("\n")
    return f"{SUMMARY}\n\n```python\n{body}\n```\n\n</details>"


def _split_heading(nb_path: Path, cells: list[dict]) -> bool:
    "Move `## Exercises` and what follows out of a Markdown cell that starts with other text."
    for i, cell in enumerate(cells):
        text = _src(cell)
        if cell["cell_type"] != "markdown" or text.startswith("## Exercises"):
            continue
        m = re.search(r"^## Exercises", text, re.M)
        if m:
            before, after = text[: m.start()].rstrip("\n"), text[m.start() :]
            cell["source"] = _lines(before)
            new = {
                "cell_type": "markdown",
                "id": _new_id(nb_path, after),
                "metadata": {},
                "source": _lines(after),
            }
            cells.insert(i + 1, new)
            return True
    return False


def convert(nb_path: Path) -> list[str]:
    "Convert one notebook in place; returns what was changed."
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    cells, changes = nb["cells"], []
    if _split_heading(nb_path, cells):
        changes.append("moved '## Exercises' into a cell of its own")
    section = exercise_section(cells)
    if section is None:
        return changes
    start, end = section
    last_exercise = None
    for i in range(start, end):
        cell, text = cells[i], _src(cells[i])
        if cell["cell_type"] == "code" and _hidden(cell) and text.startswith(OLD_HEAD):
            cells[i] = {
                "cell_type": "markdown",
                "id": cell["id"],
                "metadata": {},
                "source": _lines(_reference_markdown(text)),
            }
            changes.append(f"cell {i}: reference solution as a <details> block")
            last_exercise = i
        elif cell["cell_type"] == "code" and CHECK.search(text) and not _hidden(cell):
            fixed = re.sub(r"(\bcheck\([^\n]*\));[ \t]*$", r"\1", text, flags=re.M)
            if fixed != text:
                cell["source"] = _lines(fixed)
                changes.append(f"cell {i}: no ';' after check(...)")
        elif is_reference(cell):
            last_exercise = i
    if last_exercise is not None and not any(is_test_cell(c) for c in cells[start:end]):
        lesson = nb_path.name.split("_")[0]
        source = f'{TEST_COMMENT}\ncheck.references("{lesson}", globals())'
        cells.insert(
            last_exercise + 1,
            {
                "cell_type": "code",
                "execution_count": None,
                "id": _new_id(nb_path, source),
                "metadata": {"jupyter": {"source_hidden": True}},
                "outputs": [],
                "source": _lines(source),
            },
        )
        changes.append(f"cell {last_exercise + 1}: the collapsed test of the reference solutions")
    if changes:
        nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return changes


def lessons() -> list[Path]:
    "The course's lesson notebooks (numbered below 90)."
    return [p for p in sorted((ROOT / "nbs").glob("[0-9][0-9]*_*.ipynb")) if int(p.name[:2]) < 90]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="lesson notebooks (default: all lessons)"
    )
    parser.add_argument("--list", action="store_true", help="list the exercise cells, change nothing")
    args = parser.parse_args(argv)
    for path in args.notebooks or lessons():
        if args.list:
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            section = exercise_section(cells)
            if section:
                kinds = [
                    "reference"
                    if is_reference(c)
                    else "test"
                    if is_test_cell(c)
                    else "learner"
                    if c["cell_type"] == "code" and CHECK.search(_src(c))
                    else c["cell_type"]
                    for c in cells[section[0] : section[1]]
                ]
                print(f"{path.name}: cells {section[0]}-{section[1] - 1}: {' '.join(kinds)}")
            continue
        for change in convert(path):
            print(f"{path.name}: {change}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
