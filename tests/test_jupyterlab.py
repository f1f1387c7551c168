"""The course in a real JupyterLab, driven by headless Chromium, as a learner uses it.

The course is copied as a learner clones it (the tracked files, committed in a fresh git repository), and
JupyterLab is started in it by the README's launcher, `tools/lab.py` (free port on 127.0.0.1, no token). The
tests check that it opens on the home page; that opening and running a lesson, then saving it, leaves
`git status` empty; that a lesson opens with no kernel dialog and grades a wrong and then a right answer to
exercise 90.1 typed into new cells; and that a home-page link opens a lesson. Skipped when Chromium or
Playwright is missing, unless CI=true: then that is a failure. A screenshot of the graded cells goes to
_build/screenshots/jupyterlab.png.

Without a browser: JupyterLab's save of every notebook, with the metadata a kernel adds and execution counts,
goes through the launcher's pre-save hook and gives the notebook's bytes back."""
import copy
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import types
import urllib.request
from pathlib import Path
from unittest import mock

import nbformat
import pytest
from test_site import CHROMIUM_ARGS, _unavailable, chromium_path

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "_build" / "screenshots"
TIMEOUT_MS = 60_000
LESSON = "00_intro.ipynb"      # the lesson a learner types into
# the notebook run from top to bottom and saved: deterministic, no timings, and no figures (nbdev-test stores
# figures at twice the resolution of JupyterLab's, so a lesson with figures changes when JupyterLab reruns it)
CLEAN_LESSON = "90_exercises.ipynb"
# Settings for the test's JupyterLab: no news or update checks (no network), every cell kept in the page.
SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                       "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}
# What JupyterLab writes into a notebook's metadata once a kernel has started (JupyterLab 4.6, ipykernel 7)
KERNEL_METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                      "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                      "pygments_lexer": "ipython3", "version": "3.11.7"},
}


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


# ---------------------------------------------------------------- without a browser
def _as_jupyterlab_saves(path: Path) -> str:
    """The bytes JupyterLab's server writes for notebook `path` after a kernel ran every cell, with the
    launcher's pre-save hook (as the server calls it: the path relative to the course folder, which is the
    working folder)."""
    import nbdev.clean
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    nb.metadata.update(copy.deepcopy(KERNEL_METADATA))
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = i + 1
        for o in cell.outputs:
            if "execution_count" in o: o.execution_count = i + 1
    model = {"type": "notebook", "content": nb}
    cwd = os.getcwd()
    no_trust = types.SimpleNamespace(__wrapped__=lambda path: None)  # the hook also signs it: not here
    try:
        os.chdir(path.parent)
        with mock.patch.object(nbdev.clean, "nbdev_trust", no_trust):
            nbdev.clean.clean_jupyter(path=path.name, model=model, contents_manager=None)
    finally:
        os.chdir(cwd)
    text = nbformat.writes(nbformat.from_dict(model["content"]), version=nbformat.NO_CONVERT)
    return text if text.endswith("\n") else text + "\n"


@pytest.mark.parametrize("path", sorted((ROOT / "nbs").glob("*.ipynb")), ids=lambda p: p.name)
def test_saving_in_jupyterlab_through_the_hook_changes_nothing(path):
    "A notebook opened, run (same outputs) and saved through tools/lab.py's hook is byte for byte the same."
    assert _as_jupyterlab_saves(path) == path.read_text(encoding="utf-8"), (
        f"{path.name}: saving it in JupyterLab would change it (run nbdev-clean, or is a hook missing?)")


def test_the_hook_is_what_removes_the_kernel_metadata(tmp_path):
    "Without `jupyter_hooks = true` in pyproject.toml the same save keeps JupyterLab's metadata."
    (tmp_path / "nbs").mkdir()
    shutil.copy(ROOT / "nbs" / "index.ipynb", tmp_path / "nbs" / "index.ipynb")
    toml = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert "jupyter_hooks = true" in toml
    (tmp_path / "pyproject.toml").write_text(toml.replace("jupyter_hooks = true", "jupyter_hooks = false"))
    saved = json.loads(_as_jupyterlab_saves(tmp_path / "nbs" / "index.ipynb"))
    assert saved["metadata"]["language_info"]["version"] == "3.11.7"


