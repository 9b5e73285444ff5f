"""The evaluation-set schema: validation messages, the RAGAS layout in and out, and the shipped set itself."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from evals.dataset import (Case, DatasetError, dump_cases, is_ragas_file, load_cases, load_ragas, load_set,
                           ragas_row, write_ragas)
from evals.metrics import find_fact

ROOT = Path(__file__).resolve().parent.parent
SET = ROOT / "evals" / "sets" / "tuning" / "shared_services.jsonl"
D22 = "nao-2022-government-shared-services"
D14 = "nao-2014-next-generation-shared-services"
GOOD = {"id": "f1", "question": "How much did the Treasury approve?",
        "facts": [{"number": "300 million", "unit": "GBP"}], "sources": [D22], "answerable": True, "tags": ["fact"]}


def problems(*rows: object) -> list[str]:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    with pytest.raises(DatasetError) as err:
        load_cases(lines, name="set.jsonl")
    return str(err.value).splitlines()


def test_a_valid_case_loads_with_defaults():
    [c] = load_cases([json.dumps({"id": "x", "question": "Who?", "facts": [{"term": "Gareth Davies"}]})])
    assert (c.answerable, c.decline_ok, c.sources, c.tags, c.history) == (True, False, (), (), ())
    assert c.facts[0].kind == "term" and c.facts[0].terms == ("Gareth Davies",)


def test_validation_errors_are_one_line_each_with_file_and_line():
    assert problems(
        GOOD,
        "{not json",
        {**GOOD, "id": "f2", "anwserable": False},
        {**GOOD, "id": "f3", "facts": [{"number": "lots"}]},
        {**GOOD, "id": "f4", "facts": [{"term": "x", "regex": "y"}]},
        {**GOOD, "id": "f5", "facts": [{"regex": "(unclosed"}]},
        GOOD,
        {**GOOD, "id": "f6", "answerable": False},
        {"id": "f7", "facts": []},
        {**GOOD, "id": "has space"},
        {**GOOD, "id": "f8", "history": [{"role": "system", "content": "hi"}]},
        {**GOOD, "id": "f9", "facts": [{"number": "5", "tolerance": -1}]},
    ) == [
        "set.jsonl:2: not valid JSON: Expecting property name enclosed in double quotes (column 2)",
        "set.jsonl:3: unknown field 'anwserable'",
        "set.jsonl:4: facts: fact 0: 'lots' is not a number",
        "set.jsonl:5: facts: fact 0: a fact needs exactly one of number, term, regex, absent_number, absent_term; "
        "got keys ['regex', 'term']",
        "set.jsonl:6: facts: fact 0: regex '(unclosed' does not compile: missing ), unterminated subpattern at "
        "position 0",
        "set.jsonl:7: duplicate id 'f1' (first on line 1)",
        "set.jsonl:8: an unanswerable case can only have absent_number/absent_term facts",
        "set.jsonl:9: missing required field 'question'",
        "set.jsonl:10: id: String should match pattern '^[A-Za-z0-9._:-]+$'",
        "set.jsonl:11: history.0.role: Input should be 'user' or 'assistant'",
        "set.jsonl:12: facts: fact 0: tolerance must be a number >= 0, not -1",
    ]


def test_an_empty_set_is_an_error(tmp_path):
    with pytest.raises(DatasetError, match="no cases"):
        load_cases(["", "// a comment"], name="empty.jsonl")
    with pytest.raises(DatasetError, match="no such file"):
        load_set(tmp_path / "missing.jsonl")


def test_cases_round_trip_through_jsonl(tmp_path):
    cases = load_set(SET)
    dump_cases(cases, tmp_path / "copy.jsonl")
    assert load_set(tmp_path / "copy.jsonl") == cases


# --- RAGAS layout -------------------------------------------------------------------------------------

RAGAS_ROWS = [
    {"question": "How much did the Treasury approve?", "answer": "£300m", "contexts": ["a, \"quoted\" passage", "b"],
     "ground_truth": "HM Treasury approved £300 million, against a need of £382–403 million."},
    {"question": "What is the NAO's budget?", "answer": "", "contexts": [], "ground_truth": ""},
]


@pytest.mark.parametrize("name", ["set.csv", "set.jsonl"])
def test_ragas_round_trip(tmp_path, name):
    path = tmp_path / name
    write_ragas(RAGAS_ROWS, path)
    assert is_ragas_file(path)
    first, second = load_set(path)
    assert first.question == RAGAS_ROWS[0]["question"]
    assert first.reference_answer == RAGAS_ROWS[0]["ground_truth"]
    assert [(f.kind, f.text, f.unit) for f in first.facts] == [
        ("number", "£300 million", "GBP"), ("number", "£382 million", "GBP"), ("number", "£403 million", "GBP")]
    assert (first.answerable, first.tags) == (True, ("ragas",))
    assert (second.answerable, second.facts, second.tags) == (False, (), ("ragas", "unanswerable"))
    if name.endswith(".csv"):
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert list(rows[0]) == ["question", "answer", "contexts", "ground_truth"]
        assert json.loads(rows[0]["contexts"]) == RAGAS_ROWS[0]["contexts"]
    else:
        assert json.loads(path.read_text().splitlines()[0]) == RAGAS_ROWS[0]


def test_ragas_import_reads_new_column_names_and_python_list_cells(tmp_path):
    path = tmp_path / "new.csv"
    path.write_text("user_input,response,retrieved_contexts,reference\n"
                    "Savings?,x,\"['p1', 'p2']\",Savings of 10% to 15% by 2028\n", encoding="utf-8")
    [c] = load_ragas(path)
    assert [(f.text, f.unit) for f in c.facts] == [("10%", "%"), ("15%", "%"), ("2028", None)]


def test_our_jsonl_is_not_mistaken_for_ragas(tmp_path):
    path = tmp_path / "ours.jsonl"
    path.write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    assert not is_ragas_file(path)


def test_ragas_export_row_uses_cited_passages_as_contexts():
    case = Case.model_validate(GOOD)
    row = ragas_row(case, {"question": "q", "answer": "£300m [1]", "citations": [
        {"n": 1, "quote": "short", "context": "the whole passage"}, {"n": 2, "quote": "only a quote"}]})
    assert row == {"question": "q", "answer": "£300m [1]", "contexts": ["the whole passage", "only a quote"],
                   "ground_truth": "300 million"}


# --- the shipped set ----------------------------------------------------------------------------------

def test_shipped_set_covers_every_kind_of_question():
    cases = load_set(SET)
    assert len(cases) >= 60
    tags = {t for c in cases for t in c.tags}
    assert {"fact", "calculation", "comparison", "follow-up", "unanswerable", "adversarial"} <= tags
    assert all(c.history for c in cases if "follow-up" in c.tags)
    assert all(not c.answerable and not c.sources for c in cases if "unanswerable" in c.tags)
    assert all(c.answerable and c.sources and c.positive_facts for c in cases if c.answerable)
    assert any(f.kind == "absent_number" for c in cases for f in c.facts)


def test_every_stated_fact_of_the_shipped_set_is_in_its_sources():
    docs = {p.stem: p.read_text(encoding="utf-8") for p in (ROOT / "corpus").glob("*.txt")}
    computed = set()
    for c in load_set(SET):
        text = "\n".join(docs[s.doc_id] for s in c.sources)
        for f in c.positive_facts:
            if find_fact(text, f) is None:
                computed.add(c.id)
                assert "calculation" in c.tags, f"{c.id}: {f.label()} is not in {[s.doc_id for s in c.sources]}"
        for f in c.facts:
            if not f.positive and f.kind == "absent_number":
                assert all(find_fact(t, f) is None for t in docs.values()), f"{c.id}: {f.label()} is in the corpus"
    # Figures no report states are all computed ones.
    assert computed == {"calc-01", "calc-03", "calc-04", "calc-05", "calc-06", "calc-07", "calc-08", "calc-09",
                        "calc-10", "calc-11", "calc-13", "calc-14", "fu-05"}
