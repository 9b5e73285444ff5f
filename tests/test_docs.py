"""The examples in the docs are real (issue 17, "docs that drifted"): every console block of README.md and
evals/README.md (a fenced block whose first line starts with `$ audit-assistant`) is either run here as written,
in a fresh folder holding a copy of corpus/, with its output compared line by line, or named in SKIPPED with the
reason. Blocks of other programs (`$ .venv/bin/pytest ...`) are not ours to check.

Matching: timings are masked ("in 5.6 s (4.1 chunks/s)", "212 ms", "+346 ms (worse)"), and a line that is only
`...` or `…` stands for any number of lines. When a test here fails because the output changed on purpose,
`python tests/test_docs.py` rewrites the blocks that differ from real runs (in a temporary folder, as here)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

from assistant.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
EVALS_README = ROOT / "evals" / "README.md"
MEASURED = ROOT / "evals" / "measured" / "sealed-summary.json"

# Console blocks not run here, by their first command, and why.
SKIPPED = {
    "audit-assistant ingest corpus/ broken.pdf": "an illustration of a failure line; tests/test_cli.py runs it",
    "audit-assistant ingest payroll-report.pdf scanned-note.pdf": "needs those PDFs; tests/test_pdf_structure.py",
    "audit-assistant eval evals/sets/sealed --baseline --out out/eval": "the command only; a long run",
    "audit-assistant check": "a store damaged on purpose; tests/test_hostile_store.py "
                             "test_check_names_each_problem_and_repair_fixes_them",
    'audit-assistant search "£300 million" -k 2': "fused scores depend on floating-point details of the machine",
    "audit-assistant eval evals/sets/sealed --store S --quiet":
        "a long run on the whole library: checked against its results file instead (test below)",
}

_TIMINGS = (
    (re.compile(r"in \d+(?:\.\d+)? s \(\d+(?:\.\d+)? chunks/s\)"), "in … s (… chunks/s)"),
    (re.compile(r"[+-]?\d+ ms(?: \((?:better|worse)\))?"), "… ms"),
)


def console_blocks(path: Path) -> list[list[tuple[str, list[str]]]]:
    """Each fenced block of `path` whose first line starts with `$ `: its commands, each with the lines after it."""
    blocks, inside, lines = [], False, []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            if inside and lines and lines[0].startswith("$ "):
                block: list[tuple[str, list[str]]] = []
                for item in lines:
                    if item.startswith("$ "):
                        block.append((item[2:], []))
                    else:
                        block[-1][1].append(item)
                blocks.append(block)
            inside, lines = not inside, []
        elif inside:
            lines.append(line)
    return blocks


def _norm(line: str) -> str:
    for pattern, mask in _TIMINGS:
        line = pattern.sub(mask, line)
    return line.rstrip()


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether the printed lines fit the documented ones; a `...`/`…` line matches any run of lines."""
    exp, act = [_norm(x) for x in expected], [_norm(x) for x in actual]
    while exp and not exp[-1]:
        exp.pop()
    while act and not act[-1]:
        act.pop()

    def fit(i: int, j: int) -> bool:
        if i == len(exp):
            return j == len(act)
        if exp[i].strip() in ("...", "…"):
            return any(fit(i + 1, k) for k in range(j, len(act) + 1))
        return j < len(act) and exp[i] == act[j] and fit(i + 1, j + 1)

    return fit(0, 0)


def run_block(block: list[tuple[str, list[str]]], capsys) -> list[str]:
    """Run each command of a block in the current folder; the mismatches, each with the real output to paste."""
    problems = []
    for command, expected in block:
        argv = shlex.split(command, comments=True)
        assert argv[0] == "audit-assistant", command
        capsys.readouterr()
        main(argv[1:])
        out = capsys.readouterr()
        actual = (out.out + out.err).splitlines()  # as a terminal shows them: these commands write stderr last
        if not matches(expected, actual):
            problems.append(f"$ {command}\n--- documented:\n" + "\n".join(expected) + "\n--- printed:\n"
                            + "\n".join(actual))
    return problems


@pytest.fixture
def workdir(tmp_path, monkeypatch, corpus_copy) -> Path:
    """A fresh folder holding corpus/ and evals/sets/, as a checkout does; the store is the test's own."""
    shutil.copytree(corpus_copy, tmp_path / "work" / "corpus")
    shutil.copytree(ROOT / "evals" / "sets", tmp_path / "work" / "evals" / "sets")
    monkeypatch.chdir(tmp_path / "work")
    return tmp_path / "work"


def _first(block) -> str:
    return block[0][0].split("  #")[0].strip()


def checked_blocks(path: Path) -> list[list[tuple[str, list[str]]]]:
    """The console blocks of `path` run here: those of `audit-assistant`, less SKIPPED."""
    return [b for b in console_blocks(path) if _first(b).startswith("audit-assistant") and _first(b) not in SKIPPED]