def test_launcher_adds_allow_root_only_as_root():
    import importlib.util as iu
    spec = iu.spec_from_file_location("lab", ROOT / "tools" / "lab.py")
    lab = iu.module_from_spec(spec)
    spec.loader.exec_module(lab)
    assert "--allow-root" in lab.command([], is_root=True)
    assert "--allow-root" not in lab.command([], is_root=False)
    assert lab.command(["--allow-root"], is_root=True).count("--allow-root") == 1
    cmd = lab.command(["--no-browser"], is_root=False)
    assert cmd[-1] == "--no-browser" and "--LabApp.default_url=/lab/tree/index.ipynb" in cmd
    assert "--ContentsManager.pre_save_hook=nbdev.clean.clean_jupyter" in cmd


# ---------------------------------------------------------------- JupyterLab in a browser
@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    "The project as a learner clones it: its tracked files as they are now, committed in a new repository."
    repo = tmp_path_factory.mktemp("clone") / "nnfs"
    for rel in _git(ROOT, "ls-files", "-z").split("\0"):
        src = ROOT / rel
        if rel and src.is_file():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, repo / rel)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=learner", "-c", "user.email=learner@localhost", "commit", "-qm", "clone")
    return repo


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get_json(url: str):
    with urllib.request.urlopen(url, timeout=5) as r: return json.load(r)


