#!/usr/bin/env python3
"""Convert Markdown lessons into course notebooks that nbdev and JupyterLab accept as they are.

Rules (CommonMark, parsed with markdown-it-py):

* A fenced code block at the top level of the document whose info string names Python (`python`, `py`,
  `python3`, `py3`, `ipython`, `ipython3`, also as `{python}` or `{.python}`, any case, followed by anything)
  becomes a code cell. Its source is the fence's content as CommonMark defines it (the opening fence's
  indentation removed from each line) without the one newline that ends the last content line: blank lines
  before the closing fence are kept, and nothing else is added or removed, so nbdev directives such as
  `#| export` stay byte for byte.
* Everything else stays Markdown, in order: other fences, untagged fences, and any fence inside a list or a
  block quote. Each run of text between code cells becomes one Markdown cell (blank lines at its start and end
  dropped). A fence left open runs to the end of the file, as CommonMark says, with a warning.
* YAML front matter (a first line `---`, closed by `---` or `...`) gives the title cell, `# title` and
  `> description`; other keys become `- key: value` lines of that cell, which nbdev reads as front matter
  (the `jupyter` key, jupytext's notebook metadata, is dropped). Without a title there, the first level-1
  heading of the document becomes the title cell, together with a one-paragraph block quote right after it
  (the description); the heading is moved to the top if something came before it.
* Line endings are normalized to `\\n` and a UTF-8 byte order mark is dropped, as notebooks store text.

Output: nbformat 4.5, validated, Python 3 kernelspec, no outputs, written the way `nbdev-clean` writes
notebooks (so cleaning it changes nothing), with cell ids derived from each cell's content: the same input
always gives the same bytes, and editing one cell changes only that cell's id.
"""

import argparse
import hashlib
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

PROG = "md_to_ipynb"
PYTHON_LANGS = frozenset({"python", "python3", "py", "py3", "ipython", "ipython3"})
KERNELSPEC = {"display_name": "python3", "language": "python", "name": "python3"}
_FM_OPEN = re.compile(r"---[ \t]*\n?\Z")
_FM_CLOSE = re.compile(r"(---|\.\.\.)[ \t]*\n?\Z")


class ConversionError(Exception):
    "A problem with the user's input or arguments, reported as one line and exit status 1."


@dataclass
class Result:
    "A converted notebook (as a dict) and the warnings met on the way (`line: message`)."

    nb: dict
    warnings: list = field(default_factory=list)


# ----------------------------------------------------------------------------------------------- parsing
def _split_lines(text: str) -> list[str]:
    "Lines of `text` with their `\\n`, split exactly where markdown-it splits (only at `\\n`)."
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def normalize(text: str) -> str:
    "Drop a byte order mark and turn CRLF / CR line endings into LF (as markdown-it does before parsing)."
    if text.startswith("\ufeff"):
        text = text[1:]
    return re.sub(r"\r\n?", "\n", text)


def fence_language(info: str) -> str:
    "The language an info string names: its first word without `{`, `}`, a leading `.` or a trailing `,`."
    words = info.strip().split(maxsplit=1)
    if not words:
        return ""
    word = words[0].lstrip("{").lstrip(".")
    word = re.split(r"[},]", word, maxsplit=1)[0]
    return word.lower()


def is_python_fence(info: str) -> bool:
    "Does a fence with this info string hold Python (so it becomes a code cell)?"
    return fence_language(info) in PYTHON_LANGS


def code_source(content: str) -> str:
    "Cell source of a fence with CommonMark content `content`: the content without its final newline."
    return content[:-1] if content.endswith("\n") else content


def _md_parser():
    try:
        from markdown_it import MarkdownIt
    except ImportError:
        raise ConversionError("markdown-it-py is not installed (pip install 'markdown-it-py>=3')") from None
    return MarkdownIt("commonmark")


def _fence_closed(token, lines: list[str]) -> bool:
    "Did the fence `token` end with a closing fence (rather than run to the end of its container)?"
    start, end = token.map
    if end - start < 2:
        return False
    char, n = token.markup[0], len(token.markup)
    return re.fullmatch(r" {0,3}" + re.escape(char) + "{%d,}[ \t]*\n?" % n, lines[end - 1]) is not None


