"""The course in a real JupyterLab, driven by headless Chromium, as a learner uses it.

A JupyterLab server runs on 127.0.0.1 (free port, no token) over a temporary copy of nbs/; the tests open a
lesson (no kernel dialog may appear), grade a wrong and then a right answer to exercise 90.1 in new cells, and
follow a home-page link to a lesson. Skipped when Chromium or Playwright is missing, unless CI=true: then that
is a failure. A screenshot of the graded cells goes to _build/screenshots/jupyterlab.png."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from test_site import CHROMIUM_ARGS, _unavailable, chromium_path

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "_build" / "screenshots"
TIMEOUT_MS = 60_000
LESSON = "00_intro.ipynb"
# Settings for the test's JupyterLab: no news or update checks (no network), every cell kept in the page.
SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                       "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get_json(url: str):
    with urllib.request.urlopen(url, timeout=5) as r: return json.load(r)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    "Base URL of a JupyterLab server over a temporary copy of nbs/; the server is stopped afterwards."
    tmp = tmp_path_factory.mktemp("jupyterlab")
    root = tmp / "nbs"
    shutil.copytree(ROOT / "nbs", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "_*"))
    for rel, value in SETTINGS.items():
        path = tmp / "settings" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value), encoding="utf-8")
    env = {**os.environ, "MPLBACKEND": "Agg",  # the learner's own settings and workspaces stay out of it
           "JUPYTER_CONFIG_DIR": str(tmp / "config"), "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
           "JUPYTER_DATA_DIR": str(tmp / "data"),  # no user-level kernel: python3 is this environment's
           "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces")}
    port = _free_port()
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           "--IdentityProvider.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
           "--allow-root", "--LabApp.extension_manager=readonly",
           f"--ServerApp.root_dir={root}", "--ServerApp.port_retries=0",
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

