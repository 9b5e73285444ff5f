"""Which reports a question names: "the 2014 report", "the 2018 NAO review and the 2023 PAC report", a
strategy's name or year. The pipeline restricts or gathers retrieval by what this resolves."""

from __future__ import annotations

import itertools
from collections import Counter
import math
import re
from dataclasses import replace

from assistant.config import Settings
from assistant.query.retrieval import Filters
from assistant.text.data import canonical, publishers
from assistant.text.patterns import COMPARING, YEAR, Y, name_initials
from assistant.text.terms import content_terms, tokens


class ReportResolver:
    """Resolves the reports a question names against the catalog (and, for ties, by meaning); its hand-set
    limits and weights are the `report_*` settings."""

    def __init__(self, catalog, searcher, embedder, settings: Settings | None = None):
        self.catalog, self.searcher, self.embedder = catalog, searcher, embedder
        self.settings = settings or Settings()
        self._subjects: dict[str, list[float]] = {}

    def by_year(self, years: set[str], query: str, f: Filters, reports: set[str] = frozenset()) -> dict[str, str]:
        """The report each year names: the one published that year or, when a large library has several and
        the question calls it a report (`reports`: "the 2014 report"), the one whose passages best match the
        question ("the 2014 report" in a question about shared services is the 2014 report on shared
        services, not another report of 2014). A bare year ("published in December 2012") names a report
        only when one alone was published then. When a question names two or more years, the reports are
        also chosen to be about the same thing: "the 2014 report and the 2022 report" compares two reports
        on one subject."""
        published: dict[str, list[str]] = {}
        for d in self.catalog.documents():
            if str(d.get("year")) in years and (not f.doc_ids or d["doc_id"] in f.doc_ids):
                published.setdefault(str(d.get("year")), []).append(d["doc_id"])
        s = self.settings
        options: dict[str, list[str]] = {}
        for year, docs in published.items():
            if len(docs) == 1:
                options[year] = docs
            elif query and year in reports:
                hits = self.searcher.search(query, s.report_search_hits, replace(f, doc_ids=tuple(docs)))
                ranked = list(dict.fromkeys(h.chunk.doc_id for h in hits))[:s.report_candidates]
                if ranked:
                    options[year] = ranked
        if len(options) < 2 or all(len(o) == 1 for o in options.values()):
            return {y: o[0] for y, o in options.items()}
        return self._coherent(options)

    def _coherent(self, options: dict[str, list[str]]) -> dict[str, str]:
        """One document per key, from each key's options (best first), chosen to be about the same thing."""
        vectors = self._subject_vectors([d for o in options.values() for d in o])
        best, pick = -math.inf, {}
        for combo in itertools.product(*[list(enumerate(o)) for o in options.values()]):
            chosen = [d for _, d in combo]
            if len(set(chosen)) < len(chosen):
                continue
            coherence = sum(_cosine(vectors[a], vectors[b]) for a, b in itertools.combinations(chosen, 2))
            score = coherence - self.settings.report_rank_penalty * sum(rank for rank, _ in combo)  # relevance counts
            if score > best:
                best, pick = score, dict(zip(options, chosen))
        return pick

    def _subject_vectors(self, doc_ids: list[str]) -> dict[str, list[float]]:
        """An embedding of what each document is about: its title and strategies (cached by that text)."""
        cache = self._subjects
        wanted = set(doc_ids)
        texts = {d["doc_id"]: " ".join([str(d.get("title") or d["doc_id"])] + list(d.get("strategy") or []))
                 for d in self.catalog.documents() if d["doc_id"] in wanted}
        missing = [t for t in dict.fromkeys(texts.values()) if t not in cache]
        if missing:
            cache.update(zip(missing, self.embedder.embed_documents(missing)))
        return {d: cache[t] for d, t in texts.items()}

    def named(self, text: str, query: str = "", f: Filters = Filters()) -> tuple[str, ...]:
        """The document a question names as "the YEAR report" (or "report of YEAR"), when it names one year."""
        found = _year_and_body(text, plural=False)
        years = {y for y, _ in found} | set(re.findall(rf"\breport (?:of|from|in) ({Y})\b", text, re.I))
        if len(years) != 1 or set(_YEAR_ALONE.findall(text)) - years:
            return ()  # none, several, or another year beside it ("between the 2020 review and the 2024 committee
            # report"): `targets` decides which reports, and whether the other year names one
        # "the 2019 PAC report": when the words before "report" name a body the publisher data knows, only that
        # body's reports of the year qualify; a library without one names no report (the question is then
        # about a report we do not hold, and nothing is restricted to a wrong one).
        bodies = {body for _, body in found if body}
        if bodies:
            held = [d for d in self.catalog.documents() if str(d.get("year")) in years
                    and canonical(str(d.get("publisher") or "")).strip() in bodies]
            if not held:
                return ()
            f = replace(f, doc_ids=tuple(d["doc_id"] for d in held)) if not f.doc_ids else f
        return tuple(self.by_year(years, query or text, f, reports=years).values())

    def unheld(self, text: str) -> list[str]:
        """The reports the question names by year and publisher ("the 2019 PAC report", "the NAO's 2012 report")
        that the library does not hold: no document of that year from that body. Asked about, they are declined,
        saying so, rather than answered from another report. A report named without a publisher the library
        knows ("the 2019 independent review") may be one that a report held cites, so it is not counted."""
        named = [(year, body) for year, body in _year_and_body(text, owners=True) if body]
        if not named:  # most questions name no report: the catalog is not read for them
            return []
        held = [(str(d.get("year")), canonical(str(d.get("publisher") or ""))) for d in self.catalog.documents()]

        def holds(year: str, body: str) -> bool:  # "House of Commons PAC" publishes PAC reports
            return any(y == year and re.search(rf"\b{re.escape(body)}\b", p) for y, p in held)

        return list(dict.fromkeys(f"{year} {body} report" for year, body in named if not holds(year, body)))

    def targets(self, text: str, query: str = "", f: Filters = Filters()) -> list[str]:
        """Documents the question names: by their publication year, a strategy's year or its name."""
        # A year names a report (see _by_year) unless it is part of a financial year ("2024-25"); strategy
        # years and names ("2018 strategy", "cluster model") always do.
        years = set(_YEAR_ALONE.findall(text))
        called = _report_years(text)
        picked = self.by_year(years, query or text, f, years) if years else {}
        out = list(dict.fromkeys(picked.values()))
        docs = self.catalog.documents()
        distinct = _distinctive_names(docs)
        named = {d["doc_id"] for d in docs if any(_says_name(n, distinct.get(n), text) for n in d.get("strategy") or [])}
        # "the 2012 strategy", "the 2018 shared services strategy": a year the question calls a strategy names the
        # strategy of that year, as "the 2014 report" names a report (the noun is the manifest's own: `strategy`)
        called_strategy = set(_YEARS_THEN_STRATEGY.findall(text))
        strategy_years = {d["doc_id"]: {y for n in d.get("strategy") or [] for y in YEAR.findall(n)} for d in docs}
        # A strategy published as a document of its own ("... Programme: strategy 2021 to 2026", published 2021) is
        # the strategy of its year too: its title says what it is
        for d in docs:
            if re.search(r"\bstrateg(?:y|ies)\b", str(d.get("title") or ""), re.I):
                strategy_years[d["doc_id"]] |= set(YEAR.findall(str(d.get("published") or d.get("year") or ""))[:1])
        # A strategy's year names the one strategy of that year, whichever passages the question's other words find;
        # where the library holds several programmes' strategies of that year ("the 2021 strategy" of the fraud
        # programme is not the 2021 cluster model of shared services), it names one only as a year does, when the
        # question's own passages come from it
        by_strategy_year = set()
        for y in called_strategy:
            of_year = {d for d, ys in strategy_years.items() if y in ys}
            (named if len(of_year) == 1 else by_strategy_year).update(of_year)
        by_strategy_year -= named
        for d in docs:
            hit = d["doc_id"] in named or d["doc_id"] in by_strategy_year or bool(strategy_years[d["doc_id"]] & years)
            if hit and d["doc_id"] not in out:
                out.append(d["doc_id"])
        # A year or a strategy's year places a question in time as often as it names a report ("the courts
        # programme in 2018" is not about the 2018 shared services strategy): such a document is a target only
        # when the question's own passages come from it. A year the question calls a report ("the 2014
        # report") names that report whatever its passages say, and so does a strategy's name ("NGSS", "the
        # cluster model"): the words name it, whichever passages the question's other words find.
        explicit = {d for y, d in picked.items() if y in called} | named
        publisher = {d["doc_id"]: canonical(str(d.get("publisher") or "")) for d in docs}
        # "the 2019 PAC report": a 2019 NAO report is not it
        wrong_body = {picked[y] for y, body in _year_and_body(text)
                      if body and y in picked and publisher.get(picked[y]) != body}
        out = [d for d in out if d not in wrong_body]
        explicit -= wrong_body
        if any(d not in explicit for d in out):
            hits = self.searcher.search(query or text, self.settings.report_search_hits, f)
            ranked = list(dict.fromkeys(h.chunk.doc_id for h in hits))
            out = [d for d in out if d in explicit or d in ranked]
            if len(years) == 1 and len(out) > 1 and not explicit:
                # One year names one report: "rejected the bids in 2021" is not a comparison of the 2021 report
                # on student loans with the report on the 2021 strategy. Its passages say which is meant.
                out = [min(out, key=ranked.index)]
        return out if len(out) <= self.settings.report_max_targets else []  # naming many reports is asking about all

    def of_body(self, text: str, query: str = "", f: Filters = Filters()) -> list[str]:
        """The report of the one body a question names, without a year ("What did the NAO find caused the delays?"),
        where the reports its passages come from include that body's and another's: the body's report that its
        passages find first; else []. The bodies are the publisher data's, and only those publishing a report held."""
        if _YEAR_ALONE.search(text):
            return []  # a year names the report, or places the question in time: `targets` decides
        publisher = {d["doc_id"]: canonical(str(d.get("publisher") or "")).strip() for d in self.catalog.documents()}
        def by(body: str, p: str) -> bool:  # "House of Commons PAC" publishes PAC reports
            return bool(re.search(rf"\b{re.escape(body)}\b", p))

        bodies = [b["name"] for b in publishers()["body"] if by(b["name"], canonical(text))]
        bodies = [b for b in bodies if any(by(b, p) for p in publisher.values())]
        if len(bodies) != 1:
            return []
        hits = self.searcher.search(query or text, self.settings.report_search_hits, f)
        pool = list(dict.fromkeys(h.chunk.doc_id for h in hits))[:self.settings.report_compare_pool]
        own = [d for d in pool if by(bodies[0], publisher.get(d, ""))]
        if not own or own[0] == pool[0]:
            return []  # its passages lead already
        if len(own) > 1:  # several of its reports: the one whose subject (title, strategies) the question is nearest
            vectors = self._subject_vectors(own)
            asked = self.embedder.embed_query(query or text)
            own = [max(own, key=lambda d: _cosine(asked, vectors[d]))]
        return own

    def _beside_titled(self, text: str, body: str, ranked: list[str], publisher: dict[str, str],
                       docs: list[dict]) -> list[str]:
        """A report of the one body a question names and a document from another publisher that the question names
        by a word of its title which the title of the body's report most about the same subject lacks ("How did the
        cost change between the strategy and the NAO report?", the department's paper titled "... strategy 2021 to
        2026"), among the reports its passages find, earlier first; else []. The titles and publishers are the
        library's own."""
        pool = ranked[:self.settings.report_compare_pool]
        own = [d for d in pool if publisher.get(d) == body]
        others = [d for d in pool if publisher.get(d) != body]
        if not own or not others:
            return []
        meta = {d["doc_id"]: d for d in docs}
        title = {d: set(content_terms(str(meta[d].get("title") or ""))) for d in own + others}
        asked = set(content_terms(text))
        vectors = self._subject_vectors(own + others)
        # each other document with the body's report most about its subject; the question must name it by a word
        # of its title that this report's title lacks (a subject word of an unrelated report's title is no name)
        nearest = [(a, max(own, key=lambda b: _cosine(vectors[a], vectors[b]))) for a in others]
        pairs = [(a, b) for a, b in nearest if asked & (title[a] - title[b])]
        if not pairs:
            return []
        pair = max(pairs, key=lambda p: _cosine(vectors[p[0]], vectors[p[1]]))
        when = {d: str(meta[d].get("published") or meta[d].get("year") or "") for d in pair}
        return sorted(pair, key=lambda d: when[d])

    def across(self, text: str, query: str, f: Filters, named: list[str]) -> list[str]:
        """The reports a question compares without naming their years: one per body it names beside a report
        ("between the NAO report and the PAC report", "the NAO in 2015 ... the final figure given to the
        PAC"), or, when it speaks of reports in the plural ("the two probation reports", "each report"), the
        two reports its passages come from that are most about one subject; or, for what changed "since" the one
        report named, that report and the later one most about the same subject. [] when it compares nothing."""
        low = text.lower()
        # "Since the NAO reported in 2015, have the companies got better?": what changed after the report named,
        # so the later report most about the same subject is the other side.
        since = len(named) == 1 and re.search(r"\bsince\b", low)
        # "LifeEvents contract value: NAO figure vs PAC figure?": two bodies set against each other by the words
        # of a comparison name their reports as "the NAO report and the PAC report" do
        unnamed = "report" not in low and not since
        if unnamed and not _CONTRAST.search(text):
            return []
        docs = self.catalog.documents()
        publisher = {d["doc_id"]: canonical(str(d.get("publisher") or "")).strip() for d in docs}
        bodies = [b["name"] for b in publishers()["body"]
                  if re.search(rf"\b{re.escape(b['name'])}\b", canonical(text)) and b["name"] in publisher.values()]
        if unnamed and len(bodies) < 2:
            return []
        plural = re.search(r"\breports\b|\b(?:each|both|either)\s+(?:of\s+the\s+)?reports?\b", low)
        # "between the strategy and the NAO report": one body's report, and another document named by its title
        titled = len(bodies) == 1 and not plural and not since and not named
        if len(bodies) < 2 and not plural and not since and not titled:
            return []  # decided before searching: most questions compare nothing
        s = self.settings
        hits = self.searcher.search(query or text, s.report_search_hits, f)
        ranked = list(dict.fromkeys(h.chunk.doc_id for h in hits))
        if titled:
            return self._beside_titled(text, bodies[0], ranked, publisher, docs)
        if since:
            year = {d["doc_id"]: str(d.get("published") or d.get("year") or "") for d in docs}
            later = [d for d in ranked[:s.report_compare_pool] if d != named[0] and year.get(d, "") > year[named[0]]]
            if not later:
                return []
            vectors = self._subject_vectors([named[0], *later])
            return [named[0], max(later, key=lambda d: _cosine(vectors[named[0]], vectors[d]))]
        if len(bodies) >= 2:
            options = {b: [d for d in ranked if publisher.get(d) == b][:s.report_candidates] for b in bodies}
            if any(not o for o in options.values()):
                return []
            return list(self._coherent(options).values())
        first = named[0] if named else (ranked[0] if ranked else None)
        others = [d for d in ranked[:s.report_compare_pool] if d != first]
        if first is None or not others:
            return []
        vectors = self._subject_vectors([first, *others])
        second = max(others, key=lambda d: _cosine(vectors[first], vectors[d]))
        return [first, second]


