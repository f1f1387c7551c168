#!/usr/bin/env python3
"""Write README.md from nbs/index.ipynb, the course's home page (Quarto, and so `nbdev-readme`, is not
needed).

Usage:
    python tools/build_readme.py           # (re)write README.md
    python tools/build_readme.py --check   # exit 1 if README.md is not what index.ipynb gives
"""

import argparse
import re
import sys
from pathlib import Path

import nbformat
from nbconvert import MarkdownExporter

ROOT = Path(__file__).resolve().parent.parent
INDEX, README = ROOT / "nbs" / "index.ipynb", ROOT / "README.md"
FOOTER = (
    "<!-- Generated from nbs/index.ipynb by tools/build_readme.py: edit the notebook, not this file. -->\n"
)


def render() -> str:
    "README text: the notebook's cells as Markdown (nbdev's `> summary` line kept as a quote), plus a footer."
    nb = nbformat.read(INDEX, as_version=4)
    # notebooks store no language_info (JupyterLab rewrites it); nbconvert names code blocks' language from it
    nb.metadata.setdefault("language_info", {"name": "python"})
    for i, cell in enumerate(nb.cells):  # `#| echo: false` cells show their output only, as in nbdev's docs
        if cell.cell_type == "code" and cell.source.startswith("#| echo: false"):
            md = [o.get("data", {}).get("text/markdown", "") for o in cell.get("outputs", [])]
            nb.cells[i] = nbformat.v4.new_markdown_cell("\n\n".join(m for m in md if m))
    body, _ = MarkdownExporter(exclude_output=False).from_notebook_node(nb)
    lines = [line.rstrip() for line in body.strip().splitlines()]
    out, blank = [], False
    for line in lines:  # collapse runs of blank lines so the output does not depend on cell boundaries
        if line == "" and blank:
            continue
        out.append(line)
        blank = line == ""
    text = "\n".join(out)
    # the home page links lessons as siblings (inside nbs/, for JupyterLab); the README sits one folder up
    text = re.sub(r"\]\((?!https?:|nbs/|#|\.\./)([^)]+\.ipynb)\)", r"](nbs/\1)", text)
    text = re.sub(r"\]\(\.\./([^)]+)\)", r"](\1)", text)  # links out of nbs/ (../CONTRIBUTING.md)
    return text + "\n\n" + FOOTER


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="only check that README.md is up to date")
    args = p.parse_args(argv)
    text = render()
    if args.check:
        if not README.exists() or README.read_text(encoding="utf-8") != text:
            print("README.md is stale: run `python tools/build_readme.py` and commit it", file=sys.stderr)
            return 1
        print("README.md is up to date with nbs/index.ipynb")
        return 0
    README.write_text(text, encoding="utf-8")
    print(f"wrote {README.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
