"""Evaluation sets: the JSONL case schema, its validation, and the RAGAS column layout in and out."""

from __future__ import annotations

import ast
import csv
import json
from collections import Counter
import re
from pathlib import Path
from typing import Any, Iterable, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assistant.errors import AssistantError
from evals.numbers import Quantity, extract_quantities, parse_quantity

__all__ = [
    "Case", "DatasetError", "Fact", "Source", "load_cases", "load_set", "load_ragas", "dump_cases",
    "write_ragas", "is_ragas_file", "RAGAS_COLUMNS",
]

RAGAS_COLUMNS = ("question", "answer", "contexts", "ground_truth")
# Newer RAGAS releases renamed the columns; both spellings are read.
_RAGAS_ALIASES = {
    "user_input": "question", "response": "answer", "retrieved_contexts": "contexts",
    "reference": "ground_truth", "ground_truths": "ground_truth",
}
FACT_KINDS = ("number", "term", "regex", "absent_number", "absent_term")


class DatasetError(AssistantError):
    """An evaluation set could not be read; the message has one line per problem, each naming file and line."""

    lines_are_problems = True  # the CLI prints its lines as lines (each escaped), not as one escaped line


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fact(_Strict):
    """One thing an answer must (or, for absent_*, must not) state.

    kind is one of number, term, regex, absent_number, absent_term. For numbers `value` holds the parsed
    quantity; for terms `terms` holds the accepted spellings (any one is enough).
    """

    kind: Literal["number", "term", "regex", "absent_number", "absent_term"]
    text: str  # the number, term or pattern as written in the set
    unit: str | None = None  # GBP, %, or a free label (years, customers) for plain numbers
    tolerance: float = 0.0  # relative: 0.01 accepts within 1%
    terms: tuple[str, ...] = ()

    @property
    def positive(self) -> bool:
        return not self.kind.startswith("absent_")

    @property
    def quantity(self) -> Quantity:
        return parse_quantity(self.text, self.unit)

    def label(self) -> str:
        """A short human description, e.g. `number £382 million` or `absent_term Paris`."""
        if self.kind in ("term", "absent_term") and len(self.terms) > 1:
            return f"{self.kind} {' | '.join(self.terms)}"
        unit = f" ({self.unit})" if self.unit and self.kind.endswith("number") else ""
        return f"{self.kind} {self.text}{unit}"

    def to_json(self) -> dict[str, Any]:
        """The fact as written in a set file."""
        if self.kind in ("term", "absent_term"):
            d: dict[str, Any] = {self.kind: self.terms[0] if len(self.terms) == 1 else list(self.terms)}
        else:
            d = {self.kind: self.text}
        if self.unit:
            d["unit"] = self.unit
        if self.tolerance:
            d["tolerance"] = self.tolerance
        return d


def parse_fact(raw: Any) -> Fact:
    """Build a Fact from its JSON form, e.g. {"number": "382 million", "unit": "GBP"} or {"term": "five"}."""
    if not isinstance(raw, dict):
        raise ValueError(f"a fact must be an object such as {{\"term\": \"five\"}}, not {raw!r}")
    kinds = [k for k in FACT_KINDS if k in raw]
    if len(kinds) != 1:
        raise ValueError(f"a fact needs exactly one of {', '.join(FACT_KINDS)}; got keys {sorted(raw)}")
    kind = kinds[0]
    extra = set(raw) - {kind, "unit", "tolerance"}
    if extra:
        raise ValueError(f"unknown key(s) {sorted(extra)} in {kind} fact")
    value = raw[kind]
    unit = raw.get("unit")
    tolerance = raw.get("tolerance", 0) or 0
    if not isinstance(tolerance, (int, float)) or tolerance < 0:
        raise ValueError(f"tolerance must be a number >= 0, not {tolerance!r}")
    if kind in ("term", "absent_term"):
        terms = [value] if isinstance(value, str) else value
        if not isinstance(terms, list) or not terms or not all(isinstance(t, str) and t.strip() for t in terms):
            raise ValueError(f"{kind} must be a non-empty string or a list of them, not {value!r}")
        return Fact(kind=kind, text=terms[0], terms=tuple(terms))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{kind} must be a non-empty string, not {value!r}")
    if kind == "regex":
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"regex {value!r} does not compile: {exc}") from None
    else:
        parse_quantity(value, unit)  # raises ValueError with a readable message
    return Fact(kind=kind, text=value, unit=unit, tolerance=float(tolerance))