# Words that set two things against each other (English): "X vs Y", "X compared with Y", "between X and Y".
_CONTRAST = re.compile(rf"\b(?:{COMPARING}|between)\b", re.I)
# Who published a report, written between its year and "report": "the 2018 NAO review", "the 2023 PAC report",
# "the 2021 Cabinet Office update" (up to three capitalised words or an acronym; matched case-sensitively).
_PUBLISHER = r"(?:(?-i:[A-Z][A-Za-z&]*)\s+){0,3}"
_REPORT_NOUN = r"(?:reports?|updates?|reviews?|press releases?)"
# The publisher as a possessive before the year: "the PAC's 2017 report", "the Cabinet Office's 2021 review"
_OWNER = r"(?:\b((?-i:[A-Z][A-Za-z&]*)(?:\s+(?-i:[A-Z][A-Za-z&]*)){0,2})['’]s\s+)?"
# A year on its own, not the first half of a financial year ("2024-25")
_YEAR_ALONE = re.compile(rf"\b{Y}\b(?!-\d)")
# "the 2014 report", "the 2014 and the 2022 reports", "the 2014, 2018 and 2022 NAO reports"
_YEARS_THEN_REPORT = re.compile(rf"\b{Y}\b(?:(?:'s)?(?:,\s*|\s+(?:and|or|,)\s+)(?:the\s+)?{Y}\b)*"
                                rf"(?:'s)?\s+{_PUBLISHER}{_REPORT_NOUN}\b", re.I)


