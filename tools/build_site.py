#!/usr/bin/env python3
"""Build the course website with Jupyter Book 1, offline, from the notebooks' stored outputs (nothing runs).

Usage:
    python tools/build_site.py            # build into _build/html (open _build/html/index.html)
    python tools/build_site.py --strict   # fail on any Sphinx warning

What the build does, on temporary copies in _build/src (the notebooks in nbs/ are never changed):
- home page nbs/index.ipynb, the lessons nbs/NN_*.ipynb (and NNa_*.ipynb) in course order, the appendices
  numbered 90 and up (exercise checkers, reading the book, glossary) in a part of their own, one API page per
  module of `nnfs` in the order the course meets them (Sphinx autodoc of the docstrings, with links to the
  highlighted source), and the repository's documents the notebooks link to (CONTRIBUTING.md);
- an exercise's cell shows the task's code and its `check` line, without the stored "not attempted yet"
  verdict, marked as an exercise; reference solutions stay collapsed (a Markdown `<details>` block, or a code
  cell with metadata jupyter.source_hidden behind a "Show reference solution" toggle, with no output);
- progress output keeps only what a terminal shows at the end (the last state of each `\\r`-updated line);
  blanked or widget outputs are left out (no empty boxes);
- nbdev's `show_doc` Markdown loses its leading `---` (docutils reads it as a transition and fails) and its
  dead "[source]" link; nbdev's `#|` directive lines are dropped; cells that only call `show_doc` show
  their output alone;
- each lesson page starts with a "Run this lesson" box: the commands that open it in JupyterLab, and a
  download of the notebook;
- a style sheet makes code fit the column (88 characters at 1400 px), lets long outputs wrap and wide maths
  or tables scroll inside themselves (no page wider than a 390 px screen), and keeps one search control;
  the sidebar shows the package version;
- MathJax 3 comes from the npm registry package `mathjax@3`, installed with npm into _build/cache (once),
  and is served with the site, so math renders with no network.
"""
import argparse
import configparser
import copy
import importlib
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT / "nbs"
BUILD = ROOT / "_build"
SRC, HTML, CACHE = BUILD / "src", BUILD / "html", BUILD / "cache"
MATHJAX_SPEC = "mathjax@3"
SOLUTION_PROMPT = "Show reference solution"
TITLE = "Neural Networks from Scratch"
_SETTINGS = configparser.ConfigParser(delimiters=["="])
_SETTINGS.read(ROOT / "settings.ini", encoding="utf-8")
VERSION = _SETTINGS["DEFAULT"]["version"]
SETUP = 'python3 -m venv .venv && .venv/bin/pip install -e ".[course]"\n.venv/bin/python tools/lab.py'

CONFIG = {
    "title": TITLE,
    "author": "nnfs contributors",
    "copyright": "2026",
    "only_build_toc_files": True,
    "exclude_patterns": ["_notebooks/*", "_vendor/*"],
    "execute": {"execute_notebooks": "off"},
    "parse": {"myst_enable_extensions": ["amsmath", "dollarmath", "colon_fence", "deflist", "html_image"]},
    "html": {"home_page_in_navbar": True, "use_download_button": True,
             "extra_footer": f"<p>nnfs {VERSION}: built from the notebooks' stored outputs.</p>"},
    "launch_buttons": {
        "notebook_interface": "jupyterlab", "binderhub_url": "", "jupyterhub_url": "", "colab_url": "",
        "thebe": False,
    },
    "sphinx": {
        "extra_extensions": ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode"],
        "local_extensions": {"nnfs_site": "."},
        "config": {
            "mathjax_path": "mathjax/tex-chtml.js",
            # not _static: Jupyter Book would add every .js file in _static to every page
            "html_static_path": ["_vendor"],
            "html_css_files": ["nnfs.css"],
            "nb_merge_streams": True,
            "myst_heading_anchors": 3,
            "myst_dmath_double_inline": True,  # `$$...$$` inside a paragraph is display math (JupyterLab too)
            "html_favicon": "_vendor/favicon.svg",
            "default_role": "literal",
            "add_module_names": False,
            "autodoc_member_order": "bysource",
            "autodoc_typehints": "signature",
            "language": "en",
            "html_show_copyright": False,
            "html_context": {"default_mode": "auto"},  # else the theme logs "Got invalid theme mode"
            "html_theme_options": {"search_bar_text": "Search the course..."},
            "suppress_warnings": ["mystnb.unknown_mime_type"],
        },
    },
}

