"""Tests of `tools/md_to_ipynb.py`, the Markdown-to-notebook converter for lesson authors."""

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

REPO = Path(__file__).resolve().parents[1]
TOOL = REPO / "tools" / "md_to_ipynb.py"
_spec = importlib.util.spec_from_file_location("md_to_ipynb", TOOL)
m2i = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(m2i)


# ----------------------------------------------------------------------------------------------- helpers
def nb_of(md: str) -> dict:
    "The notebook `md` converts to, read back from the written text (so serialization is covered too)."
    text, _ = m2i.convert_text(md)
    return json.loads(text)


def src(cell) -> str:
    return "".join(cell["source"])


def cells(md: str, title=False) -> list[tuple[str, str]]:
    "(cell type, source) of each cell; without `title`, a leading title cell is left out."
    res = [(c["cell_type"], src(c)) for c in nb_of(md)["cells"]]
    if not title and res and res[0][0] == "markdown" and res[0][1].startswith("# "):
        res = res[1:]
    return res


def code(md: str) -> list[str]:
    return [s for t, s in cells(md) if t == "code"]


def warnings_of(md: str) -> list[str]:
    return m2i.convert(md).warnings


def run_main(argv, capsys, stdin: bytes | None = None, monkeypatch=None):
    if stdin is not None:
        import io

        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    rc = m2i.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("md_to_ipynb: error: "), err
    return lines[0]


T = "# T\n\n"  # a title, so the title rules stay out of the way of the fence tests


# ----------------------------------------------------------------------------------------------- code fences
@pytest.mark.parametrize(
    "info",
    [
        "python",
        "py",
        "python3",
        "py3",
        "ipython",
        "ipython3",
        "Python",
        "PY",
        "IPython",
        "{python}",
        "{.python}",
        "{python echo=false}",
        "{.python .numberLines}",
        'python jupyter={"source_hidden": true}',
        "python3 title='a b'",
        "  python  ",
    ],
)
def test_python_info_strings_make_code_cells(info):
    assert cells(T + f"```{info}\nx = 1\n```\n") == [("code", "x = 1")]
    assert cells(T + f"~~~{info}\nx = 1\n~~~\n") == [("code", "x = 1")]


@pytest.mark.parametrize(
    "info",
    ["", "bash", "text", "pycon", "pythonic", "python-repl", "{r}", "js", "markdown", "{.bash}", "output"],
)
def test_other_fences_stay_markdown_verbatim(info):
    fence = f"```{info}\nx = 1\n```"
    assert cells(T + fence + "\n") == [("markdown", fence)]


def test_markdown_runs_between_code_cells_in_order():
    md = T + "one\n\n```python\na\n```\ntwo\n\nthree\n```python\nb\n```\n```python\nc\n```\n\n\nfour\n"
    assert cells(md) == [
        ("markdown", "one"),
        ("code", "a"),
        ("markdown", "two\n\nthree"),
        ("code", "b"),
        ("code", "c"),
        ("markdown", "four"),
    ]