@pytest.fixture(scope="module")
def lab(tmp_path_factory, course):
    "Base URL of JupyterLab started by tools/lab.py in the learner's clone; the server is stopped afterwards."
    tmp = tmp_path_factory.mktemp("jupyterlab")
    for rel, value in SETTINGS.items():
        path = tmp / "settings" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value), encoding="utf-8")
    # as a learner runs it: figures inline (no MPLBACKEND); the learner's own settings and workspaces stay out
    env = {**{k: v for k, v in os.environ.items() if k != "MPLBACKEND"},
           "JUPYTER_CONFIG_DIR": str(tmp / "config"), "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
           "JUPYTER_DATA_DIR": str(tmp / "data"),  # no user-level kernel: python3 is this environment's
           "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces")}
    port = _free_port()
    # the launcher adds --allow-root by itself when the tests run as root (as CI does)
    cmd = [sys.executable, str(course / "tools" / "lab.py"), "--no-browser", f"--port={port}",
           "--ip=127.0.0.1",
           "--IdentityProvider.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
           "--LabApp.extension_manager=readonly", "--ServerApp.port_retries=0",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.news_url=None"]
    log = open(tmp / "server.log", "wb")
    server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                log_tail = (tmp / "server.log").read_text()[-3000:]
                pytest.fail(f"JupyterLab exited ({server.returncode}):\n{log_tail}")
            try:
                _get_json(f"{base}/api/status")
                break
            except OSError:
                if time.monotonic() > deadline: pytest.fail("JupyterLab did not answer within 90 s")
                time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def page(lab):
    "One browser page for the module's tests (Chromium through Playwright, the system browser)."
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    exe = chromium_path()
    if exe is None: _unavailable("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        pg.set_default_timeout(TIMEOUT_MS)
        yield pg
        browser.close()


def _session(lab: str, name: str) -> dict | None:
    "The server's session for notebook `name`, if one is open."
    return next((s for s in _get_json(f"{lab}/api/sessions") if s.get("path", "").endswith(name)), None)


def _wait_for_kernel(lab: str, page, name: str) -> dict:
    "Wait until `name` has a running kernel; fail at once if JupyterLab asks which kernel to use."
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        dialog = page.locator(".jp-Dialog")
        if dialog.count() and dialog.first.is_visible():
            pytest.fail(f"a dialog appeared when opening {name}: {dialog.first.inner_text()!r}")
        s = _session(lab, name)
        if s and s.get("kernel") and s["kernel"].get("execution_state") in ("idle", "busy"): return s
        page.wait_for_timeout(500)
    pytest.fail(f"no kernel started for {name} within {TIMEOUT_MS // 1000} s")


def _open(page, lab: str, name: str):
    "Open notebook `name` and return its panel (other notebooks may stay open in hidden tabs)."
    page.goto(f"{lab}/lab/tree/{name}", wait_until="domcontentloaded")
    page.locator(".lm-TabBar-tab.lm-mod-current", has_text=name).first.wait_for(state="visible")
    panel = page.locator(".jp-NotebookPanel:has(.jp-Cell):visible").first
    panel.wait_for(state="visible")
    return panel


def _run_new_cell_above(page, panel, code: str):
    "Insert a cell above the active one (command mode `a`), type `code`, run it; return the cell."
    panel.locator(".jp-Notebook").first.focus()
    page.keyboard.press("Escape")
    page.keyboard.press("a")
    page.keyboard.press("Enter")
    page.keyboard.insert_text(code)
    page.keyboard.press("Shift+Enter")
    cell = panel.locator(".jp-CodeCell", has_text=code.splitlines()[-1][:40]).first
    cell.locator(".jp-OutputArea-output").first.wait_for(state="visible")
    return cell


def _output_text(cell, pattern: str) -> str:
    "The cell's output text once it matches `pattern` (the kernel may still be printing)."
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    text = ""
    while time.monotonic() < deadline:
        text = cell.locator(".jp-OutputArea").first.inner_text()
        if re.search(pattern, text): return text
        time.sleep(0.3)
    pytest.fail(f"output never matched {pattern!r}: {text!r}")


def test_launcher_opens_the_home_page(lab, page):
    "The launcher's URL opens JupyterLab on the course's home page."
    page.goto(f"{lab}/", wait_until="domcontentloaded")
    page.locator(".lm-TabBar-tab.lm-mod-current", has_text="index.ipynb").first.wait_for(state="visible")
    heading = page.locator(".jp-NotebookPanel:visible .jp-RenderedMarkdown h1").first
    heading.wait_for(state="visible")
    assert "Neural Networks from Scratch" in heading.inner_text()
    _wait_for_kernel(lab, page, "index.ipynb")


def _changes(repo: Path, name: str) -> str:
    "What differs in notebook `name` from its committed version: metadata and the cells whose parts changed."
    old = json.loads(_git(repo, "show", f"HEAD:nbs/{name}"))
    new = json.loads((repo / "nbs" / name).read_text(encoding="utf-8"))
    found = []
    if old["metadata"] != new["metadata"]: found.append(f"metadata: {old['metadata']} -> {new['metadata']}")
    for i, (a, b) in enumerate(zip(old["cells"], new["cells"])):
        keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        if keys:
            found.append(f"cell {i} ({a.get('id')}): {', '.join(keys)}: {json.dumps(b.get(keys[0]))[:200]}")
    if len(old["cells"]) != len(new["cells"]):
        found.append(f"{len(old['cells'])} -> {len(new['cells'])} cells")
    return "\n".join(found)


def test_running_a_lesson_and_saving_it_leaves_git_clean(lab, page, course):
    """Run All on a lesson, then save: the file is written (through the launcher's hook) and `git status` of
    the learner's clone stays empty: the lesson's stored outputs are what a fresh run prints, and no editor
    metadata or execution count reaches the file."""
    path = course / "nbs" / CLEAN_LESSON
    written = path.stat().st_mtime_ns
    panel = _open(page, lab, CLEAN_LESSON)
    _wait_for_kernel(lab, page, CLEAN_LESSON)
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).first.click()
    page.locator(".lm-Menu-item:visible", has_text="Run All Cells").first.click()
    prompts = panel.locator(".jp-CodeCell .jp-InputPrompt")
    deadline = time.monotonic() + 3 * TIMEOUT_MS / 1000
    while True:  # every code cell ran: each prompt shows a number, none is still queued or running ([*])
        texts = [t.strip() for t in prompts.all_inner_texts() if t.strip()]  # a collapsed input shows none
        if texts and all(re.fullmatch(r"\[\d+\]:", t) for t in texts): break
        if time.monotonic() > deadline: pytest.fail(f"Run All did not finish: prompts {texts}")
        time.sleep(0.5)
    assert not panel.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']").count(), (
        "a cell raised an error")
    panel.locator(".jp-Notebook").first.focus()
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while path.stat().st_mtime_ns == written:
        if time.monotonic() > deadline: pytest.fail("JupyterLab did not save the notebook")
        time.sleep(0.3)
    tab = page.locator(".lm-TabBar-tab.lm-mod-current", has_text=CLEAN_LESSON).first
    page.wait_for_function("t => !t.classList.contains('jp-mod-dirty')", arg=tab.element_handle())
    status = _git(course, "status", "--porcelain")
    assert status == "", f"git status after Run All and save:\n{status}\n{_changes(course, CLEAN_LESSON)}"


