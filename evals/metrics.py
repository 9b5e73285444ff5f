"""Scoring: one answer against one case (`score_case`), then many scores into metrics (`summarise`).

Everything here is deterministic string and number matching: no model judges an answer.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Protocol, Sequence

from assistant.errors import AssistantError
from evals.dataset import Case, Fact
from evals.numbers import (Quantity, extract_quantities, find_quantity, normalise_text, sentence_at,
                           strip_markers)

__all__ = ["SourceLookup", "FactCheck", "QuoteCheck", "CaseScore", "score_case", "summarise", "summarise_by_tag",
           "find_fact", "quote_is_faithful", "percentile", "METRICS", "HIGHER_IS_BETTER", "INFO"]

# The metrics a summary holds, in display order; the last two are milliseconds, lower is better.
METRICS = ("correctness", "fact_recall", "citation_precision", "citation_recall", "evidence_support",
           "quote_faithfulness", "decline_precision", "decline_recall", "pass_rate", "latency_p50_ms",
           "latency_p95_ms")
HIGHER_IS_BETTER = {m: not m.startswith("latency") for m in METRICS}
# Shown beside the metrics but never gated: a long answer is not wrong, only less useful.
INFO = ("answer_chars_p50",)

_NEGATION = re.compile(r"\b(?:not|no|never|neither|nor|incorrect|false|wrong|rather than|instead of|"
                       r"isn't|wasn't|didn't|doesn't|cannot|can't)\b", re.I)
_MARKER_NUMS = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)\s*")


class SourceLookup(Protocol):
    """Where quotes are checked: the stored text of a chunk, or else of its whole document."""

    def chunk_text(self, chunk_id: str) -> str | None: ...

    def document_text(self, doc_id: str) -> str: ...


@dataclass
class FactCheck:
    fact: str  # the fact's label, e.g. "number 300 million (GBP)"
    kind: str
    ok: bool  # present (or, for absent_* facts, not asserted)
    matched: str | None = None  # the text that matched
    supported: bool | None = None  # the cited quote (or a cited calculation) holds the fact


@dataclass
class QuoteCheck:
    n: int
    doc_id: str
    faithful: bool
    reason: str = ""


@dataclass
class CaseScore:
    """Every check on one answer; None means "does not apply to this case"."""

    declined: bool
    correct: bool | None
    facts: list[FactCheck] = field(default_factory=list)
    cited_docs: list[str] = field(default_factory=list)
    expected_docs: list[str] = field(default_factory=list)
    citation_precision: float | None = None
    citation_recall: float | None = None
    quotes: list[QuoteCheck] = field(default_factory=list)
    decline_expected: bool | None = None  # None for decline_ok cases, which decline metrics leave out
    error: str | None = None
    answer_chars: int = 0  # length of the answer text: fact presence alone rewards long answers

    @property
    def facts_found(self) -> int:
        return sum(1 for f in self.facts if f.kind in ("number", "term", "regex") and f.ok)

    @property
    def facts_supported(self) -> int:
        return sum(1 for f in self.facts if f.supported)

    @property
    def quotes_faithful(self) -> bool | None:
        return all(q.faithful for q in self.quotes) if self.quotes else None

    @property
    def evidence_supported(self) -> bool | None:
        return self.facts_supported == self.facts_found if self.facts_found else None

    @property
    def failures(self) -> list[str]:
        """The checks this answer failed, in words."""
        out = []
        if self.error:
            out.append(f"error: {self.error}")
        if self.correct is False:
            if self.decline_expected and not self.declined:
                out.append("answered an unanswerable question")
            elif self.declined and self.decline_expected is False:
                out.append("declined an answerable question")
            out += [f"stated: {f.fact}" for f in self.facts if not f.ok and f.kind.startswith("absent")]
            if not self.declined:
                out += [f"missing: {f.fact}" for f in self.facts if not f.ok and not f.kind.startswith("absent")]
        if self.citation_recall is not None and self.citation_recall < 1:
            missing = sorted(set(self.expected_docs) - set(self.cited_docs))
            out.append(f"did not cite: {', '.join(missing) or 'the expected pages'}")
        out += [f"quote [{q.n}] not verbatim in its source{': ' + q.reason if q.reason else ''}"
                for q in self.quotes if not q.faithful]
        out += [f"unsupported by its citation: {f.fact}" for f in self.facts if f.supported is False]
        return out

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(passed=self.passed, failures=self.failures, quotes_faithful=self.quotes_faithful,
                 evidence_supported=self.evidence_supported)
        return d


# --- single checks ---------------------------------------------------------------------------------------

def _norm_ws(text: str) -> str:
    return re.sub(r"\s+", " ", normalise_text(text)).strip()


def _term_pattern(term: str) -> re.Pattern:
    t = re.escape(_norm_ws(term)).replace(r"\ ", r"\s+")
    left = r"\b" if term.strip()[:1].isalnum() else ""
    right = r"\b" if term.strip()[-1:].isalnum() else ""
    return re.compile(left + t + right, re.I)


def find_fact(text: str, fact: Fact) -> tuple[int, int, str] | None:
    """Where `text` states `fact` (number, term or regex, absent_* read as their positive twin): (start, end, match)."""
    text = strip_markers(normalise_text(text))
    if fact.kind.endswith("number"):
        q = find_quantity(text, fact.quantity, fact.tolerance)
        return (q.start, q.end, q.raw) if q else None
    if fact.kind == "regex":
        m = re.search(fact.text, text, re.I)
    else:
        m = None
        for term in fact.terms:
            m = _term_pattern(term).search(text)
            if m:
                break
    return (m.start(), m.end(), m.group()) if m else None


def _asserted(text: str, fact: Fact) -> str | None:
    """For absent_* facts: the match in a sentence that states it without negating it ("not £1 billion" is fine)."""
    clean = strip_markers(normalise_text(text))
    if fact.kind == "absent_number":
        spans = [(q.start, q.end, q.raw) for q in extract_quantities(clean) if q.matches(fact.quantity, fact.tolerance)]
    else:
        spans = [(m.start(), m.end(), m.group()) for t in fact.terms for m in _term_pattern(t).finditer(clean)]
    for start, end, raw in spans:
        s, e = sentence_at(clean, start)
        if not _NEGATION.search(clean[s:e]):
            return raw
    return None


def quote_is_faithful(quote: str, source: str) -> bool:
    """The quote appears verbatim in the source, whitespace aside; "..." may join verbatim pieces in order."""
    pieces = [p for p in _ELLIPSIS.split(_norm_ws(quote).strip("\"'")) if p.strip()]
    if not pieces:
        return False
    hay = _norm_ws(source)
    pos = 0
    for piece in pieces:
        i = hay.find(piece.strip(), pos)
        if i < 0:
            return False
        pos = i + len(piece.strip())
    return True


def _check_quote(citation: dict[str, Any], sources: SourceLookup) -> QuoteCheck:
    n, doc_id, quote = citation.get("n", 0), citation.get("doc_id", ""), citation.get("quote") or ""
    chunk = sources.chunk_text(citation["chunk_id"]) if citation.get("chunk_id") else None
    if chunk is not None:
        ok = quote_is_faithful(quote, chunk)
        return QuoteCheck(n, doc_id, ok, "" if ok else "not in the cited chunk")
    try:
        doc = sources.document_text(doc_id)
    except (AssistantError, LookupError, ValueError, OSError) as exc:
        return QuoteCheck(n, doc_id, False, f"source unavailable ({exc})")
    if not doc:
        return QuoteCheck(n, doc_id, False, "source unavailable")
    ok = quote_is_faithful(quote, doc)
    return QuoteCheck(n, doc_id, ok, "" if ok else "not in the cited document")


def _calc_quantities(value: Any, unit: str | None) -> list[Quantity]:
    """A calculator's value and unit ("82", "GBP million"; "£82 million to £103 million", "GBP") in base units."""
    u = unit or ""
    m = re.search(r"\b(billion|bn|million|mn|m|thousand|k)\b", u, re.I)
    unit_scale = Decimal(10) ** {"b": 9, "m": 6, "t": 3, "k": 3}[m.group(1)[0].lower()] if m else Decimal(1)
    if re.search(r"£|gbp|pound", u, re.I):
        kind: str | None = "GBP"
    elif re.search(r"percentage[\s_]points?", u, re.I):
        kind = None  # a difference of two percentages is in points, a plain label as in a fact (not "%")
    elif re.search(r"%|per\s?cent", u, re.I):
        kind = "%"
    else:
        kind = None
    out = []
    for q in extract_quantities(str(value)):
        scaled = bool(re.search(r"\d\s?(?:bn|billion|mn|million|m|thousand|k)\b", q.raw, re.I))
        out.append(Quantity(q.value * (Decimal(1) if scaled else unit_scale), q.unit or kind, q.raw))
    return out


