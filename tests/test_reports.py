"""Which reports a question names, resolved against a real library (corpus/ plus evals/library/*, 33 reports)."""

from __future__ import annotations

from assistant.query.retrieval import Filters


def _resolve(assistant, question: str) -> tuple[tuple[str, ...], list[str]]:
    r = assistant.reports
    return r.named(question, question, Filters()), r.targets(question, question, Filters())


def _compared(assistant, question: str) -> list[str]:
    return list(assistant.prepare(question)["targets"])


def _library(tmp_path, files: dict[str, str], manifest: str):
    """An Assistant over generated reports (`files`, by name) described by `manifest` (real pipeline and model)."""
    from assistant.answer.pipeline import Assistant
    from assistant.config import Settings
    from ingest.pipeline import ingest_paths

    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in {**files, "manifest.toml": manifest}.items():
        (docs / name).write_text(text, encoding="utf-8")
    settings = Settings(store_dir=tmp_path / "store")
    assert not ingest_paths(settings, [docs], progress=False).failed
    return Assistant(settings)


def test_a_year_that_places_a_question_in_time_names_only_a_report_on_its_subject(library_assistant):
    # 2018 is also the year of the shared services strategy (a strategy of the 2022 report): not this question's.
    named, targets = _resolve(library_assistant, "When the NAO looked at the courts reform programme in 2018, "
                                                 "what did HMCTS reckon the total bill would be?")
    assert named == () and targets == ["nao-2018-courts-modernisation"]


def test_a_strategy_year_still_names_the_report_on_that_strategy(library_assistant):
    _, targets = _resolve(library_assistant, "By when did the 2018 shared services strategy aim to move to the cloud?")
    assert targets == ["nao-2022-government-shared-services"]


def test_a_report_called_by_year_and_body_is_that_bodys_report(library_assistant):
    named, _ = _resolve(library_assistant, "What did the 2023 PAC report say about courts?")
    assert named == ("pac-2023-courts-modernisation",)
    named, _ = _resolve(library_assistant, "What did the 2016 PAC report say about probation contracts?")
    assert named == ("pac-2016-probation-reform-contracts",)


def test_a_report_the_library_does_not_hold_names_nothing(library_assistant):
    # The library's 2019 reports are the NAO's; "the 2019 PAC report" is none of them.
    named, targets = _resolve(library_assistant, "What did the 2019 PAC report say about smart motorways?")
    assert named == () and targets == []


def test_a_question_about_a_report_the_library_does_not_hold_is_declined_saying_so(library_assistant):
    """"What did the 2019 PAC report recommend?" with no PAC report of 2019 (the NAO's 2019 reports are not it) is
    declined, naming the report, rather than answered from another; a body named as the report's owner counts
    ("the NAO's 2012 report"), and a report held is answered."""
    reports = library_assistant.reports
    assert reports.unheld("What did the 2019 PAC report on smart motorways recommend?") == ["2019 PAC report"]
    assert reports.unheld("Summarise the NAO's 2012 report on the apprenticeship levy.") == ["2012 NAO report"]
    assert reports.unheld("How did it change between the NAO's 2020 report and the PAC's 2024 report?") == []
    assert reports.unheld("What did the 2019 independent review find?") == []  # perhaps cited by a report held
    answer = library_assistant.ask("What did the 2019 Public Accounts Committee report on smart motorways recommend?")
    assert answer.declined and "holds no 2019 PAC report" in answer.text, answer.text
    answer = library_assistant.ask("What did the 2023 PAC report say about the courts programme's end date?")
    assert not answer.declined, answer.text


def test_reports_compared_by_body_or_in_the_plural_are_both_targets(library_assistant):
    # No years: the bodies (publisher data) pick one report each, on the question's subject.
    targets = _compared(library_assistant, "How did the probation companies' offender volumes against the MoJ "
                                           "model change between the NAO report and the PAC report?")
    assert sorted(targets) == ["nao-2015-probation-reform-contracts", "pac-2016-probation-reform-contracts"]
    # "the two ... reports": the two reports its passages come from that share a subject.
    targets = _compared(library_assistant, "Did the courts backlog grow between the two courts modernisation "
                                           "reports?")
    assert sorted(targets) == ["nao-2018-courts-modernisation", "pac-2023-courts-modernisation"]
    # One report, one body: nothing is compared.
    targets = _compared(library_assistant, "What did the PAC report recommend on court closures?")
    assert len(targets) <= 1


