"""The course's own rules, checked on every notebook in nbs/ (the notebooks are the course; these are its
lints).

- The test set is touched only by the final results of lessons 16, 20 and 22 (lesson 15 only loads the files).
- Every lesson opens in JupyterLab without a kernel dialog and ends with previous/home/next links.
- Imports sit in cells of their own (nbdev's docs processing executes import cells alone).
- Every exercise has a learner cell with a `check("LL.N", ...)` call, followed by its reference solution
  as a Markdown `<details>` block (which never runs); the exercise section ends with one collapsed, silent
  cell that proves the reference solutions under nbdev-test, links to its checkers, and stores only "not
  attempted yet" under the learner cells (no answer, no "passed").
- Every exercise that a notebook checks is registered in `nnfs.exercises`, and every registered exercise is
  covered by a test that proves its checker accepts the reference and rejects wrong answers
  (tests/test_exercises_*.py).
"""

import importlib.util
import json
import re
from pathlib import Path

import pytest

from nnfs import exercises as ex

ROOT = Path(__file__).resolve().parent.parent
NBS = sorted((ROOT / "nbs").glob("[0-9][0-9]*_*.ipynb"))
LESSONS = [p for p in NBS if int(p.name[:2]) < 90]
HEAD = "# Reference solution: open it after you have tried."  # the old form, in a code cell
GROUPS = {"91_exercises_00_06": range(0, 7), "92_exercises_07_13": range(7, 14),
          "93_exercises_14_19": range(14, 20), "94_exercises_20_24": range(20, 25)}
TEST_SET = re.compile(r"\b(X_test|y_test|fashion_mnist_test|t10k)\b")
TEST_SET_LESSONS = {"15", "16", "20", "22"}  # 15 loads the files; 16, 20 and 22 report their final result


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _src(cell: dict) -> str:
    return "".join(cell["source"])


def _hidden(cell: dict) -> bool:
    return bool(cell.get("metadata", {}).get("jupyter", {}).get("source_hidden"))


def _code(path: Path) -> list[tuple[int, str, dict]]:
    return [(i, _src(c), c) for i, c in enumerate(_cells(path)) if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", NBS, ids=lambda p: p.name)
def test_test_set_only_in_final_results(path):
    if path.name[:2] in TEST_SET_LESSONS:
        return
    used = [i for i, s, _ in _code(path) if TEST_SET.search(s)]
    assert not used, f"{path.name} cells {used} use the test set; use nnfs.datasets.fashion_mnist_split()"


def test_test_set_rule_catches_a_violation(tmp_path):
    "The rule above can fail: a lesson that evaluates on X_test is caught."
    nb = {"cells": [{"cell_type": "code", "source": "model.evaluate(X_test, y_test)", "metadata": {}}]}
    p = tmp_path / "18_x.ipynb"
    p.write_text(json.dumps(nb))
    assert [i for i, s, _ in _code(p) if TEST_SET.search(s)] == [0]


@pytest.mark.parametrize("path", NBS + [ROOT / "nbs" / "index.ipynb"], ids=lambda p: p.name)
def test_notebook_opens_without_kernel_dialog(path):
    "A kernelspec, and an id on every cell (JupyterLab adds missing ids and marks the notebook unsaved)."
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3", (
        f"{path.name} has no python3 kernelspec"
    )
    missing = [i for i, c in enumerate(nb["cells"]) if not c.get("id")]
    assert not missing, f"{path.name}: cells {missing} have no id"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_ends_with_navigation(path):
    last = _src(_cells(path)[-1])
    assert "[Course home](index.ipynb)" in last, f"{path.name} does not end with links to the home page"
    for target in re.findall(r"\]\(([^)]+\.ipynb)\)", last):
        assert (ROOT / "nbs" / target).exists(), f"{path.name} links to missing {target}"


@pytest.mark.parametrize("path", NBS, ids=lambda p: p.name)
def test_imports_in_cells_of_their_own(path):
    for i, s, _ in _code(path):
        if re.search(r"^#\|\s*exports?\b", s, re.M):
            continue
        lines = [ln for ln in s.splitlines() if ln.strip() and not ln.startswith("#")]
        imports = [ln for ln in lines if re.match(r"(import|from)\s", ln)]
        assert not imports or len(imports) == len(lines), (
            f"{path.name} cell {i} mixes imports with other code"
        )


def _exercise_section(cells: list[dict]) -> list[tuple[int, dict]]:
    "The exercise section: from the cell that starts with `## Exercises` to the next `## ` or `---`."
    start = next((i for i, c in enumerate(cells) if c["cell_type"] == "markdown"
                  and _src(c).startswith("## Exercises")), None)
    if start is None:
        return []
    out = [(start, cells[start])]
    for i in range(start + 1, len(cells)):
        if cells[i]["cell_type"] == "markdown" and re.match(r"(## |---)", _src(cells[i])):
            break
        out.append((i, cells[i]))
    return out


def _exercise_numbers(path: Path) -> list[str]:
    "Numbers of the exercises: bold `**Exercise N.**` or `**N.**` openings in the exercise section."
    section = "\n".join(_src(c) for _, c in _exercise_section(_cells(path)) if c["cell_type"] == "markdown")
    return sorted(set(re.findall(r"^\*\*(?:Exercise )?(\d+)\.", section, re.M)), key=int)