# A small Sphinx extension written next to the staged sources: it turns the Markdown in the package's
# docstrings (written for nbdev and JupyterLab) into the reStructuredText that autodoc expects.
EXTENSION = '''"Local Sphinx extension of the nnfs site: Markdown docstrings to reStructuredText."
import re

FENCE = re.compile(r"^(\\s*)```\\s*(\\w*)\\s*$")
LINK = re.compile(r"\\[([^\\]]+)\\]\\((https?://[^)\\s]+)\\)")


def md_to_rst(app, what, name, obj, options, lines):
    out, fence = [], None
    for line in lines:
        m = FENCE.match(line)
        if m and fence is None:
            fence = m.group(1)
            out += ["", f"{fence}.. code-block:: {m.group(2) or 'text'}", ""]
        elif m:
            fence = None
            out.append("")
        elif fence is not None:
            out.append(f"{fence}   {line[len(fence):]}" if line.strip() else "")
        else:
            out.append(LINK.sub(lambda k: f"`{k.group(1)} <{k.group(2)}>`__", line))
    lines[:] = out


def setup(app):
    app.connect("autodoc-process-docstring", md_to_rst)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
'''


# The site's icon (browsers ask for one; without it every first page load logs a 404): a neuron.
FAVICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
           '<g stroke="#3b6ea5" stroke-width="2.5"><line x1="3" y1="6" x2="16" y2="16"/>'
           '<line x1="3" y1="16" x2="16" y2="16"/><line x1="3" y1="26" x2="16" y2="16"/>'
           '<line x1="16" y1="16" x2="29" y2="16"/></g><circle cx="16" cy="16" r="7" fill="#f5a623" '
           'stroke="#3b6ea5" stroke-width="2"/></svg>\n')


# The site's style sheet, after the theme's. Widths were measured with headless Chromium (tests/test_site.py).
CSS = """/* nnfs site: code fits its column, nothing makes a page wider than the screen, one search control */
/* code: the theme's column holds about 92 characters at 1400 px; lessons keep their lines to 88 */
.bd-article div.cell_input pre, .bd-article div.highlight pre { font-size: 0.85rem; }
/* outputs wrap instead of scrolling (printed tables are narrower than the column) */
.bd-article div.cell_output pre { white-space: pre-wrap; overflow-wrap: anywhere; }
/* wide equations and tables scroll inside themselves, never the page */
.bd-article .math, .bd-article mjx-container { max-width: 100%; overflow-x: auto; overflow-y: hidden; }
.bd-article mjx-container:not([display="true"]) { display: inline-block; vertical-align: middle; }
.bd-article h1, .bd-article h2, .bd-article h3, .bd-article h4, .bd-article .rubric {
  overflow-wrap: anywhere; }
.bd-article table { display: block; max-width: 100%; overflow-x: auto; }
/* inline code, signatures and links break where they must (Sphinx keeps their words together) */
.bd-article dl.py dt.sig, .bd-article code.literal, .bd-article span.pre, .bd-article a {
  white-space: normal; overflow-wrap: anywhere; }
/* a heading's permalink sign is for hovering with a mouse: not on narrow touch screens */
@media (max-width: 600px) { .bd-article a.headerlink { display: none; } }
/* one search control: the header's field on wide screens, the article's button on narrow ones */
.bd-sidebar-primary .search-button-field { display: none !important; }
@media (min-width: 960px) { .article-header-buttons .search-button { display: none !important; } }
/* the version under the title */
.logo__title::after { content: "nnfs @VERSION@"; display: block; font-size: 0.75rem; font-weight: normal;
  opacity: 0.7; }
/* an exercise: the task's code and its check line, to run in JupyterLab */
div.cell.tag_nnfs-exercise { border-left: 4px solid var(--pst-color-primary); padding-left: 0.6rem; }
div.cell.tag_nnfs-exercise::before {
  content: "Your answer: write it in JupyterLab and run the cell to have it graded."; display: block;
  font-size: 0.85em; color: var(--pst-color-text-muted); }
.bd-article details { margin: 0.5rem 0 1rem; }
.bd-article details > summary { cursor: pointer; font-weight: 600; }
"""