def _operand_cited(operand: dict[str, Any], citations: dict[Any, dict[str, Any]]) -> bool:
    """Every figure of a calculation's operand appears in the quote of the citation it names."""
    cite = citations.get(operand.get("citation"))
    wanted = _calc_quantities(operand.get("value"), operand.get("unit"))
    if cite is None or not wanted:
        return False
    have = extract_quantities(cite.get("quote") or "") + _table_quantities(cite)
    return all(any(h.value == w.value and (w.unit is None or h.unit == w.unit) for h in have) for w in wanted)


# A table's caption that gives its cells in pounds, with their scale: "(£ million)", "£m", "(£)". Read here with the
# evaluator's own number parser (evals/numbers.py), not the answerer's, so that a misreading is not shared by both.
_CAPTION_POUNDS = re.compile(r"£\s*(bn|billion|mn|million|m|thousand|k)?\b", re.I)


def _table_quantities(citation: dict[str, Any]) -> list[Quantity]:
    """The bare figures of a quoted table row read in the unit its table's caption gives: the row "Nursery capital
    grants 6.2 9.8 7.1" of a table captioned "Spending by year (£ million)" holds £6.2 million. The citation
    carries its table (caption, columns, rows) so that a reader checks a row's figures under its caption, as on
    the printed page; [] when the citation has no table or its caption names no sum of money."""
    table = citation.get("table") or {}
    m = _CAPTION_POUNDS.search(str(table.get("caption") or ""))
    if not m:
        return []
    scale = m.group(1) or ""
    return [q for h in extract_quantities(citation.get("quote") or "") if h.unit is None
            for q in extract_quantities(f"£{h.raw} {scale}")]