class Source(_Strict):
    """A document the answer should cite, optionally restricted to some pages."""

    doc_id: str = Field(min_length=1)
    pages: tuple[int, ...] = ()


class Turn(_Strict):
    role: Literal["user", "assistant"]
    content: str


class Case(_Strict):
    """One evaluation case (one line of a set file)."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._:-]+$")
    question: str = Field(min_length=1)
    reference_answer: str | None = None
    facts: tuple[Fact, ...] = ()
    sources: tuple[Source, ...] = ()
    answerable: bool = True
    decline_ok: bool = False  # a decline also passes (false premises); such cases stay out of decline metrics
    tags: tuple[str, ...] = ()
    history: tuple[Turn, ...] = ()
    group: str | None = None  # paraphrases of one question share a group

    @field_validator("question")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("question is blank")
        return v

    @field_validator("facts", mode="before")
    @classmethod
    def _facts(cls, v: Any) -> Any:
        if not isinstance(v, (list, tuple)):
            raise ValueError("facts must be a list")
        out = []
        for i, raw in enumerate(v):
            if isinstance(raw, Fact):
                out.append(raw)
                continue
            try:
                out.append(parse_fact(raw))
            except ValueError as exc:
                raise ValueError(f"fact {i}: {exc}") from None
        return out

    @field_validator("sources", mode="before")
    @classmethod
    def _sources(cls, v: Any) -> Any:
        if not isinstance(v, (list, tuple)):
            raise ValueError("sources must be a list")
        return [{"doc_id": s} if isinstance(s, str) else s for s in v]

    @model_validator(mode="after")
    def _consistent(self) -> "Case":
        if not self.answerable and any(f.positive for f in self.facts):
            raise ValueError("an unanswerable case can only have absent_number/absent_term facts")
        if not self.answerable and self.decline_ok:
            raise ValueError("decline_ok is for answerable cases; an unanswerable case must decline anyway")
        return self

    @property
    def positive_facts(self) -> tuple[Fact, ...]:
        return tuple(f for f in self.facts if f.positive)

    @property
    def history_dicts(self) -> list[dict[str, str]] | None:
        return [t.model_dump() for t in self.history] or None

    def to_json(self) -> dict[str, Any]:
        """The case as one line of a set file (defaults left out)."""
        d: dict[str, Any] = {"id": self.id, "question": self.question}
        if self.reference_answer is not None:
            d["reference_answer"] = self.reference_answer
        d["facts"] = [f.to_json() for f in self.facts]
        d["sources"] = [s.doc_id if not s.pages else {"doc_id": s.doc_id, "pages": list(s.pages)}
                        for s in self.sources]
        d["answerable"] = self.answerable
        if self.decline_ok:
            d["decline_ok"] = True
        d["tags"] = list(self.tags)
        if self.group:
            d["group"] = self.group
        if self.history:
            d["history"] = [t.model_dump() for t in self.history]
        return d


def _one_line(exc: ValidationError) -> list[str]:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = f"unknown field {loc!r}"
            loc = ""
        elif err["type"] == "missing":
            msg = f"missing required field {loc!r}"
            loc = ""
        lines.append(f"{loc}: {msg}" if loc else msg)
    return lines


def load_cases(lines: Iterable[str], name: str = "<set>") -> list[Case]:
    """Parse and validate JSONL lines; raise DatasetError listing every bad line (`name:line: problem`)."""
    cases: list[Case] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for lineno, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{name}:{lineno}: not valid JSON: {exc.msg} (column {exc.colno})")
            continue
        if not isinstance(raw, dict):
            problems.append(f"{name}:{lineno}: a case must be a JSON object")
            continue
        try:
            case = Case.model_validate(raw)
        except ValidationError as exc:
            problems.extend(f"{name}:{lineno}: {p}" for p in _one_line(exc))
            continue
        if case.id in first_line:
            problems.append(f"{name}:{lineno}: duplicate id {case.id!r} (first on line {first_line[case.id]})")
            continue
        first_line[case.id] = lineno
        cases.append(case)
    if problems:
        raise DatasetError("\n".join(problems))
    if not cases:
        raise DatasetError(f"{name}: no cases")
    return cases


def load_set(path: Path | str) -> list[Case]:
    """Read an evaluation set: our JSONL, a RAGAS-layout CSV/JSONL (detected by its columns), or a folder of
    JSONL files read as one set (ids must be unique across them)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
        if not files:
            raise DatasetError(f"{path}: no .jsonl files in this folder")
        cases = [c for f in files for c in load_set(f)]
        counts = Counter(c.id for c in cases)
        dupes = [i for i, n in counts.items() if n > 1]
        if dupes:
            raise DatasetError(f"{path}: duplicate ids across files: {', '.join(sorted(set(dupes)))}")
        return cases
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    if is_ragas_file(path):
        return load_ragas(path)
    return load_cases(path.read_text(encoding="utf-8").splitlines(), name=str(path))