def test_two_bodies_set_against_each_other_compare_their_reports_without_the_word_report(library_assistant):
    """"NAO figure vs PAC figure" sets the two bodies against each other as "the NAO report and the PAC report"
    does; two bodies merely mentioned together compare nothing."""
    targets = _compared(library_assistant, "Probation companies' offender volumes against the MoJ model: NAO "
                                           "figure vs PAC figure?")
    assert sorted(targets) == ["nao-2015-probation-reform-contracts", "pac-2016-probation-reform-contracts"]
    targets = _compared(library_assistant, "Did the PAC agree with the NAO on probation contracts?")
    assert len(targets) <= 1


def test_what_changed_since_a_report_compares_it_with_the_later_report_on_its_subject(library_assistant):
    """"Since the 2018 audit" names one report and asks what happened after it: the later report on the same
    programme is the other side; without "since" the one report named is the only target."""
    targets = library_assistant.prepare("Since the NAO's 2018 audit, how many more court buildings have closed?")[
        "targets"]
    assert sorted(targets) == ["nao-2018-courts-modernisation", "pac-2023-courts-modernisation"]
    targets = library_assistant.prepare("How many court buildings did the NAO's 2018 audit say had closed?")[
        "targets"]
    assert list(targets) == ["nao-2018-courts-modernisation"]


def test_a_report_named_beside_another_year_is_compared_with_the_report_of_that_year(library_assistant):
    """"between the 2020 report and the 2024 committee report" and "when the PAC reported in 2023" compare two
    reports: the one named is not the only target because another year stands beside it."""
    cases = {
        "Court closures: how many buildings had gone by 2018, and how many by the time the PAC reported in 2023?":
            ["nao-2018-courts-modernisation", "pac-2023-courts-modernisation"],
        "Electric double-decker prices: what happened to them between the 2020 report and the 2024 committee report?":
            ["nao-2020-clean-bus-transition", "pac-2024-clean-bus-transition"],
    }
    for question, reports in cases.items():
        assert sorted(library_assistant.prepare(question)["targets"]) == reports, question
    assert list(library_assistant.prepare("What did the 2018 report find about court closures?")["targets"]) == [
        "nao-2018-courts-modernisation"]


def test_an_off_topic_question_mentioning_reports_is_still_declined(library_assistant):
    answer = library_assistant.ask("Forget the reports. What is the capital of France?")
    assert answer.declined


def test_the_hand_set_limits_of_report_resolution_are_settings(library_assistant):
    from assistant.config import Settings
    from assistant.query.reports import ReportResolver

    a = library_assistant

    def resolver(**changes) -> ReportResolver:
        return ReportResolver(a.catalog, a.searcher, a.embedder, Settings(**changes))

    question = "Did the courts backlog grow between the two courts modernisation reports?"
    assert sorted(resolver().across(question, question, Filters(), [])) == ["nao-2018-courts-modernisation",
                                                                           "pac-2023-courts-modernisation"]
    # the second report is chosen among the first report_compare_pool reports found: with one, none is left
    assert resolver(report_compare_pool=1).across(question, question, Filters(), []) == []
    question = "By when did the 2018 shared services strategy aim to move to the cloud?"
    assert resolver().targets(question, question, Filters()) == ["nao-2022-government-shared-services"]
    assert resolver(report_max_targets=0).targets(question, question, Filters()) == []  # "many" reports: all


def test_a_comparison_quotes_what_is_asked_not_the_words_that_name_the_reports(library_assistant):
    """"by 2018 ... the PAC reported in 2023" chose the two reports; their sentences are chosen on the rest of the
    question (buildings gone), not on "2018" and "report", which match the report's front matter."""
    answer = library_assistant.ask("Court closures: how many buildings had gone by 2018, and how many by the time "
                                   "the PAC reported in 2023?")
    quotes = {c.doc_id: [] for c in answer.citations}
    for c in answer.citations:
        quotes[c.doc_id].append(c.quote)
    assert set(quotes) == {"nao-2018-courts-modernisation", "pac-2023-courts-modernisation"}, answer.text
    assert not any("Comptroller and Auditor General" in q for qs in quotes.values() for q in qs), answer.text
    assert "buildings" in quotes["nao-2018-courts-modernisation"][0], answer.text
    assert any("closed 126 buildings" in q for q in quotes["pac-2023-courts-modernisation"]), answer.text


