"""Running a set: ask every case, score it, write results.jsonl, summary.json and the reports; compare two runs."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

from assistant.errors import AssistantError
from assistant.types import Answer
from evals.dataset import Case, ragas_row, write_ragas
from evals.table import metric_table
from evals.metrics import (HIGHER_IS_BETTER, INFO, METRICS, CaseScore, SourceLookup, score_case, summarise,
                           summarise_by_tag)

__all__ = ["Answerer", "CaseResult", "Run", "evaluate", "write_run", "load_run", "check_thresholds",
           "compare_runs", "metric_table"]


class Answerer(Protocol):
    """Anything that answers like `Assistant.ask` (ours, the baseline, a test double)."""

    def ask(self, question: str, history: list[dict] | None = None) -> Answer: ...


@dataclass
class CaseResult:
    case: Case
    answer: dict[str, Any]
    score: CaseScore
    latency_ms: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.case.id, "question": self.case.question, "tags": list(self.case.tags),
            "answerable": self.case.answerable, "latency_ms": round(self.latency_ms, 1),
            "passed": self.score.passed, "failures": self.score.failures,
            "answer": self.answer, "score": self.score.to_dict(),
        }


@dataclass
class Run:
    """A finished run: its label (ours, baseline), per-case results and the metrics over them."""

    label: str
    results: list[CaseResult]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def _items(self):
        return [(r.case, r.score, r.latency_ms) for r in self.results]

    @property
    def overall(self) -> dict[str, Any]:
        return summarise(self._items)

    @property
    def by_tag(self) -> dict[str, dict[str, Any]]:
        return summarise_by_tag(self._items)

    def summary(self) -> dict[str, Any]:
        """What summary.json holds."""
        return {"label": self.label, **self.meta, "overall": self.overall, "by_tag": self.by_tag}


def evaluate(cases: Sequence[Case], answerer: Answerer, *, label: str = "ours", sources: SourceLookup | None = None,
             progress: Callable[[CaseResult], None] | None = None, meta: dict[str, Any] | None = None) -> Run:
    """Ask each case (with its history), time it, and score it; quotes are checked against `sources`
    (by default the answerer itself when it offers `chunk_text`/`document_text`)."""
    if sources is None and hasattr(answerer, "chunk_text") and hasattr(answerer, "document_text"):
        sources = answerer  # type: ignore[assignment]
    results = []
    for case in cases:
        start = time.perf_counter()
        try:
            answer = answerer.ask(case.question, history=case.history_dicts)
        except AssistantError as exc:  # recorded as a failed, declined answer; the run goes on
            answer = Answer(question=case.question, text=str(exc), declined=True, error=str(exc))
        latency = (time.perf_counter() - start) * 1000
        d = answer.to_dict()
        result = CaseResult(case, d, score_case(case, d, sources), latency)
        results.append(result)
        if progress:
            progress(result)
    info = {"created": datetime.now(timezone.utc).isoformat(timespec="seconds"), **(meta or {})}
    return Run(label, results, info)


def write_run(run: Run, out_dir: Path | str) -> dict[str, Path]:
    """Write results.jsonl, summary.json, report.md, report.html and the RAGAS-layout ragas.jsonl/.csv."""
    from evals.report import render_html, render_markdown

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in ("results.jsonl", "summary.json", "report.md", "report.html",
                                           "ragas.jsonl", "ragas.csv")}
    rows = [r.to_dict() for r in run.results]
    with paths["results.jsonl"].open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    summary = run.summary()
    paths["summary.json"].write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["report.md"].write_text(render_markdown(summary, rows), encoding="utf-8")
    paths["report.html"].write_text(render_html(summary, rows), encoding="utf-8")
    ragas = [ragas_row(r.case, r.answer) for r in run.results]
    write_ragas(ragas, paths["ragas.jsonl"])
    write_ragas(ragas, paths["ragas.csv"])
    return paths


def _run_dir(path: Path) -> Path:
    """A run directory, given it or the OUT directory above it (which holds ours/)."""
    if (path / "summary.json").is_file():
        return path
    if (path / "ours" / "summary.json").is_file():
        return path / "ours"
    raise AssistantError(f"{path}: not an evaluation run (no summary.json, nor ours/summary.json)")


def load_run(path: Path | str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The summary and per-case rows of a written run."""
    d = _run_dir(Path(path))
    summary = json.loads((d / "summary.json").read_text(encoding="utf-8"))
    rows = [json.loads(line) for line in (d / "results.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    return summary, rows


def check_thresholds(overall: dict[str, Any], minimums: dict[str, float] | None = None,
                     maximums: dict[str, float] | None = None) -> list[str]:
    """One line per missed threshold; a metric that could not be measured misses its threshold."""
    missed = []
    for name, floor in (minimums or {}).items():
        value = overall.get(name)
        if value is None:
            missed.append(f"{name} was not measured (threshold {floor})")
        elif value < floor:
            missed.append(f"{name} {value:.3f} is below the minimum {floor}")
    for name, ceiling in (maximums or {}).items():
        value = overall.get(name)
        if value is None:
            missed.append(f"{name} was not measured (threshold {ceiling})")
        elif value > ceiling:
            missed.append(f"{name} {value:.1f} is above the maximum {ceiling}")
    return missed


def compare_runs(path_a: Path | str, path_b: Path | str) -> str:
    """Metrics side by side and the cases that changed between two runs (pass->fail, fail->pass)."""
    (sa, ra), (sb, rb) = load_run(path_a), load_run(path_b)
    label_a, label_b = f"A ({Path(path_a).name})", f"B ({Path(path_b).name})"
    out = [f"A: {path_a}", f"B: {path_b}", "", metric_table({label_a: sa["overall"], label_b: sb["overall"]})]
    a, b = {r["id"]: r for r in ra}, {r["id"]: r for r in rb}
    broke = [i for i in a if i in b and a[i]["passed"] and not b[i]["passed"]]
    fixed = [i for i in a if i in b and not a[i]["passed"] and b[i]["passed"]]
    out.append(f"pass -> fail ({len(broke)}):")
    out += [f"  {i}: {b[i]['question']}\n      {'; '.join(b[i]['failures'])}" for i in broke] or ["  none"]
    out.append(f"fail -> pass ({len(fixed)}):")
    out += [f"  {i}: {b[i]['question']}" for i in fixed] or ["  none"]
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    if only_a:
        out.append(f"only in A: {', '.join(only_a)}")
    if only_b:
        out.append(f"only in B: {', '.join(only_b)}")
    return "\n".join(out) + "\n"
