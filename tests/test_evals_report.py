"""The runner, its written reports and the `eval` command, driven by a scripted answerer (no model, no store)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli.main import main
from assistant.errors import QuestionError
from assistant.types import Answer, Citation
from evals.dataset import Case, load_set
from evals.runner import check_thresholds, compare_runs, evaluate, load_run, write_run

ROOT = Path(__file__).resolve().parent.parent
D22 = "nao-2022-government-shared-services"
CHUNK = "However, the Treasury only approved a funding package of £300 million. <b>Bold</b> & more"
CASES = [
    {"id": "ok", "question": "How much did the Treasury approve?", "facts": [{"number": "300 million", "unit": "GBP"}],
     "sources": [D22], "tags": ["fact"]},
    {"id": "xss", "question": "<script>alert(1)</script> How much?",
     "facts": [{"number": "300 million", "unit": "GBP"}], "sources": [D22], "tags": ["adversarial"]},
    {"id": "none", "question": "What is the NAO's budget?", "facts": [], "sources": [], "answerable": False,
     "tags": ["unanswerable"]},
    {"id": "boom", "question": "x" * 50, "facts": [], "sources": [], "answerable": False, "tags": ["unanswerable"]},
]


class Scripted:
    """Answers from a script keyed by question; quotes are checked against CHUNK."""

    def __init__(self, script, documents=("doc",)):
        self.script, self.asked, self._documents = script, [], list(documents)

    def ask(self, question, history=None):
        self.asked.append((question, history))
        reply = self.script[question]
        if isinstance(reply, Exception):
            raise reply
        return reply

    def chunk_text(self, chunk_id):
        return CHUNK if chunk_id == "c1" else None

    def document_text(self, doc_id):
        return CHUNK

    def documents(self):
        return self._documents

    def warm_up(self):
        return self


def cited(question, text, quote):
    return Answer(question, text, False, (Citation(1, "c1", D22, "Government <Shared> Services", None, quote),))


GOOD_SCRIPT = {
    CASES[0]["question"]: cited(CASES[0]["question"], "The Treasury approved £300 million [1].",
                                "the Treasury only approved a funding package of £300 million"),
    CASES[1]["question"]: cited(CASES[1]["question"], "It approved <i>£1 billion</i> [1].", "<b>Bold</b> & forged"),
    CASES[2]["question"]: Answer(CASES[2]["question"], "The corpus does not say.", True),
    CASES[3]["question"]: QuestionError("the question is too long"),
}


@pytest.fixture
def cases():
    return [Case.model_validate(c) for c in CASES]


@pytest.fixture
def set_file(tmp_path):
    path = tmp_path / "mini.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in CASES), encoding="utf-8")
    return path


def test_evaluate_scores_every_case_and_records_errors(cases):
    run = evaluate(cases, Scripted(GOOD_SCRIPT))
    assert [r.score.passed for r in run.results] == [True, False, True, False]
    boom = run.results[3]
    assert boom.answer["declined"] is True and boom.answer["error"] == "the question is too long"
    assert boom.score.failures == ["error: the question is too long"]
    o = run.overall
    assert (o["cases"], o["errors"], o["correctness"], o["quote_faithfulness"]) == (4, 1, 0.75, 0.5)
    assert (o["decline_precision"], o["decline_recall"]) == (1.0, 1.0)


def test_history_is_passed_to_the_answerer():
    c = Case.model_validate({"id": "fu", "question": "And then?", "history": [
        {"role": "user", "content": "First?"}, {"role": "assistant", "content": "This [1]."}]})
    answerer = Scripted({"And then?": Answer("And then?", "x", True)})
    evaluate([c], answerer)
    assert answerer.asked == [("And then?", [{"role": "user", "content": "First?"},
                                             {"role": "assistant", "content": "This [1]."}])]


def test_written_run_has_every_file_and_escapes_all_text(tmp_path, cases):
    paths = write_run(evaluate(cases, Scripted(GOOD_SCRIPT)), tmp_path / "run")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [
        "ragas.csv", "ragas.jsonl", "report.html", "report.md", "results.jsonl", "summary.json"]
    page = paths["report.html"].read_text(encoding="utf-8")
    assert "<script" not in page.lower() and "<b>" not in page and "<i>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; forged" in page
    assert "Government &lt;Shared&gt; Services" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing fetched from elsewhere
    assert 'class="bar' in page and "Failing cases (2 of 4)" in page
    md = paths["report.md"].read_text(encoding="utf-8")
    assert "## Failing cases (2 of 4)" in md and "&lt;script&gt;" in md and "<script>" not in md
    rows = [json.loads(line) for line in paths["results.jsonl"].read_text().splitlines()]
    assert [r["id"] for r in rows] == ["ok", "xss", "none", "boom"]
    assert rows[1]["failures"] == ["missing: number 300 million (GBP)",
                                   "quote [1] not verbatim in its source: not in the cited chunk"]
    summary = json.loads(paths["summary.json"].read_text())
    assert summary["label"] == "ours" and summary["overall"]["pass_rate"] == 0.5
    assert set(summary["by_tag"]) == {"adversarial", "fact", "unanswerable"}
    # The RAGAS export reads back as a set: same questions, reference figures as facts.
    back = load_set(paths["ragas.csv"])
    assert [c.question for c in back] == [c.question for c in cases]


def test_thresholds_name_each_miss():
    overall = {"correctness": 0.5, "quote_faithfulness": None, "latency_p95_ms": 900.0}
    assert check_thresholds(overall, {"correctness": 0.8, "quote_faithfulness": 1.0}, {"latency_p95_ms": 500}) == [
        "correctness 0.500 is below the minimum 0.8",
        "quote_faithfulness was not measured (threshold 1.0)",
        "latency_p95_ms 900.0 is above the maximum 500",
    ]
    assert check_thresholds(overall, {"correctness": 0.5}) == []


def test_compare_lists_cases_that_changed(tmp_path, cases):
    write_run(evaluate(cases, Scripted(GOOD_SCRIPT)), tmp_path / "a" / "ours")
    worse = dict(GOOD_SCRIPT)
    worse[CASES[0]["question"]] = Answer(CASES[0]["question"], "No idea.", True)
    worse[CASES[3]["question"]] = Answer(CASES[3]["question"], "The corpus does not say.", True)
    write_run(evaluate(cases, Scripted(worse)), tmp_path / "b" / "ours")
    text = compare_runs(tmp_path / "a", tmp_path / "b/ours")
    assert "| correctness | 0.750 | 0.500 | -0.250 (worse) |" in text
    assert "| pass_rate | 0.500 | 0.500 | 0.000 |" in text
    assert "| latency_p95_ms | 0 ms | 0 ms | 0 ms |" in text
    assert "pass -> fail (1):\n  ok: How much did the Treasury approve?" in text
    assert "fail -> pass (1):\n  boom: " in text
    summary, rows = load_run(tmp_path / "b")
    assert summary["overall"]["errors"] == 0 and len(rows) == 4


# --- the command --------------------------------------------------------------------------------------

def test_eval_command_writes_reports_and_gates_on_thresholds(tmp_path, set_file, monkeypatch, capsys):
    monkeypatch.setattr("evals.cli.build_assistant", lambda settings: Scripted(GOOD_SCRIPT))
    out = tmp_path / "out"
    assert main(["eval", str(set_file), "--out", str(out), "--quiet", "--min-correct", "0.7"]) == 0
    printed = capsys.readouterr().out
    assert "| correctness | 0.750 |" in printed and f"wrote {out / 'ours' / 'report.html'}" in printed
    assert (out / "ours" / "summary.json").is_file()

    floors = tmp_path / "floors.json"
    floors.write_text(json.dumps({"_why": "a comment", "correctness": 0.9, "latency_p95_ms": 60000}))
    assert main(["eval", str(set_file), "--out", str(tmp_path / "o2"), "--floors", str(floors)]) == 1
    err = capsys.readouterr().err
    assert "threshold missed: correctness 0.750 is below the minimum 0.9" in err
    assert re.search(r"^FAIL xss\s+\d+ ms  missing: number 300 million \(GBP\)$", err, re.M)

    assert main(["eval", "compare", str(out), str(tmp_path / "o2")]) == 0
    assert "pass -> fail (0):" in capsys.readouterr().out


def test_eval_command_filters_by_tag(tmp_path, set_file, monkeypatch, capsys):
    answerer = Scripted(GOOD_SCRIPT)
    monkeypatch.setattr("evals.cli.build_assistant", lambda settings: answerer)
    assert main(["eval", str(set_file), "--out", str(tmp_path / "o"), "--quiet", "--tag", "fact"]) == 0
    assert [q for q, _ in answerer.asked] == [CASES[0]["question"]]


def test_eval_command_input_errors_exit_2(tmp_path, monkeypatch, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "question": "q", "facts": [{"number": "lots"}]}\n{"id": "a"}\n', encoding="utf-8")
    assert main(["eval", str(bad)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {bad}:1: facts: fact 0: 'lots' is not a number",
        f"{bad}:2: missing required field 'question'",
    ]
    assert main(["eval", "compare", str(tmp_path)]) == 2
    assert "usage: audit-assistant eval compare RUN_A RUN_B" in capsys.readouterr().err
    assert main(["eval", "compare", str(tmp_path), str(tmp_path)]) == 2
    assert "not an evaluation run" in capsys.readouterr().err
    monkeypatch.setattr("evals.cli.build_assistant", lambda settings: Scripted({}, documents=()))
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(CASES[0]) + "\n", encoding="utf-8")
    assert main(["eval", str(good), "--store", str(tmp_path / "empty")]) == 2
    assert "holds no documents; run `audit-assistant ingest corpus/` first" in capsys.readouterr().err


def test_eval_help_is_instant_and_imports_nothing_heavy():
    code = ("import sys\nfrom assistant.cli.main import main\n"
            "try:\n    main(['eval', '--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('torch', 'chromadb', 'sentence_transformers', 'pydantic') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert "audit-assistant eval compare RUN_A RUN_B" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_markdown_cells_keep_apostrophes_and_escape_markup():
    from evals.report import _cell

    assert _cell("The NAO's view: \"broadly on track\"") == "The NAO's view: \"broadly on track\""
    assert _cell("<script>alert(1)</script> a|b") == "&lt;script&gt;alert(1)&lt;/script&gt; a\\|b"


def test_a_check_s_text_reports_render_as_pdfs_that_read_back_as_their_text(tmp_path):
    """`python -m evals.render_pdf` prints a check's text reports as PDFs (wrapped paragraphs, a running header,
    page numbers) under the same doc_ids, so its questions ask of the PDF path what they ask of the text."""
    from evals.render_pdf import main
    from ingest.loaders import load_file
    from ingest.manifest import load_manifest

    check, out = tmp_path / "check", tmp_path / "pdfs"
    check.mkdir()
    (check / "manifest.toml").write_text('[[document]]\ndoc_id = "nao-2024-ferries"\nfile = "nao-2024-ferries.txt"\n'
                                         'title = "Replacing the island ferries"\npublisher = "National Audit Office"\n',
                                         encoding="utf-8")
    sentence = ("The forecast whole-life cost of the ferry replacement programme rose from £312 million in 2022 to "
                "£389 million in January 2024, because of delays at the shipyard and the cost of steel.")
    (check / "nao-2024-ferries.txt").write_text("Costs and delays\n\n" + (sentence + "\n\n") * 40, encoding="utf-8")
    assert main([str(check), str(out)]) == 0
    pdf = out / "nao-2024-ferries.pdf"
    entry = next(iter(load_manifest(out).values()))
    assert entry["doc_id"] == "nao-2024-ferries" and pdf.exists()
    pages = load_file(pdf).pages
    assert len(pages) >= 2  # long enough to run over a page
    first = pages[0].text
    assert first.startswith("Replacing the island ferries\n")  # the running header, on a line of its own
    assert "## Costs and delays" in first  # a short line without a full stop is set as a heading
    assert sentence in " ".join(first.split())  # the sentence reads back whole, however it wrapped