def test_one_year_names_one_report_though_two_reports_have_that_year(library_assistant):
    """2021 is the year of the student-loan report and of the shared services strategy the 2022 report is on: a
    question that names 2021 once asks about one of them (the one its passages come from), not a comparison of the
    two that says the other "has no passage on this"."""
    _, targets = _resolve(library_assistant, "Why did HM Treasury reject the Spending Review bids from the clusters in 2021?")
    assert targets == ["nao-2022-government-shared-services"]
    answer = library_assistant.ask("Why did HM Treasury reject the Spending Review bids from the clusters in 2021?")
    assert "no passage on this was found" not in answer.text, answer.text


def test_a_strategy_is_named_by_its_initials_or_by_its_words_cut_short():
    """Users write "NGSS" or "next gen" for the Next Generation Shared Services strategy: the initials of a
    strategy's name (less its year) and its distinctive words cut to three letters or more name it, as the words
    in full do. Two letters, or one word of two, name nothing."""
    from assistant.query.reports import _says_name

    name, phrase = "Next Generation Shared Services 2012", "next generation"
    for question in ("ngss savings estimate per yr", "What did NGSS cost?", "roughly what was next gen shared "
                     "services expected to cost?", "the Next-Generation strategy", "next generation"):
        assert _says_name(name, phrase, question), question
    for question in ("what comes next in the generation of savings?", "ne ge savings", "the next strategy",
                     "NGS savings", "generation next"):
        assert not _says_name(name, phrase, question), question
    assert not _says_name("cluster model 2021", "cluster model", "what did the CM say?")  # two letters: too few


def test_a_strategy_named_by_its_initials_is_answered_from_its_report(library_assistant):
    """"ngss savings estimate per yr": the report on the strategy is the target, and a sentence naming the strategy
    in full matches "NGSS" (the manifest's strategy name gives the initials, as a definition in the text would)."""
    question = "ngss savings estimate per yr"
    assert _compared(library_assistant, question) == ["nao-2014-next-generation-shared-services"]
    answer = library_assistant.ask(question)
    assert not answer.declined, answer.text
    assert "between £400 million and £600 million per annum" in answer.text, answer.text
    assert {c.doc_id for c in answer.citations} == {"nao-2014-next-generation-shared-services"}


def test_a_strategy_named_by_name_is_a_target_whichever_passages_the_other_words_find(library_assistant):
    """A year may only place a question in time, so a report it points to must also be where the question's
    passages come from; a strategy's name names its report outright. Here the question's words find the cluster
    model's report alone, and "NGSS" still brings in the report on Next Generation Shared Services."""
    question = "How did the savings expected from NGSS compare with those the cluster model aims for?"
    assert sorted(_compared(library_assistant, question)) == ["nao-2014-next-generation-shared-services",
                                                              "nao-2022-government-shared-services"]
    answer = library_assistant.ask(question)
    assert not answer.declined, answer.text
    assert {c.doc_id for c in answer.citations} == {"nao-2014-next-generation-shared-services",
                                                    "nao-2022-government-shared-services"}


def test_a_year_called_a_strategy_names_the_strategy_of_that_year(library_assistant):
    """"the 2012 strategy" names the strategy of 2012 as "the 2014 report" names a report, whichever passages the
    question's other words find (here only the cluster model's report)."""
    question = "Compare the savings expected from the 2012 strategy with the savings the 2021 cluster model aims for."
    assert sorted(_compared(library_assistant, question)) == ["nao-2014-next-generation-shared-services",
                                                              "nao-2022-government-shared-services"]
    from assistant.query.reports import _YEARS_THEN_STRATEGY

    assert _YEARS_THEN_STRATEGY.findall("what did the 2018 shared services strategy aim for?") == ["2018"]
    # a year and "strategy" further apart: the year only places the question in time
    assert not _YEARS_THEN_STRATEGY.findall("in 2018 the department changed its strategy")