def test_every_console_block_is_checked_or_skipped_with_a_reason():
    firsts = [_first(b) for path in (README, EVALS_README) for b in console_blocks(path)]
    assert set(SKIPPED) <= set(firsts), set(SKIPPED) - set(firsts)  # no stale entries
    mixed = [_first(b) for path in (README, EVALS_README) for b in checked_blocks(path)
             if not all(c.startswith("audit-assistant") for c, _ in b)]
    assert mixed == [], f"blocks running other commands too: add them to SKIPPED with the reason: {mixed}"
    assert firsts.count("audit-assistant ingest") == 1  # the README's ingest example, run below


@pytest.mark.slow
def test_the_readme_examples_print_what_the_readme_shows(workdir, capsys):
    """ingest (twice: the second run lists each document as unchanged), docs, ask, figures, compare, in the
    README's order, on a new store."""
    problems, ran = [], []
    for block in checked_blocks(README):
        ran.append(_first(block))
        problems += run_block(block, capsys)
    assert ran[0] == "audit-assistant ingest" and "audit-assistant figures --grep GBP" in ran
    assert not problems, "README.md examples differ from real output:\n\n" + "\n\n".join(problems)


@pytest.mark.slow
def test_the_evals_readme_examples_print_what_it_shows(workdir, capsys, monkeypatch, corpus_settings):
    monkeypatch.setenv("AUDIT_ASSISTANT_STORE", str(corpus_settings.store_dir))  # the corpus, ingested
    problems, ran = [], []
    for block in checked_blocks(EVALS_README):
        ran.append(_first(block))
        problems += run_block(block, capsys)
    assert ran == ["audit-assistant eval evals/sets/tuning/shared_services.jsonl --tag calculation --baseline "
                   "--quiet --out runs/calc"]  # then `eval compare` of its two runs, in the same block
    assert not problems, "evals/README.md examples differ from real output:\n\n" + "\n\n".join(problems)


def test_the_measured_sealed_output_is_the_recorded_run():
    """evals/README.md's "Measured" block is the metric table of the run recorded in evals/measured/ (that run's
    summary.json, copied), exactly as the eval command prints it."""
    from evals.table import metric_table

    summary = json.loads(MEASURED.read_text(encoding="utf-8"))
    block = next(b for b in console_blocks(EVALS_README)
                 if _first(b) == "audit-assistant eval evals/sets/sealed --store S --quiet")
    (command, shown), = block
    assert summary["set"] == "evals/sets/sealed" and summary["mode"] == "grounded"
    assert [line for line in shown if line.strip()] == metric_table({"ours": summary["overall"]}).strip().splitlines()


def test_the_readme_documents_the_settings_the_ui_no_longer_shows():
    """The UI tells officials one plain sentence about the answer mode; the configuration is the README's."""
    text = README.read_text(encoding="utf-8")
    config = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    assert "| `AUDIT_ASSISTANT_MODE` | `grounded` | or `llm` |" in config and "_LLM_BASE_URL" in config
    ui = text.split("## The chat UI", 1)[1].split("\n## ", 1)[0]
    assert "`AUDIT_ASSISTANT_MODE=llm`" in ui and "(#optional-llm-mode)" in ui


def _capture(command: str) -> list[str]:
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        main(shlex.split(command, comments=True)[1:])
    return (out.getvalue() + err.getvalue()).splitlines()


def rewrite(paths: tuple[Path, ...] = (README, EVALS_README)) -> None:
    """Rewrite each checked block that no longer matches with what its commands print now (a block's commands
    run in order in one fresh folder with a new store, as the tests above run them)."""
    import os
    import tempfile

    work = Path(tempfile.mkdtemp()) / "work"
    shutil.copytree(ROOT / "corpus", work / "corpus")
    shutil.copytree(ROOT / "evals" / "sets", work / "evals" / "sets")
    os.environ["AUDIT_ASSISTANT_STORE"] = str(work.parent / "store")
    os.chdir(work)
    for path in paths:
        text = path.read_text(encoding="utf-8")
        for block in checked_blocks(path):
            old, new = [], []
            for command, expected in block:
                actual = _capture(command)
                trailing = len(expected) - len("\n".join(expected).rstrip("\n").split("\n")) if expected else 0
                old += [f"$ {command}", *expected]
                new += [f"$ {command}", *(expected if matches(expected, actual) else actual + [""] * trailing)]
            before, after = "```\n" + "\n".join(old).rstrip("\n") + "\n```", "```\n" + "\n".join(new) + "\n```"
            if before != after:
                text = text.replace(before, after, 1)
                print(f"{path.name}: rewrote the block of {_first(block)}")
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":  # from the checkout, in its virtual environment: python tests/test_docs.py
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    rewrite()
