"The README's usage example runs as written and does what it says."

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_usage_example_runs_and_learns_the_spiral():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Using the package", 1)[1].split("\n## ", 1)[0]
    example = "\n".join(re.findall(r"```python\n(.*?)```", section, flags=re.S))
    assert "Model(" in example
    ns: dict = {}
    exec(compile(example, "README.md", "exec"), ns)
    acc = ns["history"]["accuracy"][-1]
    assert acc >= 0.9
    printed = re.search(r"training accuracy after 2,000 epochs: (\d\.\d+)", section)
    assert printed, "the README shows the example's printed output"
    assert abs(float(printed.group(1)) - acc) < 0.02, "the README's stored output agrees with a rerun"


def test_readme_starts_with_the_two_commands():
    """A newcomer's two commands come first: set up (the learner's `[course]` extra) and open the course with
    the launcher, then run all the tests."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [re.sub(r"\\\n\s*", "", c)  # a line ending in a backslash goes on on the next
                for c in re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)[:2]]
    assert commands[0] == ('python3 -m venv .venv && .venv/bin/pip install -e ".[course]" '
                           "&& .venv/bin/python tools/lab.py")
    assert commands[1] == "bash .ci/run"
    assert (ROOT / ".ci" / "run").exists() and (ROOT / "tools" / "lab.py").exists()
    first = text.index("```bash")
    assert text[:first].count("\n## ") == 0, "no section comes before the set-up command"


def test_home_page_lists_every_notebook_in_order():
    "The home page's table (README.md, generated from it) links every lesson and appendix of nbs/, in order."
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lessons = text.split("## The lessons", 1)[1].split("\n## ", 1)[0]
    linked = re.findall(r"^\| *[0-9a-z]+ *\| *\[[^\]]+\]\(nbs/([^)]+\.ipynb)\)", lessons, flags=re.M)
    notebooks = sorted(p.name for p in (ROOT / "nbs").glob("[0-9][0-9]*_*.ipynb"))
    assert linked == notebooks