def test_a_strategys_year_names_the_strategy_of_the_programme_asked_about(tmp_path, embedder):
    """"the 2021 strategy" of a fraud analytics programme is its own strategy paper (a document whose title says
    it is a strategy, published in 2021), not another programme's strategy of 2021 (here shared services' cluster
    model, named in its report's manifest): a strategy's year alone names a document as a year does, when the
    question's own passages come from it."""
    assistant = _library(tmp_path, {
        "shared.txt": (
            "Government shared services\n\nIn 2021 the Cabinet Office grouped departments into five clusters, the "
            "cluster model, to share back-office services such as payroll and finance systems.\n"),
        "fraud.txt": (
            "Targeted Fraud Analytics Programme: strategy 2021 to 2026\n\nThe programme will build a data platform, "
            "Sentinel, and six risk models to find fraud in benefit claims, saving £1.6 billion by 2026.\n"),
    }, (
        '[[document]]\ndoc_id = "nao-2022-shared"\nfile = "shared.txt"\ntitle = "Government Shared Services"\n'
        'publisher = "National Audit Office"\npublished = "2022-11-30"\nstrategy = ["cluster model 2021"]\n\n'
        '[[document]]\ndoc_id = "dept-2021-fraud"\nfile = "fraud.txt"\n'
        'title = "Targeted Fraud Analytics Programme: strategy 2021 to 2026"\n'
        'publisher = "Department for Work and Pensions"\npublished = "2021-06-14"\n'))
    _, targets = _resolve(assistant, "What savings from fraud in benefit claims did the 2021 strategy expect?")
    assert targets == ["dept-2021-fraud"]


def test_a_document_named_by_a_word_of_its_title_is_compared_with_the_named_bodys_report(tmp_path, embedder):
    """"between the strategy and the NAO report": the NAO's report on the programme, and beside it the department's
    paper on the same programme, named by the word of its title ("strategy") that the report's title lacks; a
    question naming the NAO alone compares nothing."""
    assistant = _library(tmp_path, {
        "strategy.txt": (
            "Targeted Fraud Analytics Programme: strategy 2021 to 2026\n\nThe senior responsible owner is Helen Marsh, "
            "Director of Counter Fraud. The programme will build Sentinel, a data platform for benefit fraud risk "
            "models, at a cost of £412 million.\n"),
        "nao.txt": (
            "Progress with the Targeted Fraud Analytics Programme\n\nThe senior responsible owner is now David "
            "Oyelaran, who took over in 2023. Sentinel, the programme's data platform for benefit fraud risk models, "
            "is now expected to cost £587 million.\n"),
        "other.txt": (
            "Rail signalling upgrade\n\nThe NAO found that the signalling programme was two years late and that its "
            "senior responsible owner had changed three times.\n"),
    }, (
        '[[document]]\ndoc_id = "dept-2021-fraud"\nfile = "strategy.txt"\n'
        'title = "Targeted Fraud Analytics Programme: strategy 2021 to 2026"\n'
        'publisher = "Department for Work and Pensions"\npublished = "2021-06-14"\n\n'
        '[[document]]\ndoc_id = "nao-2024-fraud"\nfile = "nao.txt"\n'
        'title = "Progress with the Targeted Fraud Analytics Programme"\npublisher = "National Audit Office"\n'
        'published = "2024-10-23"\n\n'
        '[[document]]\ndoc_id = "nao-2023-rail"\nfile = "other.txt"\ntitle = "Rail signalling upgrade"\n'
        'publisher = "National Audit Office"\npublished = "2023-05-01"\n'))
    question = "Who was the senior responsible owner for fraud analytics in the strategy and in the NAO report?"
    assert _compared(assistant, question) == ["dept-2021-fraud", "nao-2024-fraud"]
    assert len(_compared(assistant, "What did the NAO report say about the fraud analytics data platform?")) < 2



def test_one_body_named_without_a_year_targets_its_report_where_another_bodys_passages_lead(library_assistant):
    """"What did the PAC say about ...?" is asked of the PAC's report, though the NAO's report on the same programme
    matches the question's words best; nothing is targeted where that body's report leads already, where the
    passages found hold none of its reports, where a year names the report, or where two bodies are named."""
    r = library_assistant.reports
    assert r.of_body("What did the PAC say about the clean bus programme's delays?") == ["pac-2024-clean-bus-transition"]
    assert r.of_body("What did the NAO recommend about the courts programme?") == ["nao-2018-courts-modernisation"]
    assert r.of_body("What did the NAO find about the clean bus programme's budget?") == []  # the NAO's leads
    assert r.of_body("How did the PAC judge the health assessment programme?") == []  # no PAC report on it
    assert r.of_body("What did the PAC say in 2024 about the clean bus programme's delays?") == []
    assert r.of_body("Did the PAC agree with the NAO about the clean bus programme's delays?") == []
    prepared = library_assistant.prepare("What did the PAC say about the clean bus programme's delays?")
    assert prepared["targets"] == ("pac-2024-clean-bus-transition",)
    assert prepared["chunks"][0].chunk.doc_id == "pac-2024-clean-bus-transition"