# 00_intro.ipynb, ..., 18_saving_loading.ipynb, 18a_safe_reader.ipynb, ..., 90_exercises.ipynb
NOTEBOOK = re.compile(r"(\d\d[a-z]?)_\w+\.ipynb")


def lessons() -> list[Path]:
    "The course's notebooks in order: lessons 00, 01, ... (18a after 18), then appendices (90 and up)."
    return sorted(p for p in NBS.glob("[0-9][0-9]*.ipynb") if NOTEBOOK.fullmatch(p.name))


def modules() -> list[str]:
    """Public modules of the package, from the files nbdev exported, in the order the course meets them (the
    notebook whose `default_exp` names each); modules no notebook names come last, by name."""
    found = sorted(p.stem for p in (ROOT / "nnfs").glob("*.py") if not p.stem.startswith("_"))
    first: dict[str, int] = {}
    for i, nb in enumerate(lessons()):
        m = re.search(r"#\|\s*default_exp\s+(\w+)", nb.read_text(encoding="utf-8"))
        if m: first.setdefault(m.group(1), i)
    return sorted(found, key=lambda m: (first.get(m, len(first) + 1), m))


# ---------------------------------------------------------------- notebook transformations (on copies)
def terminal_text(text: str) -> str:
    "What a terminal shows after printing `text`: each line keeps what follows its last carriage return."
    lines = [line.rsplit("\r", 1)[-1].rstrip() for line in text.split("\n")]
    kept = [line for line in lines if line]
    return "\n".join(kept) + ("\n" if kept else "")


def reduce_outputs(outputs: list) -> list:
    """Merge consecutive stream outputs and keep a progress bar's final state; drop widgets (no widget state
    offline); clean nbdev's show_doc Markdown."""
    out: list = []
    for o in outputs:
        if o.get("output_type") == "stream":
            text = "".join(o["text"]) if isinstance(o["text"], list) else o["text"]
            if out and out[-1].get("output_type") == "stream" and out[-1]["name"] == o["name"]:
                out[-1]["text"] += text
            else:
                out.append({**o, "text": text})
            continue
        data = o.get("data")
        if data is not None:
            # a widget (a live progress bar) has no state offline, and its text form is its first state; a
            # display blanked by its code (an updated display id) leaves nothing to show
            if not data or "application/vnd.jupyter.widget-view+json" in data: continue
            if not "".join(v if isinstance(v, str) else "".join(v) for v in data.values()).strip(): continue
            md = data.get("text/markdown")
            if md is not None:  # nbdev's show_doc Markdown starts with a rule, which docutils cannot place
                md = "".join(md) if isinstance(md, list) else md
                md = re.sub(r"\A\s*(---+\s*\n)+", "", md)
                # ... and may carry a "[source](/blob/...)" link that leads nowhere without a repository URL
                md = re.sub(r"\[source\]\((?!https?:)[^)]*\)(\{[^}\n]*\})?[ \t]*\n?", "", md)
                data["text/markdown"] = re.sub(r"(\[source\]\([^)]*\))\{[^}\n]*\}", r"\1", md)
            o = {**o, "data": data}
        out.append(o)
    for o in out:
        if o.get("output_type") == "stream" and "\r" in o["text"]:
            o["text"] = terminal_text(o["text"])
    return [o for o in out if o.get("output_type") != "stream" or o["text"].strip()]


DIRECTIVE = re.compile(r"^\s*#\|\s*([\w-]+)")
CHECK = re.compile(r'^\s*check\("\d\d[a-z]?\.\d+"', flags=re.M)  # an exercise's check line
OUTPUT_PAGE_LINK = re.compile(r"\]\((?![a-z][a-z0-9+.-]*:)([^)\s#]+)\.(?:ipynb|md)(#[^)\s]*)?\)", flags=re.I)
UNGRADED = "not attempted yet"  # the verdict an exercise's cell stores before a learner answers
LINK = re.compile(r"(?<!!)\[([^\]\n]*)\]\(([^)\s]+)\)")
URL_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:", flags=re.I)