def test_markdown_text_is_kept_byte_for_byte():
    body = (
        "Some *text*  \nwith a hard break, $x^2$, <b>html</b>\n\n    indented code\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert cells(T + "\n\n" + body + "\n\n\n") == [("markdown", body)]


def test_longer_fence_contains_shorter_fences():
    inner = "s = '''\n```python\nnot a cell\n```\n'''"
    assert code(T + f"````python\n{inner}\n````\n") == [inner]
    assert code(T + "~~~python\n```\nx\n```\n~~~\n") == ["```\nx\n```"]
    # a tilde fence is not closed by backticks, nor a backtick fence by tildes
    assert code(T + "```python\n~~~\nx\n```\n") == ["~~~\nx"]


def test_closing_fence_rules():
    # the closing fence may be longer than the opening one, indented up to 3 spaces, with trailing spaces
    assert code(T + "```python\nx\n`````\nafter\n") == ["x"]
    assert code(T + "```python\nx\n   ```   \n") == ["x"]
    # a shorter one, or one indented 4 spaces, does not close it
    assert code(T + "````python\nx\n```\ny\n````\n") == ["x\n```\ny"]
    assert code(T + "```python\nx\n    ```\ny\n```\n") == ["x\n    ```\ny"]
    # a closing fence takes no info string
    assert code(T + "```python\nx\n``` python\ny\n```\n") == ["x\n``` python\ny"]


def test_indented_opening_fence_removes_that_indentation_from_content():
    # CommonMark: up to the opening fence's indentation is removed from each content line
    assert code(T + "   ```python\n   a = 1\n      b = 2\n  c = 3\nd\n   ```\n") == [
        "a = 1\n   b = 2\nc = 3\nd"
    ]
    assert code(T + " ~~~py\n x\n ~~~\n") == ["x"]
    # four spaces make an indented code block, not a fence: Markdown
    assert cells(T + "    ```python\n    x\n    ```\n") == [("markdown", "    ```python\n    x\n    ```")]


def test_backtick_in_info_string_is_not_a_fence():
    # CommonMark: the info string of a backtick fence may not contain backticks (this is inline code)
    assert code(T + "```python`\nx\n```\n") == []


def test_fences_inside_lists_and_block_quotes_stay_markdown():
    md = (
        T
        + "- item\n\n  ```python\n  x = 1\n  ```\n\n> ```python\n> y = 2\n> ```\n\n"
        + "1. step\n   ~~~py\n   z\n   ~~~\n"
    )
    res = cells(md)
    assert [t for t, _ in res] == ["markdown"]
    assert res[0][1] == md[len(T) :].rstrip("\n")


def test_fence_in_block_quote_ends_with_the_quote_without_warning():
    md = T + "> ```python\n> y\n\n```python\nz\n```\n"
    assert code(md) == ["z"]
    assert warnings_of(md) == []


def test_unclosed_fence_runs_to_end_of_file_with_warning():
    md = T + "text\n\n```python\nx = 1\n\n# Heading\n```bash\n"
    assert cells(md) == [("markdown", "text"), ("code", "x = 1\n\n# Heading\n```bash")]
    (w,) = warnings_of(md)
    assert w.startswith("5: ") and "never closed" in w
    # without a final newline the last line is kept whole
    assert code(T + "```python\nx = 1") == ["x = 1"]
    # an unclosed fence in another language swallows later Python fences (they stay Markdown)
    md = T + "~~~text\nnotes\n```python\nx\n```\n"
    assert cells(md) == [("markdown", "~~~text\nnotes\n```python\nx\n```")]
    assert len(warnings_of(md)) == 1
    assert warnings_of(T + "```python\nx\n```") == []  # closed on the last line, no final newline


# ------------------------------------------------------------------------------------------ code cell text
def test_nbdev_directives_preserved_byte_for_byte():
    body = (
        "#| default_exp losses\n#|export\n#| hide  \n#| export nnfs.losses\n"
        "def f(x: int) -> int:\n\t'Tab-indented, “unicode”, trailing space ' \n\treturn x\n"
    )
    nb = nb_of(T + "```python\n" + body + "```\n")
    assert src(nb["cells"][1]) == body[:-1]
    assert nb["cells"][1]["source"][:4] == [
        "#| default_exp losses\n",
        "#|export\n",
        "#| hide  \n",
        "#| export nnfs.losses\n",
    ]


def test_only_the_newline_before_the_closing_fence_is_dropped():
    assert code(T + "```python\nx\n```\n") == ["x"]
    assert code(T + "```python\nx\n\n```\n") == ["x\n"]
    assert code(T + "```python\nx\n\n\n```\n") == ["x\n\n"]
    assert code(T + "```python\n\nx\n```\n") == ["\nx"]
    assert code(T + "```python\n```\n") == [""]
    assert code(T + "```python\n\n```\n") == [""]
    assert code(T + "```python\n   \n```\n") == ["   "]


@settings(max_examples=150, deadline=None)
@given(st.text(st.characters(blacklist_characters="\r\x00", blacklist_categories=("Cs",)), max_size=80))
def test_any_code_text_round_trips_through_a_fence(body):
    "A cell exported as ```python\\n{source}\\n``` (nbconvert's form) comes back unchanged."
    lines = body.split("\n")
    fence = "`" * (3 + max([len(re.match(r" *(`*)", l).group(1)) for l in lines] + [0]))
    assert code(T + f"{fence}python\n{body}\n{fence}\n") == [body]


def test_line_endings_normalized_and_bom_dropped():
    md = "\ufeff# T\r\n\r\n```python\r\nx = 1\r\ny = 2\r\n```\r\ntext\rmore\r\n"
    assert cells(md, title=True) == [
        ("markdown", "# T"),
        ("code", "x = 1\ny = 2"),
        ("markdown", "text\nmore"),
    ]


# ----------------------------------------------------------------------------------------------- title
def test_front_matter_becomes_title_cell():
    md = (
        '---\ntitle: "Softmax: from scores to probabilities"\ndescription: >-\n  Why we exponentiate,\n'
        "  and how to do it stably.\n---\n\nIntro.\n\n```python\nx\n```\n"
    )
    assert cells(md, title=True) == [
        (
            "markdown",
            "# Softmax: from scores to probabilities\n\n> Why we exponentiate, and how to do it stably.",
        ),
        ("markdown", "Intro."),
        ("code", "x"),
    ]


def test_front_matter_other_keys_become_nbdev_key_value_lines():
    md = (
        "---\ntitle: T\nskip_exec: true\norder: 3\ntags: [a, b]\n"
        "note: 'it''s: fine'\nversion: '3'\nword: 'yes'\n"
        "author: Ann Lee\njupyter:\n  x: 1\n...\nText\n"
    )
    title = cells(md, title=True)[0][1]
    assert title == (
        '# T\n\n- skip_exec: true\n- order: 3\n- tags: ["a", "b"]\n- note: "it\'s: fine"\n- version: "3"\n'
        '- word: "yes"\n- author: Ann Lee'
    )
    # nbdev reads them back as the same front matter
    from fastcore.nbio import md_frontmatter

    assert md_frontmatter(title) == dict(
        title="T",
        skip_exec=True,
        order=3,
        tags=["a", "b"],
        note="it's: fine",
        version="3",
        word="yes",
        author="Ann Lee",
    )


def test_title_cell_is_nbdev_title():
    from fastcore.nbio import md_frontmatter

    t = cells("---\ntitle: Loss\ndescription: 'How wrong: a number'\n---\n", title=True)[0][1]
    assert md_frontmatter(t) == dict(title="Loss", description="How wrong: a number")


def test_nbdev_docs_keep_the_text_after_the_title(tmp_path):
    "nbdev turns the whole title cell into front matter, so the title cell must hold nothing else."
    from fastcore.nbio import dict2nb
    from nbdev.frontmatter import FrontmatterProc
    from nbdev.process import NBProcessor

    for md in (
        "# Lesson\n> Summary.\n\nSet-up instructions.\n",
        "---\ntitle: Lesson\ndescription: Summary.\n---\nSet-up instructions.\n",
    ):
        nb = dict2nb(nb_of(md))
        nb.path_ = str(tmp_path / "lesson.ipynb")
        proc = NBProcessor(nb=nb, procs=[FrontmatterProc])
        proc.process()
        assert proc.nb.frontmatter_["title"] == "Lesson" and proc.nb.frontmatter_["description"] == "Summary."
        assert [c.source for c in proc.nb.cells if c.cell_type == "markdown"] == ["Set-up instructions."]


def test_unclosed_front_matter_is_markdown_with_warning():
    md = "---\ntitle: T\n\n# Real title\n"
    res = m2i.convert(md)
    assert any(w.startswith("1: ") and "front matter" in w for w in res.warnings)
    assert [src(c) for c in res.nb["cells"]] == ["# Real title", "---\ntitle: T"]


@pytest.mark.parametrize(
    "fm, msg",
    [("title: [unclosed\n", "invalid YAML"), ("- a\n- b\n", "mapping"), ("title: {a: 1}\n", "title")],
)
def test_bad_front_matter_is_an_error(fm, msg):
    with pytest.raises(m2i.ConversionError, match=msg):
        m2i.convert(f"---\n{fm}---\n")


def test_simple_yaml_subset_without_pyyaml(monkeypatch):
    fm = (
        '# a comment\ntitle: "Say \\"hi\\": now"  # comment\ndescription: It\'s a plain value\n'
        "  continued here\nnote: 'a '' b'\nflag: true\nempty:\n"
    )
    assert m2i.parse_simple_yaml(fm) == {
        "title": 'Say "hi": now',
        "description": "It's a plain value continued here",
        "note": "a ' b",
        "flag": True,
        "empty": None,
    }
    with pytest.raises(m2i.ConversionError, match="line 4"):
        m2i.parse_simple_yaml("a: 1\n\n- b\n")
    with pytest.raises(m2i.ConversionError, match="unterminated"):
        m2i.parse_simple_yaml('a: "x\n')
    with pytest.raises(m2i.ConversionError, match="line 3: unsupported escape"):
        m2i.parse_simple_yaml('\na: "\\q"\n')
    monkeypatch.setitem(sys.modules, "yaml", None)  # as if PyYAML were not installed
    assert cells("---\ntitle: 'A: B'\ndescription: d\n---\n", title=True) == [("markdown", "# A: B\n\n> d")]


def test_first_heading_is_title_without_front_matter():
    md = "# Dense layers #\n\n> Many neurons at once.\n\n## Objectives\n\nText\n"
    assert cells(md, title=True) == [
        ("markdown", "# Dense layers\n\n> Many neurons at once."),
        ("markdown", "## Objectives\n\nText"),
    ]
    # a setext heading is written as '# Title' (the form nbdev reads)
    assert cells("Dense\n=====\ntext\n", title=True) == [("markdown", "# Dense"), ("markdown", "text")]
    # a block quote of more than one paragraph is content, not the description
    assert cells("# A\n> p1\n>\n> p2\n", title=True) == [("markdown", "# A"), ("markdown", "> p1\n>\n> p2")]


def test_title_heading_is_moved_to_the_top():
    md = "```python\n#| default_exp core\n```\n\nIntro\n# Title\n> desc\n\nMore\n# Second\n"
    assert cells(md, title=True) == [
        ("markdown", "# Title\n\n> desc"),
        ("code", "#| default_exp core"),
        ("markdown", "Intro\n\nMore\n# Second"),
    ]
    # the paragraphs around a moved heading stay two paragraphs
    assert cells("Intro\n# Title\nMore\n", title=True) == [
        ("markdown", "# Title"),
        ("markdown", "Intro\n\nMore"),
    ]


def test_no_title_warns():
    md = "## Only a subsection\n\n```python\nx\n```\n"
    res = m2i.convert(md)
    assert [c["cell_type"] for c in res.nb["cells"]] == ["markdown", "code"]
    assert any("no title" in w for w in res.warnings)
    # a '# ' line inside a list or a fence is not a title
    assert any("no title" in w for w in m2i.convert("- # in a list\n\n```\n# in a fence\n```\n").warnings)


def test_front_matter_description_with_heading_title():
    md = "---\ndescription: From front matter\n---\n# Heading title\n> quote\n"
    assert cells(md, title=True) == [("markdown", "# Heading title\n\n> From front matter")]


# ------------------------------------------------------------------------------------------- output format
SAMPLE = (
    "---\ntitle: Sample\ndescription: A sample lesson\n---\n\nText with ünïcödé.\n\n```python\n#| export\n"
    "def f():\n    return 1\n```\n\n```python\n# your code here\n```\n\n"
    "More.\n\n```python\n# your code here\n```\n"
)


def test_output_is_valid_nbformat_45_with_python_kernel_and_no_outputs():
    text, _ = m2i.convert_text(SAMPLE)
    nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    assert nb.metadata == {"kernelspec": {"display_name": "python3", "language": "python", "name": "python3"}}
    for c in nb.cells:
        assert c.metadata == {}
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None
        else:
            assert "outputs" not in c and "execution_count" not in c
    assert "ünïcödé" in text  # UTF-8, not \u escapes


def test_cell_ids_deterministic_valid_unique_and_local():
    a, _ = m2i.convert_text(SAMPLE)
    b, _ = m2i.convert_text(SAMPLE)
    assert a == b
    ids = [c["id"] for c in json.loads(a)["cells"]]
    assert len(set(ids)) == len(ids) == 6  # the two identical exercise cells get different ids
    assert all(re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", i) for i in ids)
    # inserting a cell leaves every other cell's id alone
    c, _ = m2i.convert_text(SAMPLE.replace("More.", "More.\n\n```python\nnew = 1\n```\n\nEven more."))
    assert set(ids) < {x["id"] for x in json.loads(c)["cells"]}


def test_already_clean_for_nbdev(monkeypatch):
    from fastcore.nbio import nb2str
    from nbdev.clean import _nbdev_clean

    monkeypatch.chdir(REPO)  # nbdev reads the project's configuration
    for md in (SAMPLE, "# T\n\n```python\n#| hide\nx\n```\n\n```python\n```\n", "no title, no code\n"):
        text, _ = m2i.convert_text(md)
        nb = json.loads(text)
        _nbdev_clean(nb)
        assert nb2str(nb) == text


def test_nbdev_clean_command_changes_nothing(tmp_path):
    nbdev_clean = Path(sys.executable).parent / "nbdev-clean"
    if not nbdev_clean.exists():
        pytest.skip("nbdev-clean is not installed next to this Python")
    out = tmp_path / "sample.ipynb"
    text, _ = m2i.convert_text(SAMPLE)
    out.write_text(text, encoding="utf-8")
    r = subprocess.run(
        [str(nbdev_clean), "--fname", str(out)], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    assert "Failed" not in r.stderr
    assert out.read_text(encoding="utf-8") == text


# ----------------------------------------------------------------------------------------------- command line
def test_help_explains_the_tool(capsys):
    with pytest.raises(SystemExit) as e:
        m2i.main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for word in (
        "--force",
        "--output",
        "--outdir",
        "standard input",
        "front matter",
        "never overwritten",
        "python",
        "block quotes",
        "exit status",
    ):
        assert word in out, word


def test_default_output_next_to_input_and_no_overwrite(tmp_path, capsys):
    md = tmp_path / "lesson.md"
    md.write_text(SAMPLE, encoding="utf-8")
    rc, out, err = run_main([md], capsys)
    assert (rc, out, err) == (0, "", "")
    first = (tmp_path / "lesson.ipynb").read_bytes()
    assert first == m2i.convert_text(SAMPLE)[0].encode("utf-8")
    md.write_text(SAMPLE.replace("Text", "Changed"), encoding="utf-8")
    rc, _, err = run_main([md], capsys)
    assert rc == 1 and "already exists" in error_line(err) and "--force" in err
    assert (tmp_path / "lesson.ipynb").read_bytes() == first
    rc, _, _ = run_main([md, "--force"], capsys)
    assert rc == 0 and (tmp_path / "lesson.ipynb").read_bytes() != first
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "lesson.ipynb",
        "lesson.md",
    ]  # no temporary files left


def test_converting_twice_gives_identical_bytes(tmp_path, capsys):
    md = tmp_path / "a.md"
    md.write_text(SAMPLE, encoding="utf-8")
    assert run_main([md, "-o", tmp_path / "one.ipynb"], capsys)[0] == 0
    assert run_main([md, "-o", tmp_path / "two.ipynb"], capsys)[0] == 0
    assert (tmp_path / "one.ipynb").read_bytes() == (tmp_path / "two.ipynb").read_bytes()


def test_several_inputs_to_outdir(tmp_path, capsys):
    (tmp_path / "src").mkdir()
    (tmp_path / "out").mkdir()
    for n in ("a", "b"):
        (tmp_path / "src" / f"{n}.md").write_text(f"# {n}\n\n```python\n{n} = 1\n```\n", encoding="utf-8")
    rc, _, err = run_main([tmp_path / "src/a.md", tmp_path / "src/b.md", "-d", tmp_path / "out"], capsys)
    assert rc == 0, err
    for n in ("a", "b"):
        nb = json.loads((tmp_path / "out" / f"{n}.ipynb").read_text(encoding="utf-8"))
        assert src(nb["cells"][1]) == f"{n} = 1"


def test_stdin_to_stdout_and_to_file(tmp_path, capsys, monkeypatch):
    rc, out, err = run_main(["-"], capsys, stdin=SAMPLE.encode(), monkeypatch=monkeypatch)
    assert rc == 0 and err == "" and out == m2i.convert_text(SAMPLE)[0]
    rc, out, _ = run_main(
        ["-", "-o", tmp_path / "x.ipynb"], capsys, stdin=SAMPLE.encode(), monkeypatch=monkeypatch
    )
    assert (
        rc == 0
        and out == ""
        and (tmp_path / "x.ipynb").read_text(encoding="utf-8") == m2i.convert_text(SAMPLE)[0]
    )
    rc, out, err = run_main(["-"], capsys, stdin=b"caf\xe9\n", monkeypatch=monkeypatch)
    assert (
        rc == 1
        and out == ""
        and error_line(err)
        == ("md_to_ipynb: error: <stdin>: not UTF-8 text (byte 0xe9 on line 1); save the file as UTF-8")
    )


def test_script_runs_as_a_command():
    r = subprocess.run(
        [sys.executable, str(TOOL), "-"], input=b"```python\nx\n```python\n", capture_output=True, timeout=60
    )
    assert r.returncode == 0
    assert src(json.loads(r.stdout)["cells"][0]) == "x\n```python"
    assert r.stderr.decode().splitlines() == [
        "md_to_ipynb: warning: <stdin>:1: the fence opened here ('```') is never closed, "
        "so it runs to the end of the file",
        "md_to_ipynb: warning: <stdin>:1: no title: start the file with YAML front matter with a 'title:' "
        "or with a '# Title' heading",
    ]


def _inputs(tmp_path):
    good = tmp_path / "good.md"
    good.write_text(SAMPLE, encoding="utf-8")
    bad = tmp_path / "latin1.md"
    bad.write_bytes("# Caf\u00e9\n".encode("latin-1"))
    (tmp_path / "folder.md").mkdir()
    return good, bad


@pytest.mark.parametrize(
    "case, expect",
    [
        ("missing", "no such file"),
        ("directory", "is a directory"),
        ("latin1", "not UTF-8 text (byte 0xe9 on line 1)"),
        ("no_out_folder", "does not exist"),
        ("outdir_missing", "does not exist"),
        ("out_is_dir", "is a directory"),
        ("same_output", "would both be written"),
        ("out_is_input", "would replace the input"),
        ("o_with_two", "single input"),
        ("stdin_twice", "only once"),
        ("stdin_outdir", "standard input"),
        ("bad_front_matter", "good.md: line 3: invalid YAML front matter"),
    ],
)
def test_user_errors_one_line_exit_1_nothing_written(tmp_path, capsys, case, expect):
    good, bad = _inputs(tmp_path)
    (tmp_path / "out").mkdir()
    other = tmp_path / "other"
    other.mkdir()
    (other / "good.md").write_text("# x\n", encoding="utf-8")
    argv = {
        "missing": [good, tmp_path / "missing.md", "-d", tmp_path / "out"],
        "directory": [good, tmp_path / "folder.md", "-d", tmp_path / "out"],
        "latin1": [good, bad, "-d", tmp_path / "out"],
        "no_out_folder": [good, "-o", tmp_path / "nowhere" / "x.ipynb"],
        "outdir_missing": [good, "-d", tmp_path / "nowhere"],
        "out_is_dir": [good, "-o", tmp_path / "out"],
        "same_output": [good, other / "good.md", "-d", tmp_path / "out"],
        "out_is_input": [good, "-o", good, "--force"],
        "o_with_two": [good, other / "good.md", "-o", tmp_path / "out" / "x.ipynb"],
        "stdin_twice": ["-", "-"],
        "stdin_outdir": ["-", "-d", tmp_path / "out"],
        "bad_front_matter": [good, "-d", tmp_path / "out"],
    }[case]
    if case == "bad_front_matter":
        good.write_text("---\ntitle: x\n: : [\n---\n", encoding="utf-8")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    rc, out, err = run_main(argv, capsys)
    assert rc == 1 and out == ""
    assert expect in error_line(err)
    assert (
        sorted(str(p) for p in tmp_path.rglob("*")) == before
    )  # nothing written, not even the good input's notebook


@pytest.mark.parametrize("argv", [[], ["--nope", "x.md"], ["a.md", "-o", "x.ipynb", "-d", "."]])
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as e:
        m2i.main(argv)
    assert e.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_failed_write_leaves_no_file(tmp_path, capsys, monkeypatch):
    md = tmp_path / "a.md"
    md.write_text(SAMPLE, encoding="utf-8")

    def boom(a, b):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(m2i.os, "replace", boom)
    rc, _, err = run_main([md], capsys)
    assert rc == 1 and "No space left on device" in error_line(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md"]


def test_written_notebook_has_ordinary_permissions(tmp_path, capsys):
    md = tmp_path / "a.md"
    md.write_text(SAMPLE, encoding="utf-8")
    assert run_main([md], capsys)[0] == 0
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "a.ipynb").stat().st_mode & 0o777 == 0o666 & ~umask


# ----------------------------------------------------------------------------------------------- round trips
NOTEBOOKS = sorted((REPO / "nbs").glob("*.ipynb"))


def _python_fences(markdown: str) -> list[str]:
    "Top-level Python fences in a Markdown cell: these become code cells too (the tool's documented rule)."
    res = []
    for t in MarkdownIt("commonmark").parse(markdown):
        lang = (t.info.split() or [""])[0].strip("{}.").lower()
        if (
            t.type == "fence"
            and t.level == 0
            and lang in {"python", "py", "python3", "py3", "ipython", "ipython3"}
        ):
            res.append(t.content[:-1] if t.content.endswith("\n") else t.content)
    return res


def _export(nb, exporter: str) -> str:
    if exporter == "jupytext":
        import jupytext

        return jupytext.writes(nb, fmt="md")
    from nbconvert import MarkdownExporter

    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    nb.metadata["language_info"] = {
        "name": "python"
    }  # nbconvert tags the fences with it (nbdev-clean drops it)
    return MarkdownExporter(exclude_output=True).from_notebook_node(nb)[0]


@pytest.mark.parametrize("exporter", ["nbconvert", "jupytext"])
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_round_trip_lesson_notebooks(path, exporter):
    nb = nbformat.read(path, as_version=4)
    expected = []
    for c in nb.cells:
        if c.cell_type == "code":
            expected.append(c.source)
        elif c.cell_type == "markdown":
            expected += _python_fences(c.source)
    md = _export(nb, exporter)
    text, _ = m2i.convert_text(md)
    assert [src(c) for c in json.loads(text)["cells"] if c["cell_type"] == "code"] == expected
    assert m2i.convert_text(md)[0] == text
    # the lesson's title cell survives
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if first is not None and re.match(r"# \S", first.source):
        assert src(json.loads(text)["cells"][0]).split("\n")[0] == first.source.split("\n")[0].rstrip()