# ----------------------------------------------------------------------------------------------- front matter
def _fm_scalar(raw: str, lineno: int):
    "Value of a one-line YAML scalar (plain, 'single' or \"double\" quoted) in the front matter subset."
    raw = raw.strip()
    if raw[:1] == '"':
        m = re.fullmatch(r'"((?:[^"\\]|\\.)*)"\s*(#.*)?', raw)
        if not m:
            raise ConversionError(f"line {lineno}: unterminated double-quoted value in front matter")
        try:
            return json.loads('"' + m.group(1).replace("\\'", "'") + '"')
        except ValueError:
            raise ConversionError(
                f"line {lineno}: unsupported escape in a quoted value (install PyYAML for full YAML)"
            ) from None
    if raw[:1] == "'":
        m = re.fullmatch(r"'((?:[^']|'')*)'\s*(#.*)?", raw)
        if not m:
            raise ConversionError(f"line {lineno}: unterminated single-quoted value in front matter")
        return m.group(1).replace("''", "'")
    raw = re.split(r"\s+#", raw, maxsplit=1)[0].strip()
    return {"true": True, "false": False, "": None, "~": None, "null": None}.get(raw.lower(), raw)


def parse_simple_yaml(text: str, first_line: int = 2) -> dict:
    """The `key: value` subset of YAML: one mapping of plain or quoted one-line scalars; indented lines
    continue a plain value (folded with a space); `#` comments and blank lines are ignored."""
    res, last = {}, None
    for i, line in enumerate(text.splitlines(), start=first_line):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[:1] in " \t":
            if last is None or not isinstance(res[last], str):
                raise ConversionError(
                    f"line {i}: front matter is not a simple 'key: value' list (install PyYAML)"
                )
            res[last] = (res[last] + " " + line.strip()).strip()
            continue
        m = re.fullmatch(r"([^\s:#][^:]*?)\s*:(?:\s+(.*))?\s*", line)
        if not m:
            raise ConversionError(
                f"line {i}: front matter is not a simple 'key: value' list (install PyYAML)"
            )
        last = m.group(1)
        res[last] = _fm_scalar(m.group(2) or "", i)
    return res


def parse_front_matter(text: str) -> dict:
    "The mapping in front matter block `text` (the lines between the `---` lines); PyYAML when installed."
    try:
        import yaml
    except ImportError:
        return parse_simple_yaml(text)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 2}: " if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ConversionError(f"{where}invalid YAML front matter ({problem})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConversionError(
            "line 2: front matter (the lines between the opening '---' and the next '---') "
            "is not a 'key: value' mapping"
        )
    return data


def _one_line(value) -> str:
    return " ".join(str(value).split())


_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "y", "n", "null", "nan", "inf"}


def _yaml_value(value) -> str:
    "`value` written as a one-line YAML value that nbdev's `- key: value` front matter lines read back."
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return repr(value)
    if (
        isinstance(value, str)
        and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_./ -]*", value)
        and value == value.strip()
        and value.lower() not in _YAML_WORDS
    ):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return json.dumps(value, ensure_ascii=False, default=str)


# ----------------------------------------------------------------------------------------------- conversion
def cell_id(cell_type: str, source: str, seen: set) -> str:
    "Id from the cell's type and text (8 hex digits), made unique in the notebook deterministically."
    n = 0
    while True:
        h = hashlib.sha256(f"{cell_type}\0{source}\0{n}".encode("utf-8")).hexdigest()[:8]
        if h not in seen:
            seen.add(h)
            return h
        n += 1


def make_cell(cell_type: str, source: str, seen: set) -> dict:
    cell = {"cell_type": cell_type, "id": cell_id(cell_type, source, seen), "metadata": {}, "source": source}
    if cell_type == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _trim_blank(lines: list[str]) -> str:
    "Markdown cell text from `lines`: blank lines at both ends dropped, no final newline."
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return "".join(lines).removesuffix("\n")