def rewrite_links(text: str, folder: Path, pages: dict[Path, str]) -> str:
    """Relative links of Markdown in `folder`: to a page of the site, they point at its staged copy; to any
    other file of the repository (which the site does not hold), they become plain text."""
    def fix(m: re.Match) -> str:
        label, target = m.group(1), m.group(2)
        if URL_SCHEME.match(target) or target.startswith("#"): return m.group(0)
        path, _, frag = target.partition("#")
        dest = pages.get((folder / unquote(path)).resolve())
        if dest is None: return label
        return f"[{label}]({dest}{'#' + frag if frag else ''})"
    return LINK.sub(fix, text)


def transform_cell(cell: dict, pages: dict[Path, str]) -> dict | None:
    "The site's version of one cell, or None to leave it out."
    src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    lines = src.splitlines()
    directives = {m.group(1) for line in lines if (m := DIRECTIVE.match(line))}
    if directives & {"hide", "default_exp"}: return None
    body = "\n".join(line for line in lines if not DIRECTIVE.match(line)).strip("\n")
    cell = {**cell, "source": body, "metadata": copy.deepcopy(cell.get("metadata", {}))}
    if cell["cell_type"] != "code":
        cell["source"] = rewrite_links(body, NBS, pages)
        return cell if body.strip() else None
    meta, tags = cell["metadata"], set(cell["metadata"].get("tags", []))
    solution = bool(meta.get("jupyter", {}).get("source_hidden"))
    if solution:  # collapsed and without output (the course's rule: an output would give the answer away)
        tags.add("hide-input")
        meta.setdefault("mystnb", {})["code_prompt_show"] = SOLUTION_PROMPT
        meta["mystnb"]["code_prompt_hide"] = "Hide reference solution"
    code_lines = [line for line in body.splitlines() if line.strip()]
    if code_lines and all(line.lstrip().startswith("show_doc(") for line in code_lines):
        tags.add("remove-input")
    # an exercise's cell: its stored verdict ("not attempted yet: replace the ...") speaks to a learner in
    # JupyterLab, not to a reader of the page, who sees the task's code and its check line instead
    exercise = not solution and CHECK.search(body) and UNGRADED in json.dumps(cell.get("outputs", []))
    if exercise: tags.add("nnfs-exercise")
    if tags: meta["tags"] = sorted(tags)
    cell["outputs"] = [] if solution or exercise else reduce_outputs(cell.get("outputs", []))
    for o in cell["outputs"]:  # Markdown a cell displays (the home page's table of lessons) links pages too
        md = o.get("data", {}).get("text/markdown")
        if md is not None:
            md = rewrite_links("".join(md) if isinstance(md, list) else md, NBS, pages)
            # MyST-NB renders an output's Markdown on its own: a link names the page's HTML file
            o["data"]["text/markdown"] = OUTPUT_PAGE_LINK.sub(r"](\1.html\2)", md)
    cell["execution_count"] = None if solution else cell.get("execution_count")
    return cell


def download_cell(nb_name: str) -> dict:
    "A Markdown cell: the commands that open this notebook in JupyterLab, and a download of it."
    text = (f"````{{admonition}} Run this lesson\n:class: tip\nIn a clone of the course's repository, set up "
            f"once and open JupyterLab (the home page says more):\n\n```bash\n{SETUP}\n```\n\n"
            f"then open `{nb_name}` in JupyterLab's file browser. Or download the notebook, "
            f"{{download}}`{nb_name} <_notebooks/{nb_name}>`, and open it in any JupyterLab whose Python "
            "has the package with its `[course]` extra.\n````")
    return {"cell_type": "markdown", "id": "nnfs-site-download", "metadata": {}, "source": text}