def test_lesson_opens_without_kernel_dialog_and_grades_an_exercise(lab, page):
    panel = _open(page, lab, LESSON)
    session = _wait_for_kernel(lab, page, LESSON)
    assert session["kernel"]["name"] == "python3"
    assert page.locator(".jp-Dialog").count() == 0
    wrong = _run_new_cell_above(page, panel, 'from nnfs.exercises import check\ncheck("90.1", lambda x: 2*x)')
    text = _output_text(wrong, r"Exercise 90\.1.*\n.*(Hint|False)")
    assert "✗ Exercise 90.1" in text and "not yet" in text and "expected" in text, text
    assert "Hint:" in text, text
    right = _run_new_cell_above(page, panel, 'check("90.1", lambda x: x*x)')
    text = _output_text(right, r"passed")
    assert "✓ Exercise 90.1" in text and "passed" in text, text
    assert "not yet" not in text
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "jupyterlab.png"))


def test_home_page_link_opens_a_lesson(lab, page):
    "A lesson link of the home page, clicked, opens that lesson in JupyterLab (the sibling notebook)."
    panel = _open(page, lab, "index.ipynb")
    # only the home page's own links: the lesson opened by the test above stays open in a hidden tab
    links = panel.locator(".jp-RenderedMarkdown a[href*='.ipynb']")
    links.first.wait_for(state="attached")
    # JupyterLab shows a relative link as /files/<path> and opens the document itself when it is clicked
    hrefs = links.evaluate_all("els => els.map(a => a.getAttribute('href'))")
    found = (re.search(r"/files/(\d\d[a-z]?_\w+\.ipynb)(\?|$)", h or "") for h in hrefs)
    lessons = [m.group(1) for m in found if m]
    assert lessons, f"the home page links no lesson: {hrefs}"
    target = next(name for name in lessons if name != LESSON)
    title = next(line[2:].strip() for line in _markdown(ROOT / "nbs" / target).splitlines()
                 if line.startswith("# "))
    link = panel.locator(f".jp-RenderedMarkdown a[href*='/files/{target}']").first
    link.scroll_into_view_if_needed()
    link.click()
    page.locator(".lm-TabBar-tab.lm-mod-current", has_text=target).first.wait_for(state="visible")
    heading = page.locator(".jp-NotebookPanel:visible .jp-RenderedMarkdown h1", has_text=title).first
    heading.wait_for(state="visible")
    _wait_for_kernel(lab, page, target)
    assert len(page.context.pages) == 1  # opened inside JupyterLab, not as a raw file in another browser tab


def _markdown(path: Path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")