def _title_from_heading(tokens, lines):
    """The first top-level, non-empty level-1 heading, as (title, line ranges to move into the title cell,
    description lines): the description is a block quote of one paragraph right after the heading."""
    top = [i for i, t in enumerate(tokens) if t.level == 0 and t.nesting != -1]
    for k, i in enumerate(top):
        t = tokens[i]
        if t.type != "heading_open" or t.tag != "h1" or not tokens[i + 1].content.strip():
            continue
        ranges, desc = [tuple(t.map)], ""
        if k + 1 < len(top) and tokens[top[k + 1]].type == "blockquote_open":
            j = top[k + 1]
            close = next(n for n in range(j + 1, len(tokens)) if tokens[n].level == 0)  # its blockquote_close
            inner = [x for x in tokens[j + 1 : close] if x.level == 1 and x.nesting == 1]
            if len(inner) == 1 and inner[0].type == "paragraph_open":
                desc = _trim_blank(lines[tokens[j].map[0] : tokens[j].map[1]])
                ranges.append(tuple(tokens[j].map))
        return _one_line(tokens[i + 1].content), ranges, desc
    return None


def convert(text: str) -> Result:
    "Convert Markdown `text` to a notebook dict (see the module docstring for the rules)."
    warnings = []
    text = normalize(text)
    lines = _split_lines(text)
    offset = 0  # lines before the Markdown body (the front matter)
    fm = None
    if lines and _FM_OPEN.fullmatch(lines[0]):
        end = next((i for i in range(1, len(lines)) if _FM_CLOSE.fullmatch(lines[i])), None)
        if end is None:
            warnings.append(
                "1: a '---' line opens the file but no '---' or '...' line closes it: "
                "read as Markdown, not as front matter"
            )
        else:
            fm = parse_front_matter("".join(lines[1:end]))
            offset = end + 1
    body_lines = lines[offset:]
    tokens = _md_parser().parse("".join(body_lines))

    # Which body lines are code cells, and which are dropped (a title moved into the title cell).
    code = {}  # first line -> (past-the-end line, source)
    for t in tokens:
        if t.type != "fence":
            continue
        closed = _fence_closed(t, body_lines)
        if t.level == 0 and not closed:
            warnings.append(
                f"{t.map[0] + 1 + offset}: the fence opened here ({t.markup!r}) is never closed, "
                "so it runs to the end of the file"
            )
        if t.level == 0 and is_python_fence(t.info):
            code[t.map[0]] = (t.map[1], code_source(t.content))

    dropped = set()  # body lines moved into the title cell
    title, description = fm.get("title") if fm else None, fm.get("description") if fm else None
    for key, value in (("title", title), ("description", description)):
        if isinstance(value, (list, dict)):
            raise ConversionError(f"line 2: front matter '{key}' must be a single line of text")
    title = _one_line(title) if title is not None else ""
    description = _one_line(description) if description is not None else ""
    desc_lines = ""
    if not title:
        found = _title_from_heading(tokens, body_lines)
        if found is None:
            warnings.append(
                "1: no title: start the file with YAML front matter with a 'title:' "
                "or with a '# Title' heading"
            )
        else:
            title, ranges, desc_lines = found
            for a, b in ranges:
                dropped.update(range(a, b))
    title_parts = []
    if title:
        title_parts.append("# " + title)
        if description:
            title_parts.append("> " + description)
        elif desc_lines:
            title_parts.append(desc_lines)
        extra = [
            f"- {k}: {_yaml_value(v)}"
            for k, v in (fm or {}).items()
            if k not in ("title", "description", "jupyter")
        ]
        if extra:
            title_parts.append("\n".join(extra))
    elif set(fm or {}) - {"title", "description", "jupyter"}:
        warnings.append(
            "2: the front matter's keys are dropped, as the notebook has no title cell to hold them"
        )

    cells, seen = [], set()
    if title_parts:
        cells.append(make_cell("markdown", "\n\n".join(title_parts), seen))
    run: list[str] = []

    def flush():
        src = _trim_blank(run)
        if src:
            cells.append(make_cell("markdown", src, seen))
        run.clear()

    i, gap = 0, False
    while i < len(body_lines):
        if i in code:
            flush()
            end, src = code[i]
            cells.append(make_cell("code", src, seen))
            i, gap = end, False
            continue
        line = body_lines[i]
        if i in dropped:
            gap = True
        else:
            # keep the blocks around a moved title apart by one blank line
            if gap and line.strip() and run and run[-1].strip():
                run.append("\n")
            run.append(line)
            gap = False
        i += 1
    flush()

    nb = {"cells": cells, "metadata": {"kernelspec": dict(KERNELSPEC)}, "nbformat": 4, "nbformat_minor": 5}
    return Result(nb, warnings)


