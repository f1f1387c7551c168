#!/usr/bin/env python3
"""Open the course in JupyterLab, on its home page (nbs/index.ipynb).

Usage (from the repository, with the Python that has the course installed: `pip install -e ".[course]"`):
    .venv/bin/python tools/lab.py                 # opens a browser tab; Ctrl+C twice stops JupyterLab
    .venv/bin/python tools/lab.py --no-browser    # any other option goes to `jupyter lab` as it is
    .venv/bin/python tools/lab.py --dry-run       # print the command instead of running it

What it adds to a plain `jupyter lab nbs/`:
- `--allow-root` when run as root (the usual case in a container), and only then: JupyterLab refuses to start
  as root without it;
- nbdev's pre-save hook (`[tool.nbdev] jupyter_hooks = true` in pyproject.toml), so every save writes the
  notebook as `nbdev-clean` would: no execution counts and none of the metadata JupyterLab adds when a kernel
  starts. Opening and running a lesson then leaves `git status` clean unless an output really changed.
"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT / "nbs"
HOME = "index.ipynb"
SETUP = '.venv/bin/pip install -e ".[course]"'


def command(extra: list[str], is_root: bool) -> list[str]:
    "The `jupyter lab` command line: the course's folder, its home page, the clean-on-save hook, `extra`."
    cmd = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={NBS}",
           f"--LabApp.default_url=/lab/tree/{HOME}",
           # the hook receives the notebook's path relative to the course folder, which is the working folder
           "--ContentsManager.pre_save_hook=nbdev.clean.clean_jupyter"]
    if is_root and "--allow-root" not in extra: cmd.append("--allow-root")
    return cmd + extra


def missing() -> list[str]:
    "The packages this Python lacks to run the course."
    return [m for m in ("jupyterlab", "nbdev", "nnfs") if importlib.util.find_spec(m) is None]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    dry = "--dry-run" in argv
    extra = [a for a in argv if a != "--dry-run"]
    lacking = missing()
    if lacking:
        print(f"tools/lab.py: {', '.join(lacking)} not installed in {sys.executable}; "
              f"from the repository run: {SETUP}", file=sys.stderr)
        return 1
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    cmd = command(extra, is_root)
    if dry:
        print(" ".join(cmd))
        return 0
    os.chdir(NBS)
    if os.name == "posix":  # JupyterLab takes over this process, so Ctrl+C reaches it alone
        os.execv(sys.executable, cmd)
    return subprocess.call(cmd)


if __name__ == "__main__":
    raise SystemExit(main())
