"""The course website (`python tools/build_site.py`): the build's notebook transformations, then the built
site in a real browser (headless Chromium loads every page from a local HTTP server and checks what a reader
sees): every page loads offline, code fits its column at 1400 px and no page is wider than a 390 px screen,
one search control, the version, exercises shown as tasks, the API pages' order and source links.

The browser tests skip when the site was not built or no browser is installed, unless CI=true: then that is a
failure. Screenshots of three pages go to _build/screenshots/."""
import functools
import http.server
import importlib.util
import json
import os
import re
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
IN_CI = (os.environ.get("CI") or "").strip().lower() not in ("", "0", "false", "no")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
TIMEOUT_MS = 30_000


def _load_build_site():
    spec = importlib.util.spec_from_file_location("build_site", ROOT / "tools" / "build_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bs = _load_build_site()


# ---------------------------------------------------------------- the build's transformations (no browser)
def test_terminal_text_keeps_the_final_state_of_each_line():
    bar = "\r  0%|   | 0/10" + "".join(f"\r epoch 1: {i * 10}%|" for i in range(1, 11)) + "\n"
    assert bs.terminal_text(bar) == " epoch 1: 100%|\n"
    assert bs.terminal_text("a\rb\nc\n\rd\re\n") == "b\nc\ne\n"
    assert bs.terminal_text("\r   \r") == ""  # a bar that cleans up after itself leaves nothing


def test_reduce_outputs_merges_streams_and_cleans_show_doc():
    outs = [{"output_type": "stream", "name": "stderr", "text": ["\repoch 1 10%"]},
            {"output_type": "stream", "name": "stderr", "text": "\repoch 1 100%\n"},
            {"output_type": "stream", "name": "stdout", "text": "done\n"},
            {"output_type": "display_data", "metadata": {},
             "data": {"text/plain": "<f>",
                      "text/markdown": "---\n\n[source](/blob/main/x.py#LNone){target=\"_blank\"}\n\n### f"}},
            {"output_type": "display_data", "metadata": {},
             "data": {"application/vnd.jupyter.widget-view+json": {"model_id": "x"},
                      "text/plain": "  0%|          | 0/10"}},
            {"output_type": "stream", "name": "stderr", "text": "\r \r"}]
    got = bs.reduce_outputs(outs)
    assert [o.get("name") for o in got] == ["stderr", "stdout", None]
    assert got[0]["text"] == "epoch 1 100%\n"
    assert got[2]["data"]["text/markdown"] == "\n### f"
    kept = bs.reduce_outputs([{"output_type": "display_data", "metadata": {},
                               "data": {"text/markdown": "[source](https://x.org/a.py){target=\"_blank\"}"}}])
    assert kept[0]["data"]["text/markdown"] == "[source](https://x.org/a.py)"


def test_transform_cell_collapses_solutions_without_output_and_drops_directives():
    pages = {(bs.NBS / "01_x.ipynb").resolve(): "01_x.ipynb"}
    solution = {"cell_type": "code", "execution_count": 3, "metadata": {"jupyter": {"source_hidden": True}},
                "source": "# Reference solution: open it after you have tried.\nx = 1",
                "outputs": [{"output_type": "stream", "name": "stdout", "text": "answer\n"}]}
    got = bs.transform_cell(solution, pages)
    assert got["metadata"]["tags"] == ["hide-input"] and got["outputs"] == []
    assert got["metadata"]["mystnb"]["code_prompt_show"] == "Show reference solution"
    assert got["execution_count"] is None and solution["metadata"] == {"jupyter": {"source_hidden": True}}
    assert bs.transform_cell({"cell_type": "code", "metadata": {}, "source": "#| default_exp core",
                              "outputs": []}, pages) is None
    export = bs.transform_cell({"cell_type": "code", "metadata": {}, "source": "#| export\ndef f(): pass",
                                "outputs": []}, pages)
    assert export["source"] == "def f(): pass" and "tags" not in export["metadata"]
    doc = bs.transform_cell({"cell_type": "code", "metadata": {}, "source": "show_doc(f)\nshow_doc(g)",
                             "outputs": []}, pages)
    assert doc["metadata"]["tags"] == ["remove-input"]
    md = bs.transform_cell({"cell_type": "markdown", "metadata": {},
                            "source": "#| export\nSee [one](01_x.ipynb#a), [ci](../.ci/run), [w](https://x.org)"},
                           pages)
    assert md["source"] == "See [one](01_x.ipynb#a), ci, [w](https://x.org)"


def test_exercise_cells_show_the_task_not_the_stored_verdict():
    pages = {}
    learner = {"cell_type": "code", "execution_count": None, "metadata": {},
               "source": 'def f(x):\n    ...   # your code here\n\ncheck("04.1", f)',
               "outputs": [{"output_type": "stream", "name": "stdout",
                            "text": ["Exercise 04.1 (leaky ReLU): not attempted yet. Replace the `...`\n"]}]}
    got = bs.transform_cell(learner, pages)
    assert got["outputs"] == [] and got["metadata"]["tags"] == ["nnfs-exercise"]
    assert got["source"].endswith('check("04.1", f)')
    graded = {**learner, "outputs": [{"output_type": "stream", "name": "stdout", "text": "✓ passed\n"}]}
    assert bs.transform_cell(graded, pages)["outputs"] == graded["outputs"]  # a demonstration keeps it
    blank = [{"output_type": "display_data", "metadata": {}, "data": {"text/plain": []}},
             {"output_type": "display_data", "metadata": {}, "data": {"text/plain": [""]}},
             {"output_type": "stream", "name": "stdout", "text": "epoch 1/2\n"}]
    assert [o["output_type"] for o in bs.reduce_outputs(blank)] == ["stream"]


def test_links_in_displayed_markdown_name_the_pages():
    "A table of lessons that a cell displays (the home page's) links the pages' HTML files."
    pages = {(bs.NBS / "01_x.ipynb").resolve(): "01_x.ipynb"}
    cell = {"cell_type": "code", "execution_count": 1, "metadata": {}, "source": "show()",
            "outputs": [{"output_type": "display_data", "metadata": {},
                         "data": {"text/markdown": "| [one](01_x.ipynb#a) | [w](https://x.org/b.ipynb) |"}}]}
    md = bs.transform_cell(cell, pages)["outputs"][0]["data"]["text/markdown"]
    assert md == "| [one](01_x.html#a) | [w](https://x.org/b.ipynb) |"


def test_api_pages_put_the_main_class_first_and_follow_the_course():
    page = bs.api_page("model")
    assert page.index(".. autoclass:: Model") < page.index(".. autoclass:: History")
    mods = bs.modules()
    assert mods[0] == "core" and mods.index("layers") < mods.index("model") < mods.index("cli")
    assert "`" not in bs.title_of(ROOT / "nbs" / "20a_command_line.ipynb")


def test_course_order_and_sidebar():
    names = [p.name for p in bs.lessons()]
    assert names == sorted(names) and names[0].startswith("00_") and "index.ipynb" not in names
    assert all(bs.NOTEBOOK.fullmatch(n) for n in names)
    assert bs.NOTEBOOK.fullmatch("18a_safe_reader.ipynb") and not bs.NOTEBOOK.fullmatch("18_x.py")
    assert sorted(["18a_b.ipynb", "19_c.ipynb", "18_a.ipynb"]) == ["18_a.ipynb", "18a_b.ipynb", "19_c.ipynb"]
    toc = bs.toc(bs.lessons(), [], ["core"])
    captions = [part["caption"] for part in toc["parts"]]
    assert toc["root"] == "index" and captions[0] == "Lessons" and captions[-1] == "API reference"
    assert [c["file"] for c in toc["parts"][0]["chapters"]] == [Path(n).stem for n in names if n < "90"]
    assert toc["parts"][0]["chapters"][0]["title"].startswith("00. ")


# ---------------------------------------------------------------- the built site in a browser
def _unavailable(why: str):
    "Fail in CI, skip elsewhere."
    if IN_CI: pytest.fail(f"{why} (CI=true: the browser tests must run)")
    pytest.skip(why)


def chromium_path() -> str | None:
    "The system Chromium: $NNFS_CHROMIUM, else /usr/bin/chromium (Debian's package `chromium`)."
    for cand in (os.environ.get("NNFS_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if cand and Path(cand).exists(): return cand
    return None


@pytest.fixture(scope="module")
def browser():
    "A headless Chromium driven by Playwright, pointed at the system browser (Playwright downloads none)."
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    exe = chromium_path()
    if exe is None: _unavailable("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args): pass


@pytest.fixture(scope="module")
def site():
    "Base URL of the built site, served from 127.0.0.1 on a free port for the module's tests."
    if not (SITE / "index.html").exists(): _unavailable("the site is not built (python tools/build_site.py)")
    built = (SITE / "index.html").stat().st_mtime
    if not IN_CI and any(p.stat().st_mtime > built for p in (ROOT / "nbs").glob("*.ipynb")):
        pytest.skip("the site is older than the notebooks: rebuild it (python tools/build_site.py)")
    handler = functools.partial(_QuietHandler, directory=SITE)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def pages() -> list[str]:
    "Every HTML page of the site, as paths relative to its root."
    return sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html")
                  if not p.relative_to(SITE).parts[0].startswith("_"))


LESSON = re.compile(r"\d\d[a-z]?_\w+")  # 00_intro, ..., 18a_safe_reader, ..., 90_exercises


def lesson_pages() -> list[str]:
    return [p for p in pages() if LESSON.fullmatch(p[:-5])]


class _Ids(HTMLParser):
    "The ids (and old-style anchor names) a page defines."
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k == "id" or (tag == "a" and k == "name"): self.ids.add(v or "")


@functools.cache
def ids_of(path: Path) -> frozenset:
    parser = _Ids()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(parser.ids)


def broken_link(href: str, base: str) -> str | None:
    "Why an internal link does not resolve (missing file, missing anchor), or None when it does."
    parts = urlsplit(href)
    path = unquote(parts.path[len(urlsplit(base).path):]) or "index.html"
    target = SITE / path
    if target.is_dir(): target = target / "index.html"
    if not target.is_file(): return f"{href}: no file {path}"
    frag = unquote(parts.fragment)
    if frag and target.suffix == ".html" and frag not in ids_of(target): return f"{href}: no anchor #{frag}"
    return None


# Run in the page: wait for images and MathJax, then report images, math, raw TeX, links and solutions.
PAGE_STATE_JS = """async () => {
  for (const img of document.images) { img.loading = 'eager'; }
  await Promise.all(Array.from(document.images).map(img => img.decode().catch(() => null)));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, textarea, mjx-container').forEach(e => e.remove());
  const text = clone.textContent;
  const raw = [];
  for (const pat of ['$$', '\\\\(', '\\\\)', '\\\\[', '\\\\]', '\\\\begin{', '\\\\frac']) {
    const i = text.indexOf(pat);
    if (i >= 0) raw.push(text.slice(Math.max(0, i - 40), i + 40).replace(/\\s+/g, ' '));
  }
  const math = Array.from(document.querySelectorAll('.math'));
  return {
    badImages: Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src),
    images: document.images.length,
    untypeset: math.filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 60)),
    typeset: document.querySelectorAll('mjx-container').length,
    raw: raw,
    links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
    solutions: document.querySelectorAll('div.cell.tag_hide-input').length +
      Array.from(document.querySelectorAll('.bd-article details > summary'))
        .filter(s => /Reference solution/.test(s.textContent)).length,
    solutionOutputs: document.querySelectorAll('div.cell.tag_hide-input .cell_output').length,
  };
}"""


def visit(browser, url: str) -> tuple[dict, list[str]]:
    "Load `url`; return the page state and the problems seen (console errors, failed or outside requests)."
    problems: list[str] = []
    page = browser.new_page()
    host = urlsplit(url).netloc

    def outside(request):
        u = urlsplit(request.url)
        if u.scheme in ("http", "https") and u.netloc != host:
            problems.append(f"request outside the site (it must work offline): {request.url}")

    page.on("console", lambda m: m.type == "error" and problems.append(f"console error: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    page.on("request", outside)
    try:
        page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
        state = page.evaluate(PAGE_STATE_JS)
        page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
    finally:
        page.close()
    return state, problems


def test_every_page_loads_cleanly_offline(browser, site):
    """No console error, no failed request, no request leaving the site, every image loaded, all math typeset,
    every internal link resolves, no solution cell shows an output."""
    all_pages = pages()
    assert "index.html" in all_pages and len(all_pages) >= 20, all_pages
    report, typeset, images, solutions = [], 0, 0, 0
    for rel in all_pages:
        state, problems = visit(browser, site + rel)
        problems += [f"image not loaded: {src}" for src in state["badImages"]]
        problems += [f"math not typeset: {t!r}" for t in state["untypeset"]]
        problems += [f"raw TeX left in the text: ...{t}..." for t in state["raw"]]
        problems += [f"broken link {why}" for href in state["links"]
                     if href.startswith(site) and (why := broken_link(href, site))]
        if state["solutionOutputs"]: problems.append(f"{state['solutionOutputs']} solutions show an output")
        report += [f"{rel}: {p}" for p in dict.fromkeys(problems)]
        solutions += state["solutions"]
        typeset += state["typeset"]
        images += state["images"] - len(state["badImages"])
    assert not report, "\n".join(report)
    # every figure of the notebooks' stored outputs shows; the course has math and collapsed solutions
    assert images >= stored_figures() > 0, (images, stored_figures())
    assert typeset > 100 and solutions > 20, (typeset, solutions)


def stored_figures() -> int:
    "The number of image outputs in the notebooks the site was built from (Sphinx keeps them in _sources/)."
    count = 0
    for path in (SITE / "_sources").glob("*.ipynb"):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            outputs = cell.get("outputs", [])
            count += sum(any(k.startswith("image/") for k in o.get("data", {})) for o in outputs)
    return count


def test_sidebar_lists_every_lesson_in_order_with_previous_and_next(browser, site):
    notebooks = sorted(p.stem for p in (ROOT / "nbs").glob("[0-9][0-9]*.ipynb") if LESSON.fullmatch(p.stem))
    assert [p[:-5] for p in lesson_pages()] == notebooks
    page = browser.new_page()
    try:
        page.goto(site + "index.html", timeout=TIMEOUT_MS)
        hrefs = page.eval_on_selector_all(".bd-sidenav a.reference.internal", "els => els.map(a => a.href)")
        order = [m.group(1) for h in hrefs if (m := re.search(r"/(\d\d[a-z]?_\w+)\.html", h))]
        assert order == notebooks
        page.goto(site + f"{notebooks[1]}.html", timeout=TIMEOUT_MS)
        assert notebooks[0] in page.get_attribute("a.left-prev", "href")
        assert notebooks[2] in page.get_attribute("a.right-next", "href")
    finally:
        page.close()


def test_each_lesson_links_to_its_notebook(site):
    for rel in lesson_pages():
        html = (SITE / rel).read_text(encoding="utf-8")
        name = rel.replace(".html", ".ipynb")
        m = re.search(r'href="(_downloads/[^"]+/' + re.escape(name) + ')"', html)
        assert m, f"{rel} has no link to download {name}"
        same = (SITE / m.group(1)).read_bytes() == (ROOT / "nbs" / name).read_bytes()
        assert same, f"the download of {rel} is not nbs/{name} as it is (rebuild the site?)"


def test_search_finds_lesson_10(browser, site):
    "Full-text search, as a reader uses it: a word from lesson 10 finds lesson 10."
    page = browser.new_page()
    try:
        page.goto(site + "search.html?q=RMSprop", timeout=TIMEOUT_MS)
        page.wait_for_selector("#search-results ul.search li", timeout=TIMEOUT_MS)
        page.wait_for_function("() => /found|match/i.test(document.querySelector('#search-results')"
                               ".innerText) || document.querySelectorAll('#search-results ul.search li')"
                               ".length > 1",
                               timeout=TIMEOUT_MS)
        hrefs = page.eval_on_selector_all("#search-results ul.search li a", "els => els.map(a => a.href)")
        assert any("10_better_optimizers.html" in h for h in hrefs), hrefs
    finally:
        page.close()


def test_solutions_are_collapsed_until_clicked_and_screenshots(browser, site):
    "A reference solution stays hidden until its toggle is clicked; screenshots of three pages to look at."
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(site + "index.html", timeout=TIMEOUT_MS)
        page.screenshot(path=str(SHOTS / "home.png"))
        page.goto(site + "04_activation_functions.html", timeout=TIMEOUT_MS)
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                               timeout=TIMEOUT_MS)
        page.evaluate("() => MathJax.startup.promise")
        page.screenshot(path=str(SHOTS / "lesson_04.png"))
        # a Markdown <details> block (the exercise format), or a collapsed code cell (the older format)
        solution = page.locator("details.hide.above-input, .bd-article details:has(> summary:text-matches("
                                "'Reference solution'))").first
        code = solution.locator("pre").first
        assert "reference solution" in solution.locator("summary").inner_text().lower()
        assert not code.is_visible()
        solution.locator("summary").first.click()
        code.wait_for(state="visible", timeout=TIMEOUT_MS)
        assert "check(" in code.inner_text()
        solution.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "solution_open.png"))
    finally:
        page.close()


# Measured in the page: every <pre> of the article, as input (a code cell), output, or other (Markdown code,
# docstrings); whether it scrolls sideways; how many characters of its font its column holds; its longest
# line.
BLOCKS_JS = """() => Array.from(document.querySelectorAll('.bd-article pre')).map(p => {
  const kind = p.closest('.cell_input') ? 'input' : p.closest('.cell_output') ? 'output' : 'other';
  const probe = document.createElement('span');
  probe.textContent = 'x'.repeat(50); probe.style.whiteSpace = 'pre';
  p.appendChild(probe); const char = probe.getBoundingClientRect().width / 50; probe.remove();
  const cs = getComputedStyle(p);
  const inner = p.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  const longest = Math.max(0, ...p.textContent.split('\\n').map(l => l.length));
  return {kind, overflows: p.scrollWidth > p.clientWidth + 1, columns: Math.floor(inner / char), longest,
          line: p.textContent.split('\\n').reduce((a, b) => b.length > a.length ? b : a, '').slice(0, 100)};
})"""
CODE_COLUMNS = 88  # lesson code fits 88 columns; the site shows that many characters per line at 1400 px


def _measure_pages(browser, site, width: int) -> dict:
    "Each page's code blocks and whether the page itself is wider than the window, at `width` px."
    page = browser.new_page(viewport={"width": width, "height": 900})
    found = {}
    try:
        for rel in pages():
            if rel in ("search.html", "genindex.html"): continue
            page.goto(site + rel, wait_until="load", timeout=TIMEOUT_MS)
            page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
            wide = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            found[rel] = {"blocks": page.evaluate(BLOCKS_JS), "wider_by": wide}
    finally:
        page.close()
    return found


@pytest.fixture(scope="module")
def at_1400(browser, site):
    return _measure_pages(browser, site, 1400)


@pytest.fixture(scope="module")
def at_390(browser, site):
    return _measure_pages(browser, site, 390)


def test_at_1400px_code_columns_hold_88_characters_and_outputs_wrap(at_1400):
    "The column of a code cell holds 88 characters; outputs never scroll sideways (they wrap)."
    blocks = [(rel, b) for rel, m in at_1400.items() for b in m["blocks"]]
    narrow = {(rel, b["columns"]) for rel, b in blocks
              if b["kind"] == "input" and b["columns"] < CODE_COLUMNS}
    assert not narrow, f"code columns narrower than {CODE_COLUMNS} characters: {sorted(narrow)[:10]}"
    outputs = [(rel, b["line"]) for rel, b in blocks if b["kind"] == "output" and b["overflows"]]
    assert not outputs, f"{len(outputs)} outputs scroll sideways, e.g. {outputs[:5]}"
    fitting = [(rel, b["line"]) for rel, b in blocks if b["overflows"] and b["longest"] <= CODE_COLUMNS]
    assert not fitting, f"blocks with lines of at most {CODE_COLUMNS} characters still scroll: {fitting[:5]}"


def test_at_1400px_no_code_block_is_wider_than_its_column(at_1400):
    "Every code block fits (lesson code is written to 88 columns): the list names the lines that do not."
    wide = [(rel, b["longest"], b["line"]) for rel, m in at_1400.items() for b in m["blocks"]
            if b["overflows"]]
    total = sum(len(m["blocks"]) for m in at_1400.values())
    pages_with = sorted({rel for rel, _, _ in wide})
    assert not wide, (f"{len(wide)} of {total} code blocks scroll sideways at 1400 px, on {len(pages_with)} "
                      f"pages ({', '.join(pages_with)}); e.g.\n" + "\n".join(map(str, wide[:10])))


def test_at_390px_no_page_is_wider_than_the_screen(at_390):
    "On a phone, code blocks may scroll inside themselves, but no page scrolls sideways as a whole."
    wide = {rel: m["wider_by"] for rel, m in at_390.items() if m["wider_by"] > 0}
    assert not wide, f"pages wider than a 390 px screen (by px): {wide}"
    outputs = [(rel, b["line"]) for rel, m in at_390.items() for b in m["blocks"]
               if b["kind"] == "output" and b["overflows"]]
    assert not outputs, f"outputs scroll sideways at 390 px: {outputs[:5]}"


def test_one_search_control_the_version_and_no_empty_outputs(browser, site):
    """One visible search control at each width; the sidebar shows the package's version; no output box
    is empty (lesson 16's training shows only its lines)."""
    version = bs.VERSION
    for width in (1400, 390):
        page = browser.new_page(viewport={"width": width, "height": 900})
        try:
            page.goto(site + "16_batch_training.html", timeout=TIMEOUT_MS)
            visible = page.eval_on_selector_all(
                ".search-button__button, form.bd-search input",
                "els => els.filter(e => e.offsetParent !== null "
                "&& e.getBoundingClientRect().width > 0).length")
            assert visible == 1, f"{visible} search controls visible at {width} px"
            if width == 1400:
                title = page.evaluate("() => getComputedStyle(document.querySelector('.logo__title'), "
                                      "'::after').content")
                assert version in title, title
                empty = page.eval_on_selector_all(
                    ".cell_output .output", "els => els.filter(e => !e.innerText.trim() && "
                    "!e.querySelector('img, svg, mjx-container, table')).length")
                assert empty == 0, f"{empty} empty output boxes on lesson 16"
        finally:
            page.close()


def test_exercises_are_tasks_and_api_pages_link_their_source(browser, site):
    "A lesson's exercises show their code and check line, no stored verdict; API pages link to the source."
    html = (SITE / "04_activation_functions.html").read_text(encoding="utf-8")
    assert "tag_nnfs-exercise" in html and "not attempted yet" not in html
    exercise = html.split("tag_nnfs-exercise", 1)[1].split("</pre>", 1)[0]
    assert 'check("04.1"' in re.sub(r"<[^>]+>", "", exercise)  # the check line is shown
    api = (SITE / "api" / "model.html").read_text(encoding="utf-8")
    assert api.index('id="nnfs.model.Model"') < api.index('id="nnfs.model.History"')
    assert "viewcode-link" in api and (SITE / "_modules" / "nnfs" / "model.html").exists()
    sidebar = (SITE / "index.html").read_text(encoding="utf-8")
    assert "`nnfs`" not in re.sub(r"<[^>]+>", "", sidebar.split('class="bd-sidebar-primary', 1)[1][:20000])
    run_box = (SITE / "04_activation_functions.html").read_text(encoding="utf-8")
    assert "Run this lesson" in run_box and "tools/lab.py" in run_box
