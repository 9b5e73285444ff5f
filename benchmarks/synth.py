"""A deterministic synthetic corpus of audit-report-like documents, for scale only.

Each document is a value-for-money report on one programme of one department: a title, numbered
sections, £ figures, percentages, dates and financial years, written as PDF (with a running header
and page footer, as real reports have) or as plain text. Document i is a function of (seed, i) alone,
so the first 1,000 documents of a 100,000-chunk corpus are the whole of a smaller one, and every run
embeds the same text.

The documents are distractors, not answers: they share the corpus's vocabulary (HM Treasury, funding,
savings, Cabinet Office, cloud), which is what makes retrieval at scale hard. Each one carries a few
facts (`SynthDoc.facts`) that benchmark questions ask about.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["SynthDoc", "make_document", "generate", "write_document", "write_manifest", "question_for"]

DEPARTMENTS = [  # names that read well after "the"
    "Ministry of Defence", "Department for Education", "Home Office", "Department of Health and Social Care",
    "Department for Transport", "Ministry of Justice", "Department for Work and Pensions",
    "Department for Environment, Food and Rural Affairs", "Department for Levelling Up, Housing and Communities",
    "Foreign, Commonwealth and Development Office", "Department for Business and Trade",
    "Department for Energy Security and Net Zero", "Department for Culture, Media and Sport",
    "Department for Science, Innovation and Technology", "Courts and Tribunals Service", "Environment Agency",
    "Rural Payments Agency", "Driver and Vehicle Licensing Agency", "Crown Prosecution Service",
    "Office for Standards in Education",
]
ADJECTIVES = [
    "National", "Regional", "Digital", "Integrated", "Future", "Modern", "Strategic", "Unified", "Resilient",
    "Sustainable", "Connected", "Secure", "Transformed", "Common", "Shared", "Northern", "Coastal", "Rural",
    "Central", "Frontline",
]
NOUNS = [
    "Estates", "Payments", "Workforce", "Records", "Fleet", "Data", "Network", "Skills", "Borders", "Courts",
    "Prisons", "Schools", "Hospitals", "Flood Defences", "Rail Signalling", "Broadband", "Housing", "Benefits",
    "Tax Collection", "Procurement",
]
KINDS = ["Programme", "Transformation Programme", "Modernisation Programme", "Project", "Portfolio"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
SECTIONS = [
    "Summary", "Key findings", "Background", "Funding and costs", "Progress against milestones",
    "Benefits and savings", "Governance and oversight", "Risks to delivery", "Value for money",
    "Recommendations",
]
OFFICIALS = ["the Accounting Officer", "the Senior Responsible Owner", "the programme board",
             "the Infrastructure and Projects Authority", "the Cabinet Office", "HM Treasury"]
FILLER = [
    "The {dept} has not yet established a complete baseline against which to measure the {prog}'s benefits.",
    "Our examination found that governance of the {prog} has improved since {year}, but reporting remains "
    "inconsistent across business units.",
    "The programme team told us that recruitment of digital and commercial specialists was the main constraint "
    "on progress.",
    "{official} reviewed the business case in {month} {year} and asked for further evidence on affordability.",
    "Suppliers reported that changes to requirements late in procurement added cost and delay.",
    "The {dept} expects most of the remaining benefits to be realised after {later}.",
    "Performance data were not always timely, complete or comparable between sites.",
    "The risk register identified {risks} high-rated risks, of which {open_risks} remained open at the time of "
    "our review.",
    "Stakeholders we interviewed said the objectives of the {prog} were clear, but its timetable was ambitious.",
    "The {dept} has started to apply lessons from earlier programmes, including the need for realistic "
    "contingency.",
    "Around {staff:,} staff across {sites} sites are expected to use the new arrangements.",
    "Legacy systems supporting the service are due to reach the end of their supported life in {later}.",
    "The {dept} could not tell us how much it had spent on consultants for the {prog} in {fy}.",
    "Independent assurance reviews rated delivery confidence as {rating} in {month} {year}.",
    "Local bodies told us that guidance from the {dept} arrived too late to inform their plans for {fy}.",
    "The programme's integrated assurance and approval plan was last updated in {month} {year}.",
]
RATINGS = ["amber", "amber/red", "red", "amber/green"]


@dataclass(frozen=True)
class SynthDoc:
    """One synthetic report: its id, metadata, the text of each page and the facts it states."""

    index: int
    doc_id: str
    title: str
    department: str
    programme: str
    published: str
    kind: str  # pdf | text
    pages: list[str]
    facts: dict[str, str] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        return f"{self.doc_id}.{'pdf' if self.kind == 'pdf' else 'txt'}"


def _money(rng: random.Random, low: float, high: float) -> tuple[float, str]:
    value = rng.uniform(low, high)
    if value >= 1000:
        return value, f"£{value / 1000:.1f} billion"
    return value, f"£{value:.1f} million" if value < 100 else f"£{value:.0f} million"


def _sentence(template: str, ctx: dict) -> str:
    text = template.format(**ctx)
    return text[0].upper() + text[1:]


def _fy(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


def make_document(index: int, seed: int = 0, pdf_share: float = 0.25) -> SynthDoc:
    """Synthetic document number `index`: the same text for the same (seed, index), always."""
    rng = random.Random(f"audit-synth:{seed}:{index}")
    dept = rng.choice(DEPARTMENTS)
    prog = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {rng.choice(KINDS)}"
    year = rng.randint(2008, 2024)
    published = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    start = year - rng.randint(2, 6)
    later = year + rng.randint(2, 8)
    budget_v, budget = _money(rng, 20, 2500)
    forecast = _money(rng, budget_v * 1.05, budget_v * 1.6)[1]
    spent = _money(rng, budget_v * 0.1, budget_v * 0.7)[1]
    savings = rng.randint(3, 25)
    facts = {
        "budget": budget, "forecast": forecast, "spent": spent, "savings": f"{savings}%",
        "approved": f"{rng.choice(MONTHS)} {start}", "completion": str(later),
    }
    ctx = dict(dept=dept, prog=prog, year=year, later=later, fy=_fy(year - 1), month=rng.choice(MONTHS),
               official=rng.choice(OFFICIALS), risks=rng.randint(6, 40), open_risks=rng.randint(1, 6),
               staff=rng.randint(200, 60000), sites=rng.randint(3, 400), rating=rng.choice(RATINGS))
    key = {
        "Summary": [
            f"This report examines whether the {dept} is delivering the {prog} in a way that secures value for "
            f"money.",
            f"HM Treasury approved funding of {budget} for the {prog} in {facts['approved']}.",
            f"The {dept} now forecasts that the {prog} will cost {forecast}, and expects to complete it by "
            f"{later}.",
        ],
        "Funding and costs": [
            f"By March {year}, the {dept} had spent {spent} on the {prog}.",
            f"The approved funding envelope of {budget} covers the period up to {_fy(later - 1)}.",
            f"The forecast whole-life cost of {forecast} excludes optimism bias of around {rng.randint(5, 40)}%.",
        ],
        "Benefits and savings": [
            f"The {dept} aims to reduce operating costs by {savings}% by {later}.",
            f"It has so far reported cashable savings of {_money(rng, 1, budget_v * 0.2)[1]}, which we could not "
            f"verify in full.",
        ],
        "Progress against milestones": [
            f"The {prog} was originally due to complete in {later - rng.randint(1, 4)}, but the date was "
            f"revised in {rng.choice(MONTHS)} {year - 1}.",
            f"Of {rng.randint(12, 60)} milestones due by {rng.choice(MONTHS)} {year}, the programme had met "
            f"{rng.randint(5, 11)} on time.",
        ],
    }
    n_pages = rng.randint(3, 8)
    sections = ["Summary"] + rng.sample(SECTIONS[1:], k=min(len(SECTIONS) - 1, n_pages + 1))
    per_page = max(1, -(-len(sections) // n_pages))
    pages: list[str] = []
    for p in range(n_pages):
        blocks = []
        for name in sections[p * per_page:(p + 1) * per_page]:
            blocks.append(name)  # a heading: the chunker makes it the section of what follows
            for para in range(2):
                sentences = key.pop(name, []) if para == 0 else []
                sentences += [_sentence(t, ctx) for t in rng.sample(FILLER, k=rng.randint(2, 4))]
                blocks.append(" ".join(sentences))
        if not blocks:  # more pages than sections: a page of continued text
            blocks.append(" ".join(_sentence(t, ctx) for t in rng.sample(FILLER, k=6)))
        pages.append("\n\n".join(blocks))
    kind = "pdf" if rng.random() < pdf_share else "text"
    title = f"{dept}: the {prog}"
    return SynthDoc(index, f"synth-{index:06d}", title, dept, prog, published, kind, pages, facts)


def question_for(doc: SynthDoc) -> tuple[str, str]:
    """A benchmark question about a synthetic document, and the figure its answer should state."""
    return f"How much funding did HM Treasury approve for the {doc.programme} at the {doc.department}?", \
        doc.facts["budget"]


def write_document(doc: SynthDoc, directory: Path) -> Path:
    """Write one document as PDF (running header, page footer) or text; returns its path."""
    path = Path(directory) / doc.filename
    if doc.kind == "pdf":
        from fpdf import FPDF

        pdf = FPDF()
        pdf.set_auto_page_break(False)
        pdf.set_title(doc.title)
        for n, text in enumerate(doc.pages, 1):
            pdf.add_page()
            pdf.set_font("Helvetica", size=8)
            pdf.set_xy(10, 8)
            pdf.cell(0, 5, _latin1(f"National Audit Office | {doc.title}"))
            pdf.set_font("Helvetica", size=10)
            pdf.set_xy(10, 20)
            pdf.multi_cell(0, 5, _latin1(text))
            pdf.set_font("Helvetica", size=8)
            pdf.set_xy(10, 285)
            pdf.cell(0, 5, f"Page {n}")
        pdf.output(str(path))
    else:
        path.write_text(f"{doc.title}\n\n" + "\n\n".join(doc.pages) + "\n", encoding="utf-8")
    return path


def _latin1(text: str) -> str:
    # The core PDF fonts are Latin-1; our text is ASCII plus £.
    return text.encode("latin-1", "replace").decode("latin-1")


def write_manifest(docs: list[SynthDoc], directory: Path) -> Path:
    """manifest.toml for the documents, so each has its doc_id, title, publisher and date."""
    lines = ["# Synthetic audit-report-like documents generated by benchmarks/synth.py, for scale only.\n"]
    for d in docs:
        lines.append(f'[[document]]\ndoc_id = "{d.doc_id}"\nfile = "{d.filename}"\ntitle = "{d.title}"\n'
                     f'publisher = "National Audit Office (synthetic)"\npublished = "{d.published}"\n'
                     f'kind = "synthetic report"\n')
    path = Path(directory) / "manifest.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def generate(directory: Path, count: int, seed: int = 0, start: int = 0, pdf_share: float = 0.25) -> list[SynthDoc]:
    """Write documents start..start+count-1 and their manifest into `directory`; returns them."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    docs = [make_document(i, seed, pdf_share) for i in range(start, start + count)]
    for d in docs:
        write_document(d, directory)
    write_manifest(docs, directory)
    return docs


if __name__ == "__main__":  # python -m benchmarks.synth DIR COUNT: write a corpus to look at
    import sys

    out = generate(Path(sys.argv[1]), int(sys.argv[2]))
    print(f"wrote {len(out)} documents to {sys.argv[1]}")
