#!/usr/bin/env python3
"""Mutation testing for `nnfs/`: how many small, deliberate bugs does the test suite catch?

For each module it makes mutants of the kinds real bugs take (a swapped arithmetic operator or comparison, a
changed constant, `and`/`or` swapped, a `not` dropped, a `raise` removed, a different `axis`, a dropped
transpose, a `return` that returns None) and runs that module's tests against each mutant in a scratch copy
of the project, so the working tree is never touched. A mutant is *killed* when a test fails (or the run
times out) and *survives* when every test passes. Mutants listed in `tools/mutation_equivalents.txt` (the
same behavior as the original, so no test can kill them) are left out of the score, each with its reason
(a line `module:line:column:what  # reason`; `--list` prints the keys).

Usage:
    python tools/mutate.py                       # every module, table at the end
    python tools/mutate.py inference losses      # some modules
    python tools/mutate.py --list inference      # only list the mutants
    python tools/mutate.py --jobs 2 --json bench/results/mutation.json

It is a benchmark-style command (minutes to an hour), not part of CI.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "nnfs"
EQUIVALENTS = ROOT / "tools" / "mutation_equivalents.txt"

# tests that exercise each module beyond tests/test_<module>*.py
EXTRA_TESTS = {
    "core": ["test_exercises*.py"],
    "layers": ["test_gradcheck.py", "test_torch_oracle.py"],
    "activations": ["test_gradcheck.py", "test_torch_oracle.py"],
    "losses": ["test_gradcheck.py", "test_torch_oracle.py"],
    "_safeio": ["test_serialization.py", "test_fuzz_model_file.py"],
    "serialization": ["test_fuzz_model_file.py"],
    "inference": ["test_cli.py"],
    "recipes": ["test_cli.py"],
    "cli": ["test_cli.py"],
    "exercises": ["test_exercises*.py", "test_course.py"],
}
SKIP_MODULES = {"__init__", "_modidx"}  # modules whose name starts with "_" are kept when named

_SWAP_BIN = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Pow: ast.Mult,
    ast.Mod: ast.FloorDiv,
}
_SWAP_CMP = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}


@dataclass
class Mutant:
    "One mutation: where it is, what it does, and the mutated source of the whole module."

    module: str
    line: int
    col: int
    what: str
    source: str

    @property
    def key(self) -> str:
        return f"{self.module}:{self.line}:{self.col}:{self.what}"


class _Finder(ast.NodeVisitor):
    "Collects (node, description, apply-function) for every mutation point, in source order."

    def __init__(self):
        self.points = []
        self._in_docstring = set()

    def _add(self, node, what, apply):
        self.points.append((node, what, apply))

    def visit_BinOp(self, node):
        new = _SWAP_BIN.get(type(node.op))
        if new:
            self._add(
                node,
                f"{type(node.op).__name__} -> {new.__name__}",
                lambda n, new=new: setattr(n, "op", new()),
            )
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        new = _SWAP_BIN.get(type(node.op))
        if new:
            self._add(
                node,
                f"{type(node.op).__name__}= -> {new.__name__}=",
                lambda n, new=new: setattr(n, "op", new()),
            )
        self.generic_visit(node)

    def visit_Compare(self, node):
        for i, op in enumerate(node.ops):
            new = _SWAP_CMP.get(type(op))
            if new:

                def apply(n, i=i, new=new):
                    n.ops[i] = new()

                self._add(node, f"{type(op).__name__} -> {new.__name__}", apply)
        self.generic_visit(node)

    def visit_BoolOp(self, node):
        new = ast.Or if isinstance(node.op, ast.And) else ast.And
        self._add(
            node, f"{type(node.op).__name__} -> {new.__name__}", lambda n, new=new: setattr(n, "op", new())
        )
        self.generic_visit(node)

    def visit_UnaryOp(self, node):
        if isinstance(node.op, (ast.Not, ast.USub)):
            self._add(node, f"drop {type(node.op).__name__}", "unwrap")
        self.generic_visit(node)

    def visit_Constant(self, node):
        v = node.value
        if isinstance(v, bool):
            self._add(node, f"{v} -> {not v}", lambda n: setattr(n, "value", not n.value))
        elif isinstance(v, int):
            self._add(node, f"{v} -> {v + 1}", lambda n: setattr(n, "value", n.value + 1))
        elif isinstance(v, float):
            new = 0.0 if v == 1.0 else (1.0 if v == 0.0 else v * 2)
            self._add(node, f"{v!r} -> {new!r}", lambda n, new=new: setattr(n, "value", new))

    def visit_Raise(self, node):
        self._add(node, "remove raise", "pass")
        self.generic_visit(node)

    def visit_Return(self, node):
        if node.value is not None and not (isinstance(node.value, ast.Constant) and node.value.value is None):
            self._add(node, "return None", lambda n: setattr(n, "value", None))
        self.generic_visit(node)

    def visit_keyword(self, node):
        if node.arg == "axis" and isinstance(node.value, ast.Constant) and isinstance(node.value.value, int):
            new = 0 if node.value.value != 0 else 1
            self._add(
                node,
                f"axis={node.value.value} -> axis={new}",
                lambda n, new=new: setattr(n.value, "value", new),
            )
        self.generic_visit(node)

    def visit_Attribute(self, node):
        if node.attr == "T":
            self._add(node, "drop .T", "unwrap_attr")
        self.generic_visit(node)

    def visit_Expr(self, node):  # docstrings and other bare constants are not code
        if isinstance(node.value, ast.Constant):
            return
        self.generic_visit(node)


class _Replace(ast.NodeTransformer):
    "Applies one mutation point (found by position) to a fresh tree."

    def __init__(self, target, apply):
        self.target, self.apply = target, apply

    def _match(self, node):
        t = self.target
        return (
            type(node) is type(t)
            and getattr(node, "lineno", None) == t.lineno
            and getattr(node, "col_offset", None) == t.col_offset
            and getattr(node, "end_col_offset", None) == t.end_col_offset
        )

    def generic_visit(self, node):
        node = super().generic_visit(node)
        if not self._match(node):
            return node
        if self.apply == "unwrap":
            return node.operand
        if self.apply == "unwrap_attr":
            return node.value
        if self.apply == "pass":
            return ast.Pass()
        self.apply(node)
        return node


def mutants(module: str) -> list[Mutant]:
    "Every mutant of `nnfs/<module>.py`, in source order."
    src = (PKG / f"{module}.py").read_text(encoding="utf-8")
    finder = _Finder()
    finder.visit(ast.parse(src))
    out = []
    for node, what, apply in finder.points:
        tree = _Replace(node, apply).visit(ast.parse(src))
        ast.fix_missing_locations(tree)
        try:
            new_src = ast.unparse(tree)
        except Exception:
            continue
        out.append(Mutant(module, node.lineno, node.col_offset, what, new_src))
    return out


def _tests_for(module: str, tests_dir: Path) -> list[str]:
    "Test files for `module`: tests/test_<module>*.py plus the extra ones mapped above."
    pats = [f"test_{module}.py", f"test_{module}_*.py"] + EXTRA_TESTS.get(module, [])
    files = sorted({str(p) for pat in pats for p in tests_dir.glob(pat)})
    return files


def _scratch_copy() -> Path:
    "A scratch copy of the package and the tests, so mutants never touch the working tree."
    d = Path(tempfile.mkdtemp(prefix="nnfs-mutate-"))
    shutil.copytree(PKG, d / "nnfs", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "tests", d / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    for extra in ("tools", "nbs", "bench", "README.md", "settings.ini", "pyproject.toml", ".ci"):
        p = ROOT / extra
        if p.is_dir():
            shutil.copytree(p, d / extra, ignore=shutil.ignore_patterns("__pycache__", "*.ipynb_checkpoints"))
        elif p.exists():
            shutil.copy(p, d / extra)
    return d


def _run(m: Mutant, tests: list[str], timeout: float, scratch: Path) -> str:
    "Run the tests against one mutant in a scratch copy: 'killed', 'survived' or 'timeout'; then restore it."
    target = scratch / "nnfs" / f"{m.module}.py"
    original = target.read_text(encoding="utf-8")
    target.write_text(m.source, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(scratch), PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
    rel = [str(scratch / "tests" / Path(t).name) for t in tests]
    try:
        r = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *rel],
            cwd=scratch,
            env=env,
            capture_output=True,
            timeout=timeout,
        )
        return "survived" if r.returncode == 0 else "killed"
    except subprocess.TimeoutExpired:
        return "timeout"
    finally:
        target.write_text(original, encoding="utf-8")


def _worker_copy(scratches: dict[int, Path]) -> Path:
    "This worker thread's own scratch copy (made on first use)."
    tid = threading.get_ident()
    if tid not in scratches:
        scratches[tid] = _scratch_copy()
    return scratches[tid]


def _equivalents() -> dict[str, str]:
    "Mutants judged equivalent: `module:line:column:what  # reason` per line."
    out = {}
    if EQUIVALENTS.exists():
        for line in EQUIVALENTS.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            key, _, reason = line.partition("#")
            out[key.strip()] = reason.strip()
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("modules", nargs="*", help="modules of nnfs/ (default: all)")
    p.add_argument("--jobs", type=int, default=2, help="mutants run in parallel (default 2)")
    p.add_argument("--timeout", type=float, default=120, help="seconds per mutant before it counts as killed")
    p.add_argument("--list", action="store_true", help="only list the mutants")
    p.add_argument("--json", help="write the results to this JSON file")
    args = p.parse_args(argv)
    mods = args.modules or sorted(f.stem for f in PKG.glob("*.py") if f.stem not in SKIP_MODULES)
    equiv = _equivalents()
    rows, survivors, results = [], [], {}
    scratches: dict[int, Path] = {}
    for mod in mods:
        ms = mutants(mod)
        if args.list:
            for m in ms:
                print(m.key)
            continue
        tests = _tests_for(mod, ROOT / "tests")
        if not tests:
            print(f"{mod}: no tests found (tests/test_{mod}*.py)")
            continue
        todo = [m for m in ms if m.key not in equiv]
        t0 = time.perf_counter()
        with ThreadPoolExecutor(args.jobs) as ex:
            outcome = list(ex.map(lambda m: _run(m, tests, args.timeout, _worker_copy(scratches)), todo))
        killed = sum(s != "survived" for s in outcome)
        surv = [m for m, s in zip(todo, outcome) if s == "survived"]
        survivors += surv
        score = killed / len(todo) if todo else 1.0
        rows.append((mod, len(ms), len(ms) - len(todo), len(todo), killed, score, time.perf_counter() - t0))
        results[mod] = {
            "mutants": len(ms),
            "equivalent": len(ms) - len(todo),
            "killed": killed,
            "score": score,
            "survivors": [m.key for m in surv],
        }
        print(
            f"{mod}: {killed}/{len(todo)} killed ({score:.1%}), {len(ms) - len(todo)} equivalent, "
            f"{time.perf_counter() - t0:.0f} s",
            flush=True,
        )
        for m in surv:
            print(f"  survived: {m.key}", flush=True)
    for d in scratches.values():
        shutil.rmtree(d, ignore_errors=True)
    if args.list:
        return 0
    print("\n| module | mutants | equivalent | scored | killed | score |\n|---|---|---|---|---|---|")
    for mod, n, eq, sc, k, s, _ in rows:
        print(f"| {mod} | {n} | {eq} | {sc} | {k} | {s:.1%} |")
    tot_sc, tot_k = sum(r[3] for r in rows), sum(r[4] for r in rows)
    if tot_sc:
        print(
            f"| overall | {sum(r[1] for r in rows)} | {sum(r[2] for r in rows)} | {tot_sc} | {tot_k} | "
            f"{tot_k / tot_sc:.1%} |"
        )
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