# "the 2018 NAO review", "the PAC's 2023 report", "the 2014 report": the words that name a report
_NAMES_A_REPORT = re.compile(rf"(?:\b{Y}(?:'s)?\s+)?(?:(?-i:[A-Z][A-Za-z&]*)(?:['’]s)?\s+){{0,3}}(?:{Y}\s+)?"
                             rf"{_REPORT_NOUN}\b", re.I)


def naming_words(text: str) -> set[str]:
    """The tokens with which a question names reports (their years, publishers and "report"), and every other
    year it gives: in a comparison they say which reports to quote, not what to quote from them."""
    out = set(_YEAR_ALONE.findall(text))
    for m in _NAMES_A_REPORT.finditer(text):
        out.update(tokens(m.group()))
    return out


def _year_and_body(text: str, plural: bool = True, owners: bool = False) -> list[tuple[str, str | None]]:
    """Each "YEAR [publisher] report" of the text: the year, and the body the words before "report" name when
    the publisher data knows it ("the 2019 PAC report" -> ("2019", "PAC")), else None; with `owners`, also the
    body named as the report's possessive owner ("the PAC's 2017 report")."""
    bodies = {body["name"] for body in publishers()["body"]}
    out = []
    s = "s?" if plural else ""  # "the 2014 and 2022 reports" names reports; one report is singular
    # the publisher before the year, as its possessive ("the PAC's 2017 report"), or between year and noun
    for owner, y, who in re.findall(rf"{_OWNER}\b({Y})(?:'s)? ({_PUBLISHER})(?:report{s}|update{s}|review{s}|"
                                    rf"press release{s})\b", text, re.I):
        body = canonical(who.strip() or (owner.strip() if owners else ""))
        out.append((y, body if body in bodies else None))
    return out


