"""The course's own rules, checked on every notebook in nbs/ (the notebooks are the course; these are its
lints).

- The test set is touched only by the final results of lessons 16, 20 and 22 (lesson 15 only loads the files).
- Every lesson opens in JupyterLab without a kernel dialog and ends with previous/home/next links.
- Imports sit in cells of their own (nbdev's docs processing executes import cells alone).
- Every exercise has a learner cell with a `check("LL.N", ...)` call and a collapsed reference solution that
  passes its checker strictly, with a neutral first line and no stored output (no spoilers).
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
HEAD = "# Reference solution: open it after you have tried."
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


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_solutions_are_collapsed_and_silent(path):
    for i, s, c in _code(path):
        if _hidden(c):
            assert s.startswith(HEAD), f"{path.name} cell {i}: a collapsed cell must start with {HEAD!r}"
            assert not c.get("outputs"), (
                f"{path.name} cell {i}: a collapsed solution keeps outputs (a spoiler)"
            )
        elif s.startswith(HEAD):
            pytest.fail(f"{path.name} cell {i}: a reference solution that is not collapsed")


def _exercise_numbers(path: Path) -> list[str]:
    "Numbers of the exercises: bold `**Exercise N.**` or `**N.**` openings after the `## Exercises` heading."
    md = "\n".join(_src(c) for c in _cells(path) if c["cell_type"] == "markdown")
    _, found, section = md.partition("## Exercises")
    if not found:
        return []
    section = re.split(r"^## ", section, flags=re.M)[0]
    return sorted(set(re.findall(r"^\*\*(?:Exercise )?(\d+)\.", section, re.M)), key=int)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_every_exercise_is_graded(path):
    lesson = path.name[:2]
    appendix = _src(_cells(path)[0]).startswith("# Appendix")
    assert _exercise_numbers(path) or appendix, (
        f"{path.name} has no '## Exercises' section with numbered exercises"
    )
    code = [(s, c) for _, s, c in _code(path)]
    for n in _exercise_numbers(path):
        key = f"{lesson}.{n}"
        learner = [s for s, c in code if not _hidden(c) and re.search(rf"check\(\s*[\"']{key}[\"']", s)]
        reference = [
            s for s, c in code if _hidden(c) and re.search(rf"check\(\s*[\"']{key}[\"'].*strict=True", s)
        ]
        assert learner, f"{path.name}: exercise {key} has no learner cell calling check({key!r}, ...)"
        assert reference, f"{path.name}: exercise {key} has no collapsed reference solution checked strictly"
        assert key in ex.exercises(lesson), f"{path.name}: exercise {key} has no registered checker"


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
