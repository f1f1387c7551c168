"The README's usage example runs as written and does what it says."
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_usage_example_runs_and_learns_the_spiral():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    example = next(b for b in blocks if "Model(" in b)
    ns: dict = {}
    exec(compile(example, "README.md", "exec"), ns)
    assert ns["history"]["accuracy"][-1] >= 0.9


def test_readme_starts_with_the_two_commands():
    "A newcomer's two commands come first: set up and open the course, then run all the tests."
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)[:2]
    assert commands[0].startswith("python3 -m venv .venv && .venv/bin/pip install -e \".[dev]\"")
    assert "jupyter lab nbs/" in commands[0]
    assert commands[1] == "bash .ci/run"
    assert (ROOT / ".ci" / "run").exists()