def _distinctive_names(docs: list[dict]) -> dict[str, str]:
    """Each strategy name of the library, less its year and the words it shares with another strategy name
    ("Shared Services" in "Next Generation Shared Services 2012"): what tells it apart, derived from the
    library rather than listed. A name left with fewer than two words ("Strategy") is
    too weak to name a strategy by itself; its year still does."""
    names = {n for d in docs for n in d.get("strategy") or []}
    words = {n: tokens(YEAR.sub(" ", n), fold=False) for n in names}  # a name's words all count ("Next")
    shared = Counter(w for ws in words.values() for w in set(ws))
    out = {}
    for name, ws in words.items():
        own = [w for w in ws if shared[w] == 1]
        if len(own) >= 2:
            out[name] = " ".join(own)
    return out


# A year, then up to three words, then "strategy": "the 2012 strategy", "the 2018 shared services strategy"
_YEARS_THEN_STRATEGY = re.compile(rf"\b({Y})(?:['’]s)?\s+(?:[A-Za-z-]+\s+){{0,3}}?strateg(?:y|ies)\b", re.I)


def _says_name(name: str, phrase: str | None, text: str) -> bool:
    """Whether the question names the strategy `name` (`phrase`: its distinctive words, `_distinctive_names`) as
    users write names: in full ("next generation"), each word cut short to at least three letters ("next gen"),
    or by the initials of the whole name less its year, when they make three letters or more ("NGSS" for "Next
    Generation Shared Services 2012"). English abbreviation, read off the library's own names."""
    words = tokens(text)
    if phrase:
        own = tokens(phrase, fold=False)  # the phrase is made of these tokens (`_distinctive_names`)
        for i in range(len(words) - len(own) + 1):
            if all(w == o or (len(w) >= 3 and o.startswith(w)) for w, o in zip(words[i:], own)):
                return True
    initials = name_initials(name)
    return len(initials) >= 3 and initials in words


def _report_years(text: str) -> set[str]:
    """The years a question uses to name reports, not events ("in December 2012")."""
    found = {y for m in _YEARS_THEN_REPORT.finditer(text) for y in YEAR.findall(m.group())}
    found |= set(re.findall(rf"\breport(?:s|ed)? (?:of|from|in) ({Y})\b", text, re.I))  # "when the PAC reported in 2023"
    return found


def _cosine(a, b) -> float:
    norm = math.sqrt(sum(x * x for x in a) * sum(y * y for y in b)) or 1.0
    return sum(x * y for x, y in zip(a, b)) / norm