def notebook_text(nb: dict) -> str:
    "The notebook as `nbdev-clean` writes it: sorted keys, indent 1, UTF-8 text, sources as lists of lines."
    out = dict(nb, cells=[dict(c, source=c["source"].splitlines(True)) for c in nb["cells"]])
    return json.dumps(out, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def validate(nb: dict) -> None:
    "Raise `ConversionError` unless `nb` is a valid nbformat 4 notebook."
    import nbformat

    try:
        nbformat.validate(nbformat.from_dict(json.loads(notebook_text(nb))))
    except nbformat.ValidationError as e:
        raise ConversionError(f"internal error: the notebook does not validate ({e.message})") from None


def convert_text(text: str) -> tuple[str, list[str]]:
    "Markdown `text` -> (notebook file text, warnings)."
    res = convert(text)
    validate(res.nb)
    return notebook_text(res.nb), res.warnings


# ----------------------------------------------------------------------------------------------- files
def read_markdown(name: str) -> str:
    "Text of input `name` (`-` is standard input), decoded strictly as UTF-8."
    shown = "<stdin>" if name == "-" else name
    try:
        if name == "-":
            data = sys.stdin.buffer.read()
        else:
            p = Path(name)
            if p.is_dir():
                raise ConversionError(f"{name}: is a directory, not a Markdown file")
            if not p.exists():
                raise ConversionError(f"{name}: no such file")
            data = p.read_bytes()
    except OSError as e:
        raise ConversionError(f"{shown}: cannot read ({e.strerror or e})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ConversionError(
            f"{shown}: not UTF-8 text (byte 0x{data[e.start]:02x} on line {line}); save the file as UTF-8"
        ) from None


def check_output(path: Path, force: bool) -> None:
    "Raise `ConversionError` if `path` cannot or must not be written."
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise ConversionError(f"{path}: output folder {parent} does not exist")
    if not parent.is_dir():
        raise ConversionError(f"{path}: {parent} is not a folder")
    if path.is_dir():
        raise ConversionError(f"{path}: is a directory, not a notebook file")
    if path.exists() and not force:
        raise ConversionError(f"{path}: already exists (use --force to overwrite it)")


def write_atomic(path: Path, text: str) -> None:
    "Write `text` to `path` through a temporary file in the same folder, so `path` is never half-written."
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent if str(path.parent) else "."
    )
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def plan_outputs(inputs: list[str], output: str | None, outdir: str | None) -> list[str | None]:
    "Output path for each input (None: standard output)."
    if inputs.count("-") > 1:
        raise ConversionError("'-' (standard input) can be given only once")
    if output is not None:
        if len(inputs) > 1:
            raise ConversionError("-o/--output takes a single input; use -d/--outdir for several")
        return [None if output == "-" else output]
    if outdir is not None:
        d = Path(outdir)
        if not d.exists():
            raise ConversionError(f"{outdir}: output folder does not exist")
        if not d.is_dir():
            raise ConversionError(f"{outdir}: is not a folder")
        if "-" in inputs:
            raise ConversionError("standard input has no file name: use -o OUT.ipynb (or -o -) for it")
        return [str(d / (Path(n).stem + ".ipynb")) for n in inputs]
    return [None if n == "-" else str(Path(n).with_suffix(".ipynb")) for n in inputs]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="md_to_ipynb.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Turn Markdown lessons into course notebooks (nbformat 4.5, nbdev-clean, no outputs).",
        epilog="""\
what becomes what:
  ```python (also py, python3, py3, ipython, ipython3, {python}, {.python}; any case)
      a fenced block at the top level with one of these languages becomes a code cell. Its
      text is the block's content exactly as written (nbdev directives like '#| export'
      included; an indented opening fence's indentation removed, as CommonMark says), minus
      the newline that ends its last line: blank lines before the closing fence are kept.
  everything else
      stays Markdown, in order: one Markdown cell for each run of text between code cells
      (fences in other languages, untagged fences, fences inside lists and block quotes too);
      fences follow CommonMark (``` or ~~~, 3+ characters, up to 3 spaces of indentation);
      a fence that is never closed runs to the end of the file (with a warning)
  title
      YAML front matter (a first line '---', closed by '---' or '...') with 'title:' and
      'description:' becomes the title cell '# Title' + '> description'; other keys become
      '- key: value' lines in it (nbdev front matter). Without a title there, the first
      level-1 heading (and a one-paragraph '> ' quote right after it) is the title cell,
      moved to the top if anything came before it.
  line endings
      CRLF and CR become LF, and a UTF-8 byte order mark is dropped; input must be UTF-8.

output:
  IN.md -> IN.ipynb next to it, unless -o or -d says otherwise; '-' reads standard input and
  then writes to standard output unless -o is given. An existing file is never overwritten
  without --force. All inputs are read and converted before any file is written, and each
  notebook is written whole (temporary file, then rename) or not at all. Converting the same
  Markdown always gives the same bytes (cell ids come from the cell text).

exit status: 0 done (warnings go to standard error), 1 a problem with the inputs or outputs
(one line 'md_to_ipynb: error: ...' on standard error; nothing written), 2 bad arguments.

examples:
  python tools/md_to_ipynb.py drafts/07_gradcheck.md -o nbs/07_gradcheck.ipynb
  python tools/md_to_ipynb.py drafts/*.md -d nbs --force
  cat draft.md | python tools/md_to_ipynb.py - > draft.ipynb
""",
    )
    p.add_argument(
        "inputs", nargs="+", metavar="IN.md", help="Markdown file(s) to convert; '-' is standard input"
    )
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "-o",
        "--output",
        metavar="OUT.ipynb",
        help="notebook to write (one input only; '-' is standard output)",
    )
    g.add_argument(
        "-d", "--outdir", metavar="OUTDIR", help="write each IN.md as OUTDIR/IN.ipynb (the folder must exist)"
    )
    p.add_argument("-f", "--force", action="store_true", help="overwrite notebooks that already exist")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        outputs = plan_outputs(args.inputs, args.output, args.outdir)
        resolved = {}
        for n, o in zip(args.inputs, outputs):
            if o is None:
                continue
            key = os.path.realpath(o)
            if key in resolved:
                raise ConversionError(f"{resolved[key]} and {n} would both be written to {o}")
            resolved[key] = n
            if n != "-" and os.path.realpath(n) == key:
                raise ConversionError(f"{n}: the output would replace the input")
            check_output(Path(o), args.force)
        jobs = []
        for n, o in zip(args.inputs, outputs):
            text = read_markdown(n)
            try:
                nb_text, warnings = convert_text(text)
            except ConversionError as e:
                raise ConversionError(f"{'<stdin>' if n == '-' else n}: {e}") from None
            jobs.append((n, o, nb_text, warnings))
    except ConversionError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    for n, o, nb_text, warnings in jobs:
        name = "<stdin>" if n == "-" else n
        for w in warnings:
            print(f"{PROG}: warning: {name}:{w}", file=sys.stderr)
        if o is None:
            sys.stdout.buffer.write(nb_text.encode("utf-8"))
            sys.stdout.buffer.flush()
            continue
        try:
            write_atomic(Path(o), nb_text)
        except OSError as e:
            print(f"{PROG}: error: {o}: cannot write ({e.strerror or e})", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