REFERENCE = re.compile(
    r"\A<details><summary>Reference solution \(open it after you have tried\)</summary>\n\n"
    r"```python\n(?P<code>.*?)\n```\n\n</details>\Z", re.S)
CHECKED = re.compile(r"""\bcheck\(\s*["'](\w+\.\d+)["']""")


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_no_reference_solution_is_code(path):
    "Reference solutions are Markdown blocks: no code cell can run one by accident (Run All, Shift-Enter)."
    for i, s, c in _code(path):
        assert not s.startswith(HEAD), f"{path.name} cell {i}: a reference solution in a code cell"
        if _hidden(c):
            assert "check.references(" in s, f"{path.name} cell {i}: collapsed, not the test"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_every_exercise_is_graded(path):
    "Each exercise: a learner cell with its check, right after it its reference block, a registered checker."
    lesson = path.name.split("_")[0]
    appendix = _src(_cells(path)[0]).startswith("# Appendix")
    numbers = _exercise_numbers(path)
    assert numbers or appendix, f"{path.name} has no '## Exercises' section with numbered exercises"
    section = _exercise_section(_cells(path))
    keys = []
    for (i, cell), (_, after) in zip(section, section[1:]):
        found = CHECKED.findall(_src(cell))
        if cell["cell_type"] != "code" or _hidden(cell) or not found:
            continue
        key = found[-1]
        keys.append(key)
        block = REFERENCE.match(_src(after))
        assert after["cell_type"] == "markdown" and block, (
            f"{path.name} cell {i}: exercise {key} is not followed by its reference solution block")
        assert CHECKED.findall(block["code"])[-1:] == [key], (
            f"{path.name}: the reference after cell {i} does not end with check({key!r}, ...)")
        assert "strict=True" not in block["code"], f"{path.name}: the reference of {key} is checked strictly"
    assert keys == [f"{lesson}.{n}" for n in numbers], (
        f"{path.name}: learner cells {keys}, exercises {numbers}")
    if numbers:
        assert keys == ex.exercises(lesson), f"{path.name}: exercises {keys}, checkers {ex.exercises(lesson)}"


@pytest.mark.parametrize("path", [p for p in LESSONS if _exercise_numbers(p)], ids=lambda p: p.name)
def test_exercise_section_ends_with_its_silent_test(path):
    "One collapsed cell after the last reference proves them all under nbdev-test; it stores no output."
    lesson = path.name.split("_")[0]
    section = _exercise_section(_cells(path))
    tests = [(i, c) for i, c in section if c["cell_type"] == "code" and "check.references(" in _src(c)]
    assert len(tests) == 1, f"{path.name}: {len(tests)} cells call check.references, expected one"
    i, cell = tests[0]
    assert f'check.references("{lesson}", globals())' in _src(cell) and _hidden(cell)
    assert not cell.get("outputs"), f"{path.name} cell {i}: the test of the reference solutions has output"
    last = max(j for j, c in section if REFERENCE.match(_src(c)))
    assert i == last + 1, f"{path.name}: the test cell {i} is not right after the last reference ({last})"


@pytest.mark.parametrize("path", [p for p in LESSONS if _exercise_numbers(p)], ids=lambda p: p.name)
def test_stored_outputs_give_nothing_away(path):
    "As stored (a fresh Run All), every learner cell says 'not attempted yet', and nothing passed or echoed."
    for i, cell in _exercise_section(_cells(path)):
        if cell["cell_type"] != "code" or not CHECKED.search(_src(cell)) or _hidden(cell):
            continue
        texts = ["".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                 for o in cell.get("outputs", [])]
        out = "".join(texts)
        key = CHECKED.findall(_src(cell))[-1]
        assert f"Exercise {key} (" in out and "not attempted yet" in out, (
            f"{path.name} cell {i}: the stored output of exercise {key} is {out!r}")
        assert not re.search(r"passed|Expected:|\bTrue\b", out), f"{path.name} cell {i} gives away: {out!r}"


@pytest.mark.parametrize("path", [p for p in LESSONS if _exercise_numbers(p)], ids=lambda p: p.name)
def test_exercise_section_says_where_its_checkers_are(path):
    intro = _src(_exercise_section(_cells(path))[0][1])
    n = int(path.name[:2])
    group = next(g for g, r in GROUPS.items() if n in r)
    assert f"]({group}.ipynb)" in intro, f"{path.name}: the exercise section does not link to {group}.ipynb"


def _covered() -> dict[str, tuple]:
    cases = {}
    for f in sorted((ROOT / "tests").glob("test_exercises_*.py")):
        spec = importlib.util.spec_from_file_location(f.stem, f)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        cases.update(getattr(mod, "CASES", {}))
    return cases


def test_every_checker_is_proven_able_to_fail():
    covered = _covered()
    missing = [k for k in ex.exercises() if k not in covered and not k.startswith("90.")]
    assert not missing, f"exercises without a test of a wrong answer in tests/test_exercises_*.py: {missing}"
    for key, (_, wrong) in covered.items():
        assert wrong, f"{key}: CASES lists no wrong answer"