def _markers_near(answer_text: str, start: int) -> set[int]:
    """Citation numbers in the sentence holding `start`, plus markers just after it ("... million. [1]")."""
    s, e = sentence_at(answer_text, start)
    tail = re.match(r"(\s*\[\d+(?:\s*,\s*\d+)*\])+", answer_text[e:])
    window = answer_text[s:e] + (tail.group() if tail else "")
    return {int(n) for m in _MARKER_NUMS.finditer(window) for n in m.group(1).split(",")}


def _supported(fact: Fact, start: int, answer: dict[str, Any]) -> bool:
    text = normalise_text(answer.get("answer", ""))
    citations = {c.get("n"): c for c in answer.get("citations", [])}
    wanted = _markers_near(text, start) or {n for m in _MARKER_NUMS.finditer(text) for n in
                                            map(int, m.group(1).split(","))} or set(citations)
    if any(find_fact(citations[n].get("quote") or "", fact) for n in wanted if n in citations):
        return True
    if fact.kind not in ("number", "regex"):
        return False
    # A computed figure is supported by its calculation when every operand sits in its own cited quote; a fact
    # written as a pattern ("4 years and 10 months") is matched against the calculation's result as written.
    for calc in answer.get("calculations", []):
        if fact.kind == "regex":
            if not find_fact(str(calc.get("result") or ""), fact):
                continue
        elif not any(r.matches(fact.quantity, fact.tolerance) for r in _calc_quantities(calc.get("result"),
                                                                                           calc.get("unit"))):
            continue
        operands = calc.get("operands", [])
        if operands and all(_operand_cited(o, citations) for o in operands):
            return True
    return False


def _cited(citation: dict[str, Any], case: Case) -> bool:
    for s in case.sources:
        if s.doc_id == citation.get("doc_id") and (not s.pages or citation.get("page") in s.pages):
            return True
    return False