def dump_cases(cases: Iterable[Case], path: Path | str) -> None:
    """Write cases as a JSONL set file."""
    with Path(path).open("w", encoding="utf-8") as fh:
        for case in cases:
            fh.write(json.dumps(case.to_json(), ensure_ascii=False) + "\n")


# --- RAGAS layout -------------------------------------------------------------------------------------

def _ragas_rows(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        rows: list[dict[str, Any]] = list(csv.DictReader(text.splitlines(keepends=True)))
    else:
        rows = []
        for lineno, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise DatasetError(f"{path}:{lineno}: not valid JSON: {exc.msg} (column {exc.colno})") from None
    return [{_RAGAS_ALIASES.get(k, k): v for k, v in row.items()} for row in rows]


def is_ragas_file(path: Path) -> bool:
    """True when the file is in the RAGAS layout (a CSV, or JSONL whose first row has a ground_truth column)."""
    if path.suffix.lower() == ".csv":
        return True
    with path.open(encoding="utf-8-sig") as fh:
        for line in fh:
            if line.strip():
                try:
                    first = json.loads(line)
                except json.JSONDecodeError:
                    return False
                if not isinstance(first, dict):
                    return False
                keys = {_RAGAS_ALIASES.get(k, k) for k in first}
                return "ground_truth" in keys and "facts" not in keys
    return False


def _contexts(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    # CSV cells hold a JSON list, or the Python repr pandas writes.
    for parse in (json.loads, ast.literal_eval):
        try:
            parsed = parse(value)
        except (ValueError, SyntaxError):
            continue
        if isinstance(parsed, list):
            return [str(v) for v in parsed]
    return [str(value)]


def load_ragas(path: Path | str) -> list[Case]:
    """Read a RAGAS-layout set: each ground_truth's figures become number facts; contexts are kept nowhere.

    A row with an empty ground_truth is treated as unanswerable (the assistant should decline).
    """
    path = Path(path)
    problems, cases = [], []
    for i, row in enumerate(_ragas_rows(path), start=1):
        question = str(row.get("question") or "").strip()
        if not question:
            problems.append(f"{path}:{i}: missing question")
            continue
        truth = row.get("ground_truth")
        if isinstance(truth, list):
            truth = " ".join(str(t) for t in truth)
        truth = str(truth or "").strip()
        facts = []
        seen = set()
        for q in extract_quantities(truth):
            key = (q.value, q.unit)
            if key not in seen:
                seen.add(key)
                facts.append(Fact(kind="number", text=q.canonical(), unit=q.unit))
        cases.append(Case(
            id=f"ragas-{i:03d}", question=question, reference_answer=truth or None, facts=tuple(facts),
            answerable=bool(truth), tags=("ragas",) if truth else ("ragas", "unanswerable"),
        ))
    if problems:
        raise DatasetError("\n".join(problems))
    if not cases:
        raise DatasetError(f"{path}: no rows")
    return cases


def ragas_row(case: Case | None, answer: dict[str, Any]) -> dict[str, Any]:
    """One result in the RAGAS layout: the answer text, the cited passages as contexts, the reference."""
    contexts = [c.get("context") or c.get("quote") or "" for c in answer.get("citations", [])]
    truth = ""
    if case is not None:
        truth = case.reference_answer or "; ".join(f.text for f in case.positive_facts)
    return {"question": answer.get("question", case.question if case else ""), "answer": answer.get("answer", ""),
            "contexts": contexts, "ground_truth": truth}


def write_ragas(rows: Iterable[dict[str, Any]], path: Path | str) -> None:
    """Write RAGAS-layout rows as JSONL, or CSV (contexts as a JSON list) when the path ends in .csv."""
    path = Path(path)
    rows = list(rows)
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(RAGAS_COLUMNS))
            writer.writeheader()
            for row in rows:
                writer.writerow({**{k: row.get(k, "") for k in RAGAS_COLUMNS},
                                 "contexts": json.dumps(row.get("contexts", []), ensure_ascii=False)})
    else:
        with path.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps({k: row.get(k, "") for k in RAGAS_COLUMNS}, ensure_ascii=False) + "\n")

