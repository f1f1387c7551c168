#!/usr/bin/env python3
"""Build the package as it would be published and prove that both artifacts work.

    python tools/check_dist.py            # build; install each artifact in a clean venv; README example
    python tools/check_dist.py --keep D   # also keep the sdist and the wheel in folder D

Steps: `python -m build` (the source distribution, then the wheel built from it, in isolated environments);
then for the wheel and for the sdist: a new virtual environment, `pip install ARTIFACT` (core dependencies
only, no extras), the README's usage example run from an empty folder (so the installed package is the one
imported, never the repository's), and `nnfs --version`. The example's printed accuracy must agree with the
README's within 0.02. Exits 1 on the first failure.
"""
import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_example() -> tuple[str, float]:
    "The README's usage example (its Python blocks) and the accuracy the README shows it printing."
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Using the package", 1)[1].split("\n## ", 1)[0]
    code = "\n".join(re.findall(r"```python\n(.*?)```", section, flags=re.S))
    printed = re.search(r"training accuracy after 2,000 epochs: (\d\.\d+)", section)
    if "Model(" not in code or printed is None:
        raise SystemExit("README.md: no usage example with its printed accuracy under '## Using the package'")
    return code, float(printed.group(1))


def run(cmd: list, **kw) -> str:
    "Run `cmd`; on failure print its output and stop."
    res = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if res.returncode:
        print(res.stdout[-3000:], res.stderr[-3000:], sep="\n", file=sys.stderr)
        raise SystemExit(f"failed ({res.returncode}): {' '.join(map(str, cmd))}")
    return res.stdout


def check(artifact: Path, work: Path, code: str, shown: float) -> None:
    "Install `artifact` alone in a new venv and run the README example and `nnfs --version` with it."
    t0 = time.perf_counter()
    venv = work / f"venv-{artifact.suffix.strip('.') or 'sdist'}"
    run([sys.executable, "-m", "venv", venv])
    py = venv / ("Scripts" if sys.platform == "win32" else "bin") / "python"
    run([py, "-m", "pip", "install", "-q", artifact])
    empty = work / "empty"
    empty.mkdir(exist_ok=True)
    (empty / "example.py").write_text(code + "\nimport nnfs as _n; print('imported from', _n.__file__)\n")
    out = run([py, "example.py"], cwd=empty)
    got = float(re.search(r"training accuracy after 2,000 epochs: (\d\.\d+)", out).group(1))
    origin = out.strip().splitlines()[-1]
    if str(venv) not in origin:
        raise SystemExit(f"{artifact.name}: the example did not import the installed package ({origin})")
    if abs(got - shown) > 0.02:
        raise SystemExit(f"{artifact.name}: the README example printed {got}, the README shows {shown}")
    version = run([py.parent / "nnfs", "--version"], cwd=empty).strip()  # the console script is installed
    print(f"{artifact.name}: installed in a clean venv, README example {got:.3f} (README: {shown}), "
          f"{version} ({time.perf_counter() - t0:.0f} s)")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--keep", type=Path, help="copy the built sdist and wheel into this folder")
    args = p.parse_args(argv)
    code, shown = readme_example()
    with tempfile.TemporaryDirectory(prefix="nnfs-dist-") as tmp:
        work, dist = Path(tmp), Path(tmp) / "dist"
        t0 = time.perf_counter()
        run([sys.executable, "-m", "build", "--outdir", dist, ROOT])
        sdist, = dist.glob("*.tar.gz")
        wheel, = dist.glob("*.whl")
        print(f"built {sdist.name} ({sdist.stat().st_size:,} B) and {wheel.name} "
              f"({wheel.stat().st_size:,} B) in {time.perf_counter() - t0:.0f} s")
        for artifact in (wheel, sdist): check(artifact, work, code, shown)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for a in (sdist, wheel): shutil.copy2(a, args.keep / a.name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
