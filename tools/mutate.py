#!/usr/bin/env python3
"""Mutation testing for `nnfs/`: how many small, deliberate bugs does the test suite catch?

For each module it makes mutants of the kinds real bugs take (a swapped arithmetic operator or comparison, a
changed constant, `and`/`or` swapped, a `not` dropped, a `raise` removed, a different `axis`, a dropped
transpose, a `return` that returns None) and runs that module's tests against each mutant in a scratch copy
of the project, so the working tree is never touched. A mutant is *killed* when a test fails (or the run
times out) and *survives* when every test passes.

Only the tests that reach a mutant run against it: one coverage run per module (pytest-cov, one context per
test) maps each line of the module to the tests that execute it. A mutant on a line that no test executes in
the test process (it may run in a subprocess a test starts), or that runs at import (a module constant, a
default argument), gets every test of the module; if it survives, the table marks it "no test reaches it".
Without pytest-cov (`pip install pytest-cov`), or with `--all-tests`, every mutant gets every test.

Mutants listed in `tools/mutation_equivalents.txt` (the
same behavior as the original, so no test can kill them) are left out of the score, each with its reason
(a line `module:line:column:what  # reason`; `--list` prints the keys).

Usage:
    python tools/mutate.py                       # every module, table at the end
    python tools/mutate.py inference losses      # some modules
    python tools/mutate.py --list inference      # only list the mutants
    python tools/mutate.py --jobs 2 --json bench/results/mutation.json
    python tools/mutate.py --all-tests optimizers  # no coverage-based selection
    python tools/mutate.py --only survivors.txt model  # rerun some mutants (one key per line)
    python tools/mutate.py --only s.txt --tests test_model.py model  # with only some test files

It is a benchmark-style command (minutes to an hour), not part of CI.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "nnfs"
EQUIVALENTS = ROOT / "tools" / "mutation_equivalents.txt"

# tests that exercise each module beyond tests/test_<module>*.py
EXTRA_TESTS = {
    "core": ["test_exercises*.py"],
    "layers": ["test_gradcheck.py", "test_torch_oracle.py"],
    "activations": ["test_gradcheck.py", "test_torch_oracle.py"],
    "losses": ["test_gradcheck.py", "test_torch_oracle.py"],
    "_safeio": ["test_safeio.py", "test_serialization.py", "test_fuzz_model_file.py"],
    "serialization": ["test_fuzz_model_file.py"],
    "inference": ["test_cli.py"],
    "recipes": ["test_cli.py"],
    "cli": ["test_cli.py"],
    "exercises": ["test_exercises*.py", "test_course.py"],
    # a group of lessons' checkers: its own tests, those of every exercise, and the fingerprints
    "exercises_00_06": ["test_exercises_classes.py", "test_exercises_cases.py"],
    "exercises_07_13": ["test_exercises_classes.py", "test_exercises_cases.py"],
    "exercises_14_19": ["test_exercises_classes.py", "test_exercises_cases.py"],
    "exercises_20_24": ["test_exercises_classes.py", "test_exercises_cases.py", "test_exercises_23_24.py"],
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
    make: Callable[[], str]
    end_line: int = 0

    @property
    def source(self) -> str:
        "The whole module's source with this mutation applied."
        return self.make()

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
    """Every mutant of `nnfs/<module>.py`, in source order. A key that would repeat (two mutations of the
    same kind at one position, e.g. both comparisons of `a <= b <= c`) gets ` (2)`, ` (3)`... appended."""
    src = (PKG / f"{module}.py").read_text(encoding="utf-8")
    finder = _Finder()
    finder.visit(ast.parse(src))
    out, seen = [], {}
    for node, what, apply in finder.points:
        pos = (node.lineno, node.col_offset, what)
        seen[pos] = seen.get(pos, 0) + 1
        if seen[pos] > 1:
            what = f"{what} ({seen[pos]})"
        out.append(
            Mutant(
                module,
                node.lineno,
                node.col_offset,
                what,
                _unparser(src, node, apply),
                node.end_lineno or node.lineno,
            )
        )
    return out


def _unparser(src: str, node: ast.AST, apply) -> Callable[[], str]:
    "A function that makes the mutated source (only when the mutant is run: unparsing a module takes time)."

    def make() -> str:
        tree = _Replace(node, apply).visit(ast.parse(src))
        ast.fix_missing_locations(tree)
        return ast.unparse(tree)

    return make


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


def _env(scratch: Path) -> dict:
    # CI=true: the property tests draw the same examples in every run (the conftest's derandomized profile)
    return dict(os.environ, PYTHONPATH=str(scratch), PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg", CI="true")


def _pytest(args: list[str], scratch: Path, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=scratch,
        env=_env(scratch),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class _Broken(Exception):
    "The module's tests fail without any mutation."


@dataclass
class _Map:
    'Which tests execute each line of a module ("" stands for import time), and how long each test takes.'

    lines: dict[int, set[str]]
    seconds: dict[str, float]

    def order(self, ids) -> list[str]:
        "`ids` fastest first, so a mutant that a quick test kills costs little (`pytest -x` stops there)."
        return sorted(ids, key=lambda i: (self.seconds.get(i, 0.0), i))


_DURATION = re.compile(r"^([0-9.]+)s (?:setup|call|teardown)\s+(\S.*)$")


def _coverage_map(module: str, tests: list[str], scratch: Path, timeout: float) -> _Map | None:
    """Run the module's tests once under coverage, one context per test, with their durations.

    None when pytest-cov is missing (then every mutant gets every test). `_Broken` when the unmutated tests
    fail: the module cannot be scored (every mutant would count as killed)."""
    try:
        import coverage  # noqa: F401
        import pytest_cov  # noqa: F401
    except ImportError:
        return None
    data_file = scratch / f".coverage-{module}"
    rel = [f"tests/{Path(t).name}" for t in tests]
    cov = [
        f"--cov={scratch / 'nnfs'}",
        "--cov-context=test",
        "--cov-report=",
        "--durations=0",
        "--durations-min=0",
    ]
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *cov, *rel],
        cwd=scratch,
        env={**_env(scratch), "COVERAGE_FILE": str(data_file)},
        capture_output=True,
        text=True,
        timeout=timeout * 20,
    )
    if r.returncode != 0:
        raise _Broken((r.stdout + r.stderr)[-2000:])
    collected = _pytest(["--collect-only", *rel], scratch, timeout)
    known = {line.strip() for line in collected.stdout.splitlines() if "::" in line}
    seconds: dict[str, float] = dict.fromkeys(known, 0.0)
    for line in r.stdout.splitlines():
        m = _DURATION.match(line.strip())
        if m and m.group(2) in seconds:
            seconds[m.group(2)] += float(m.group(1))
    for (
        f
    ) in rel:  # a whole file stands for a test id that cannot be passed on (odd characters in a parameter)
        seconds[f] = sum(t for i, t in seconds.items() if i.startswith(f + "::"))
    from coverage import CoverageData

    data = CoverageData(basename=str(data_file))
    data.read()
    path = next((f for f in data.measured_files() if Path(f).name == f"{module}.py"), None)
    lines: dict[int, set[str]] = {}
    for line, contexts in ((data.contexts_by_lineno(path) or {}) if path else {}).items():
        ids = set()
        for c in contexts:
            nodeid = c.rsplit("|", 1)[0] if "|" in c else c
            ids.add(nodeid if (nodeid in known or not nodeid) else nodeid.split("::", 1)[0])
        lines[line] = ids
    lines[0] = set(known)  # every test (see _selected)
    return _Map(lines, seconds)


def _selected(m: Mutant, cmap: _Map | None, tests: list[str]) -> tuple[list[str], bool, float]:
    """The test ids to run against `m` (fastest first), whether a test reaches it in the test process, and
    how long they took unmutated (None: unknown).

    Every test when no test reaches it there, or when it runs at import."""
    if cmap is None:
        return [f"tests/{Path(t).name}" for t in tests], True, None
    ids = set().union(*(cmap.lines.get(n, set()) for n in range(m.line, m.end_line + 1)))
    reached = bool(ids)
    if not ids or "" in ids:
        ids = cmap.lines[0]
    chosen = cmap.order(ids)
    return chosen, reached, sum(cmap.seconds.get(i, 0.0) for i in chosen)


# Imported once by each test server, before it forks a child per mutant: the child starts in milliseconds
# instead of the seconds a new Python with NumPy, pytest and torch takes. nnfs itself is never preloaded.
_PRELOAD = ("numpy", "pytest", "hypothesis", "torch", "matplotlib.pyplot", "PIL.Image", "coverage")


def _serve(scratch: str) -> int:
    """Test server (run as `mutate.py --serve SCRATCH`): per request line `{"args": [...], "timeout": s}` it
    forks a child that runs pytest with those arguments in SCRATCH, and answers `{"rc": exit code or null}`
    (null: the child ran past the timeout and was killed with its process group)."""
    import importlib
    import signal

    os.chdir(scratch)
    sys.path.insert(0, scratch)
    for name in _PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    import pytest

    if "torch" in sys.modules:  # torch's first operations load much of it lazily (a second); one thread, so
        torch = sys.modules["torch"]  # no thread pool exists when the server forks
        torch.set_num_threads(1)
        x = torch.ones(3, 3, requires_grad=True)
        (x @ x).sum().backward()
        torch.optim.SGD([x], lr=0.1).step()
        torch.optim.Adam([x]).step()
    for line in sys.stdin:
        req = json.loads(line)
        pid = os.fork()
        if pid == 0:  # the child: its own process group, output discarded, exit code = pytest's
            os.setpgid(0, 0)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            try:
                rc = int(pytest.main(["-q", "-p", "no:cacheprovider", *req["args"]]))
            except BaseException:
                rc = 99
            os._exit(rc)
        deadline, rc = time.monotonic() + req["timeout"], None
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                rc = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                os.waitpid(pid, 0)
                break
            time.sleep(0.005)
        print(json.dumps({"rc": rc}), flush=True)
    return 0


class _Worker:
    "One worker's scratch copy of the project and its test server."

    def __init__(self):
        self.scratch = _scratch_copy()
        self.server = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve", str(self.scratch)],
            env=_env(self.scratch),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def refresh(self):
        "Copy the package and the tests into the scratch copy again (they may have changed since)."
        for name in ("nnfs", "tests"):
            shutil.rmtree(self.scratch / name, ignore_errors=True)
            shutil.copytree(ROOT / name, self.scratch / name, ignore=shutil.ignore_patterns("__pycache__"))

    def pytest(self, args: list[str], timeout: float) -> int | None:
        "pytest's exit code for `args` in the scratch copy, or None when it ran past `timeout` seconds."
        self.server.stdin.write(json.dumps({"args": args, "timeout": timeout}) + "\n")
        self.server.stdin.flush()
        return json.loads(self.server.stdout.readline())["rc"]

    def close(self):
        self.server.stdin.close()
        self.server.wait(timeout=60)
        shutil.rmtree(self.scratch, ignore_errors=True)


def _run(m: Mutant, selection: tuple[list[str], bool, float | None], timeout: float, worker: _Worker) -> str:
    """Run the selected tests against one mutant in a scratch copy: killed, survived, timeout or unreached.

    The time limit is `timeout`, or less when the tests took little time unmutated (a mutant that makes
    them hang is killed sooner)."""
    selected, reached, seconds = selection
    if seconds is not None:
        timeout = min(timeout, 20 + 5 * seconds)
    target = worker.scratch / "nnfs" / f"{m.module}.py"
    original = target.read_text(encoding="utf-8")
    target.write_text(m.source, encoding="utf-8")
    try:
        rc = worker.pytest(["-x", *selected], timeout)
    finally:
        target.write_text(original, encoding="utf-8")
    if rc is None:
        return "timeout"
    if rc != 0:
        return "killed"
    return "survived" if reached else "unreached"


def _worker(workers: dict[int, _Worker]) -> _Worker:
    "This thread's worker (made on first use)."
    tid = threading.get_ident()
    if tid not in workers:
        workers[tid] = _Worker()
    return workers[tid]


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
    p.add_argument("--serve", help=argparse.SUPPRESS)
    p.add_argument("--jobs", type=int, default=2, help="mutants run in parallel (default 2)")
    p.add_argument("--timeout", type=float, default=60, help="seconds per mutant before it counts as killed")
    p.add_argument("--list", action="store_true", help="only list the mutants")
    p.add_argument("--json", help="write the results to this JSON file")
    p.add_argument(
        "--only", help="run only these mutants: a file with one key per line (e.g. last run's survivors)"
    )
    p.add_argument(
        "--all-tests", action="store_true", help="run every test of the module against each mutant"
    )
    p.add_argument(
        "--tests",
        nargs="+",
        metavar="FILE",
        help="use only these test files (names in tests/) instead of the module's own",
    )
    args = p.parse_args(argv)
    if args.tests:  # `--tests a.py b.py exercises`: the names that are not test files are modules
        args.modules += [t for t in args.tests if not t.endswith(".py")]
        args.tests = [t for t in args.tests if t.endswith(".py")]
    if args.serve:
        return _serve(args.serve)
    mods = args.modules or sorted(f.stem for f in PKG.glob("*.py") if f.stem not in SKIP_MODULES)
    equiv = _equivalents()
    rows, survivors, results = [], [], {}
    workers: dict[int, _Worker] = {}
    pool = ThreadPoolExecutor(args.jobs)  # one pool for all modules: its threads keep their workers
    for mod in mods:
        ms = mutants(mod)
        if args.list:
            for m in ms:
                print(m.key)
            continue
        tests = _tests_for(mod, ROOT / "tests")
        if args.tests:
            tests = [str(ROOT / "tests" / Path(t).name) for t in args.tests]
            if missing := [t for t in tests if not Path(t).exists()]:
                p.error(f"no such test file: {', '.join(missing)}")
        if not tests:
            print(f"{mod}: no tests found (tests/test_{mod}*.py)")
            continue
        todo = [m for m in ms if m.key not in equiv]
        n_equiv = len(ms) - len(todo)
        if args.only:  # a partial run: the table counts only the mutants named
            wanted = {
                k.split("#")[0].strip() for k in Path(args.only).read_text(encoding="utf-8").splitlines()
            }
            todo = [m for m in todo if m.key in wanted]
            if not todo:
                continue
        t0 = time.perf_counter()
        for w in workers.values():  # the tests and the package as they are now (a test file may be new)
            w.refresh()
        try:
            cmap = (
                None if args.all_tests else _coverage_map(mod, tests, _worker(workers).scratch, args.timeout)
            )
            if cmap is None and _worker(workers).pytest(
                [f"tests/{Path(t).name}" for t in tests], 20 * args.timeout
            ):
                raise _Broken("see pytest's output")
        except _Broken as e:
            print(f"{mod}: NOT SCORED: its tests fail without any mutation:\n{e}", flush=True)
            continue
        outcome = list(
            pool.map(lambda m: _run(m, _selected(m, cmap, tests), args.timeout, _worker(workers)), todo)
        )
        killed = sum(s in ("killed", "timeout") for s in outcome)
        surv = [m for m, s in zip(todo, outcome) if s in ("survived", "unreached")]
        unreached = {m.key for m, s in zip(todo, outcome) if s == "unreached"}
        survivors += surv
        score = killed / len(todo) if todo else 1.0
        rows.append((mod, len(ms), n_equiv, len(todo), killed, score, time.perf_counter() - t0))
        results[mod] = {
            "mutants": len(ms),
            "equivalent": n_equiv,
            "killed": killed,
            "score": score,
            "survivors": [m.key for m in surv],
            "unreached": sorted(unreached),
        }
        print(
            f"{mod}: {killed}/{len(todo)} killed ({score:.1%}), {n_equiv} equivalent, "
            f"{time.perf_counter() - t0:.0f} s",
            flush=True,
        )
        for m in surv:
            print(f"  survived: {m.key}{'  (no test reaches it)' if m.key in unreached else ''}", flush=True)
    pool.shutdown()
    for w in workers.values():
        w.close()
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