def score_case(case: Case, answer: dict[str, Any], sources: SourceLookup | None = None) -> CaseScore:
    """Check one answer (the `Answer.to_dict()` shape) against its case; quotes are checked when `sources` is given."""
    declined = bool(answer.get("declined"))
    text = answer.get("answer") or ""
    citations = list(answer.get("citations") or [])
    score = CaseScore(declined=declined, correct=None, error=answer.get("error"), answer_chars=len(text))
    score.decline_expected = None if case.decline_ok else not case.answerable

    absent_ok = True
    for fact in case.facts:
        if fact.positive:
            if declined:
                score.facts.append(FactCheck(fact.label(), fact.kind, False))
                continue
            hit = find_fact(text, fact)
            check = FactCheck(fact.label(), fact.kind, hit is not None, hit[2] if hit else None)
            if hit:
                check.supported = _supported(fact, hit[0], answer)
            score.facts.append(check)
        else:
            stated = _asserted(text, fact)
            absent_ok = absent_ok and stated is None
            score.facts.append(FactCheck(fact.label(), fact.kind, stated is None, stated))

    if not case.answerable:
        score.correct = declined and absent_ok
    elif declined:
        score.correct = case.decline_ok and absent_ok
    elif case.facts:
        score.correct = all(f.ok for f in score.facts)

    cited = sorted({c.get("doc_id", "") for c in citations})
    score.cited_docs = cited
    score.expected_docs = sorted({s.doc_id for s in case.sources})
    if case.answerable and case.sources and not (declined and case.decline_ok):
        good_docs = {c.get("doc_id") for c in citations if _cited(c, case)}
        score.citation_recall = len(good_docs) / len(score.expected_docs)
        if cited:
            score.citation_precision = len(good_docs) / len(cited)
    if sources is not None:
        score.quotes = [_check_quote(c, sources) for c in citations]
    return score


# --- aggregation -----------------------------------------------------------------------------------------

def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0-100) with linear interpolation between ranks, as numpy's default."""
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def _mean(values: Iterable[float | None]) -> float | None:
    vals = [float(v) for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def summarise(items: Sequence[tuple[Case, CaseScore, float]]) -> dict[str, Any]:
    """Metrics over (case, score, latency_ms) triples; a metric with nothing to measure is None."""
    scores = [s for _, s, _ in items]
    positive = [f for c, s, _ in items if c.answerable and not (s.declined and c.decline_ok)
                for f in s.facts if f.kind in ("number", "term", "regex")]
    quotes = [q for s in scores for q in s.quotes]
    judged = [s for s in scores if s.decline_expected is not None]
    tp = sum(1 for s in judged if s.declined and s.decline_expected)
    fp = sum(1 for s in judged if s.declined and not s.decline_expected)
    fn = sum(1 for s in judged if not s.declined and s.decline_expected)
    latencies = [ms for _, _, ms in items]
    out: dict[str, Any] = {
        "cases": len(items),
        "correctness": _mean(s.correct for s in scores),
        "fact_recall": _ratio(sum(1 for f in positive if f.ok), len(positive)),
        "citation_precision": _mean(s.citation_precision for s in scores),
        "citation_recall": _mean(s.citation_recall for s in scores),
        "evidence_support": _ratio(sum(s.facts_supported for s in scores), sum(s.facts_found for s in scores)),
        "quote_faithfulness": _ratio(sum(1 for q in quotes if q.faithful), len(quotes)),
        "decline_precision": _ratio(tp, tp + fp),
        "decline_recall": _ratio(tp, tp + fn),
        "false_decline_rate": _ratio(fp, sum(1 for s in judged if not s.decline_expected)),
        "pass_rate": _ratio(sum(1 for s in scores if s.passed), len(scores)),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
        "answer_chars_p50": percentile([s.answer_chars for s in scores if not s.declined], 50),
        "errors": sum(1 for s in scores if s.error),
    }
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in out.items()}


def summarise_by_tag(items: Sequence[tuple[Case, CaseScore, float]]) -> dict[str, dict[str, Any]]:
    """`summarise` for each tag's cases, tags in alphabetical order."""
    tags = sorted({t for c, _, _ in items for t in c.tags})
    return {t: summarise([i for i in items if t in i[0].tags]) for t in tags}