def transform_notebook(path: Path, link: bool, pages: dict[Path, str]) -> dict:
    "The staged copy of a notebook: cells transformed, a download link after the title cell."
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["metadata"].pop("widgets", None)  # widget state would make MyST-NB load widget code from a CDN
    # notebooks store no language_info (JupyterLab rewrites it): the code's highlighting needs its lexer
    nb["metadata"]["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    cells = [c for c in (transform_cell(c, pages) for c in nb["cells"]) if c is not None]
    for i, c in enumerate(cells): c.setdefault("id", f"nnfs-site-{i}")
    if link:
        at = next((i + 1 for i, c in enumerate(cells)
                   if c["cell_type"] == "markdown" and re.match(r"\s*# ", c["source"])), 0)
        cells.insert(at, download_cell(path.name))
    nb["cells"] = cells
    return nb


def markdown_of(path: Path) -> str:
    "The Markdown text of a notebook (its Markdown cells) or of a Markdown file."
    if path.suffix != ".ipynb": return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def title_of(path: Path) -> str:
    "A notebook's or Markdown file's title: its first level-1 heading, as plain text (for the sidebar)."
    m = re.search(r"^# (.+)$", markdown_of(path), flags=re.M)
    return m.group(1).replace("`", "").strip() if m else path.stem


def linked_documents(notebooks: list[Path]) -> list[Path]:
    "The repository's Markdown documents (CONTRIBUTING.md) that the notebooks link to: pages of the site."
    found = set()
    for p in notebooks:
        for _, target in LINK.findall(markdown_of(p)):
            path = target.partition("#")[0]
            if URL_SCHEME.match(path) or not path.endswith(".md"): continue
            doc = (NBS / unquote(path)).resolve()
            if doc.is_file() and doc.parent == ROOT and doc.name != "README.md": found.add(doc)
    return sorted(found)


# ---------------------------------------------------------------- staging
def write_yaml(path: Path, data) -> None:
    "YAML that Jupyter Book reads (JSON is YAML)."
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def toc(notebooks: list[Path], docs: list[Path], mods: list[str]) -> dict:
    "The sidebar: home, the lessons, the appendices, the API reference, the repository's linked documents."
    course = [p for p in notebooks if int(p.name[:2]) < 90]
    appendix = [p for p in notebooks if int(p.name[:2]) >= 90]
    entry = lambda p: {"file": p.stem, "title": f"{NOTEBOOK.fullmatch(p.name).group(1)}. {title_of(p)}"}
    parts = [{"caption": "Lessons", "chapters": [entry(p) for p in course]}]
    if appendix: parts.append({"caption": "Appendix", "chapters": [entry(p) for p in appendix]})
    api = [{"file": f"api/{m}", "title": f"nnfs.{m}"} for m in mods]
    parts.append({"caption": "API reference", "chapters": api})
    if docs:
        parts.append({"caption": "About", "chapters": [{"file": d.stem, "title": title_of(d)} for d in docs]})
    return {"format": "jb-book", "root": "index", "parts": parts}


# The names an API page shows first (the module's main class); the rest follow in source order.
FIRST = {"model": ["Model"]}


def api_page(mod: str) -> str:
    """One API page: the module's docstring, then its public classes and functions (`__all__`), the main class
    first; each with its members, signature and a link to its highlighted source."""
    module = importlib.import_module(f"nnfs.{mod}")
    names = list(getattr(module, "__all__", []))
    names = [n for n in FIRST.get(mod, []) if n in names] + [n for n in names if n not in FIRST.get(mod, [])]
    rst = [f".. automodule:: nnfs.{mod}", "", f".. currentmodule:: nnfs.{mod}", ""]
    for name in names:
        obj = getattr(module, name)
        if isinstance(obj, type):
            rst += [f".. autoclass:: {name}", "   :members:", "   :show-inheritance:", ""]
        elif callable(obj): rst += [f".. autofunction:: {name}", ""]
        # constants (settings, format names) have no docstring of their own: the module's text names them
    return f"# nnfs.{mod}\n\n```{{eval-rst}}\n" + "\n".join(rst) + "```\n"


def mathjax_dir() -> Path:
    "The es5 folder of MathJax 3, installed with npm into the build cache the first time."
    es5 = CACHE / "npm" / "node_modules" / "mathjax" / "es5"
    if (es5 / "tex-chtml.js").exists(): return es5
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed once, to fetch MathJax from the npm registry (apt-get install npm)")
    (CACHE / "npm").mkdir(parents=True, exist_ok=True)
    cmd = [npm, "install", "--prefix", str(CACHE / "npm"), "--no-save", "--no-package-lock", "--no-audit",
           "--no-fund", "--loglevel=error", MATHJAX_SPEC]
    print("+", " ".join(cmd[1:]), flush=True)
    subprocess.run(cmd, check=True)
    if not (es5 / "tex-chtml.js").exists():
        raise SystemExit(f"npm did not install {MATHJAX_SPEC} into {es5}")
    return es5


def stage(notebooks: list[Path], mods: list[str]) -> None:
    "Write the book's sources into _build/src."
    if SRC.exists(): shutil.rmtree(SRC)
    (SRC / "_notebooks").mkdir(parents=True)
    (SRC / "api").mkdir()
    sources = [NBS / "index.ipynb", *notebooks]
    docs = linked_documents(sources)
    pages = {p.resolve(): p.name for p in sources + docs}
    pages[(ROOT / "README.md").resolve()] = "index.ipynb"  # the README is the home page
    sys.path.insert(0, str(ROOT))  # the API pages list the names of this checkout's package
    for p in sources:
        nb = transform_notebook(p, p.name != "index.ipynb", pages)
        (SRC / p.name).write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")
        shutil.copy2(p, SRC / "_notebooks" / p.name)
    for d in docs:
        (SRC / d.name).write_text(rewrite_links(markdown_of(d), ROOT, pages), encoding="utf-8")
    for m in mods: (SRC / "api" / f"{m}.md").write_text(api_page(m), encoding="utf-8")
    write_yaml(SRC / "_config.yml", CONFIG)
    write_yaml(SRC / "_toc.yml", toc(notebooks, docs, mods))
    (SRC / "nnfs_site.py").write_text(EXTENSION, encoding="utf-8")
    (SRC / "_vendor").mkdir()
    (SRC / "_vendor" / "favicon.svg").write_text(FAVICON, encoding="utf-8")
    (SRC / "_vendor" / "nnfs.css").write_text(CSS.replace("@VERSION@", VERSION), encoding="utf-8")
    shutil.copytree(mathjax_dir(), SRC / "_vendor" / "mathjax",
                    ignore=shutil.ignore_patterns("*-full*.js", "mml-*.js", "tex-mml-*.js", "tex-svg.js",
                                                  "node-main.js"))


# Appended to the conf.py that Jupyter Book writes. sphinx-thebe (live code through a CDN) is not used, and
# its inline script is added twice: a console error on every page.
CONF_TAIL = """
# --- added by tools/build_site.py
extensions = [e for e in extensions if e != "sphinx_thebe"]
"""


def build(strict: bool) -> int:
    "Stage the sources, write Sphinx's conf.py with Jupyter Book, run Sphinx; returns the exit code."
    bindir = Path(sys.executable).parent
    jb = bindir / "jupyter-book" if (bindir / "jupyter-book").exists() else shutil.which("jupyter-book")
    if jb is None:
        print("jupyter-book is not installed: pip install -e '.[dev]'", file=sys.stderr)
        return 1
    notebooks, mods = lessons(), modules()
    stage(notebooks, mods)
    subprocess.run([str(jb), "config", "sphinx", str(SRC)], check=True, stdout=subprocess.DEVNULL)
    with open(SRC / "conf.py", "a", encoding="utf-8") as f: f.write(CONF_TAIL)
    if HTML.exists(): shutil.rmtree(HTML)
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-d", str(BUILD / "doctrees"),
           str(SRC), str(HTML)]
    if strict: cmd += ["-W", "--keep-going"]
    print("+ sphinx-build", " ".join(cmd[3:]), flush=True)
    rc = subprocess.run(cmd, cwd=SRC).returncode
    if rc: return rc
    pages = sum(1 for p in HTML.rglob("*.html") if not p.relative_to(HTML).parts[0].startswith("_"))
    print(f"site: {HTML.relative_to(ROOT)}/index.html ({len(notebooks) + 1} notebooks, "
          f"{len(mods)} API pages, {pages} pages in all)")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--strict", action="store_true", help="fail on any Sphinx warning")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    rc = build(args.strict)
    print(f"build {'failed' if rc else 'done'} in {time.perf_counter() - t0:.0f} s")
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
