"""The fitting script's models: the listwise ranker learns which sentence of a question answers, and the L2
penalty is chosen by cross-validation that holds whole documents out."""

import numpy as np

from evals.fit import _balanced_threshold, choose_l2, fit_ranking


def _questions(n: int, seed: int = 0):
    """Synthetic questions: 6 sentences each, 2 features; the answering sentence has the highest first feature
    (plus noise in the second), spread over 10 documents."""
    rng = np.random.RandomState(seed)
    out = []
    for i in range(n):
        rows = rng.normal(size=(6, 2))
        best = int(np.argmax(rows[:, 0]))
        labels = [int(j == best) for j in range(6)]
        out.append((rows.tolist(), labels, f"doc-{i % 10}"))
    return out


def test_fit_ranking_learns_the_answering_feature():
    w = fit_ranking(_questions(80), l2=0.1)
    assert w[0] == 0.0  # no bias in a listwise model: only differences between sentences count
    assert w[1] > 1.0 and abs(w[2]) < 0.5 * w[1]


def test_choose_l2_scores_each_penalty_on_held_out_documents():
    best, scores = choose_l2(_questions(80), grid=(0.1, 10.0))
    assert set(scores) == {0.1, 10.0}
    # The answering sentence is always the one with the highest first feature: any penalty ranks held-out
    # questions right, and a tie goes to the stronger penalty (the simpler model).
    assert scores[0.1] == scores[10.0] > 0.95
    assert best == 10.0
    noisy = [(rows, labels[::-1], doc) for rows, labels, doc in _questions(40, seed=1)]  # labels unrelated
    _, noise_scores = choose_l2(noisy, grid=(0.1,))
    assert noise_scores[0.1] < 0.5


def test_balanced_threshold_respects_the_false_decline_budget():
    answerable = [0.2] + [0.9] * 19  # one answerable question scores low
    unanswerable = [0.1, 0.3, 0.5]
    t = _balanced_threshold(answerable, unanswerable, budget=0.05)
    assert sum(a < t for a in answerable) <= 1
    assert t > 0.1


def test_signed_logistic_keeps_each_weight_on_its_side():
    from evals.fit import signed_logistic

    rng = np.random.RandomState(0)
    x = rng.normal(size=(200, 2))
    y = (x[:, 0] - x[:, 1] > 0).astype(int)  # the first feature pushes up, the second down
    free = signed_logistic(x, y, [0, 0])
    assert free[1] > 0 > free[2]
    held = signed_logistic(x, y, [0, 1])  # the second may not push down: its weight stops at zero
    assert held[1] > 0 and held[2] == 0.0


def test_fit_ranking_keeps_each_weight_to_its_sign_when_given():
    """A feature the data would weigh negatively, held to "not negative" by what it means, stops at zero; the
    free feature is learnt as without signs. Every sign of the shipped features is stated."""
    from assistant.answer.features import FEATURE_SIGNS, FEATURES

    questions = [(np.column_stack([np.asarray(rows)[:, 0], -np.asarray(rows)[:, 0]]).tolist(), labels, doc)
                 for rows, labels, doc in _questions(80)]  # the second feature is the first, negated
    free = fit_ranking(questions, l2=0.1)
    assert free[2] < 0
    held = fit_ranking(questions, l2=0.1, signs=[0, 1])
    assert held[2] == 0.0 and held[1] > 1.0
    assert set(FEATURE_SIGNS) == set(FEATURES[1:])


def test_a_sentence_is_labelled_by_what_choosing_it_quotes(tmp_path, embedder):
    """The announcer of a list holds none of its items, yet choosing it quotes them all: the fit labels it
    answering (as it does an item, whose choice quotes the whole list), and not a sentence outside the list."""
    import json

    from evals.dataset import load_set
    from evals.fit import examples
    from tests.test_answers import _assistant_over

    assistant = _assistant_over(tmp_path, "ferry-review.txt",
        "Review of the island ferry replacement programme\n\n"
        "The review identifies three risks to value for money. First, the shipyard has no other orders. "
        "Second, crew training for the new engines has not started. Third, two harbours still need deeper "
        "berths.\n\n"
        "The department should publish a revised timetable by March 2025.\n")
    case = {"id": "r1", "question": "What are the three risks to value for money?", "answerable": True,
            "facts": [{"term": "shipyard"}, {"term": "crew training"}, {"term": "deeper berths"}],
            "sources": ["ferry-review"], "tags": ["list"]}
    (tmp_path / "set.jsonl").write_text(json.dumps(case) + "\n", encoding="utf-8")
    cases = load_set(tmp_path / "set.jsonl")
    answerer = assistant.grounded
    inp = assistant.prepare(cases[0].question)
    cands = answerer.candidates(inp["analysis"], inp["chunks"], inp["targets"])
    _, _, _, labelled = examples(assistant, answerer, cases)
    rows, labels, _ = labelled[0]
    by_text = {c.text: label for c, label in zip(cands, labels)}
    assert by_text["The review identifies three risks to value for money."] == 1, by_text
    assert by_text["First, the shipyard has no other orders."] == 1, by_text
    assert by_text["The department should publish a revised timetable by March 2025."] == 0, by_text


def test_the_decline_budget_counts_the_questions_rules_decline(tmp_path, embedder):
    """The 5% budget of false declines is for every decline: `decline_cap` counts the answerable questions the
    answerer declines whatever the decline model says (here a period the passage never names); when they use
    the whole budget, the cap lets the decline model decline no answerable question."""
    import json

    from evals.dataset import load_set
    from evals.fit import decline_cap
    from tests.test_answers import _assistant_over

    assistant = _assistant_over(tmp_path, "probation.txt",
        "Probation reforms\n\n"
        "The ministry has spent £412 million on the transition to the new probation companies, more than the "
        "£330 million budgeted.\n")
    cases = [{"id": "p1", "question": "How much has the ministry spent on the probation transition?",
              "facts": [{"number": "412 million", "unit": "GBP"}], "sources": ["probation"]},
             {"id": "p2", "question": "How much did the ministry spend on the probation transition in 2013-14?",
              "facts": [{"number": "412 million", "unit": "GBP"}], "sources": ["probation"]},
             {"id": "p3", "question": "What is the capital of Peru?", "answerable": False}]
    (tmp_path / "set.jsonl").write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    answerer = assistant.grounded
    before = answerer.params["decline_threshold"]
    cap, ruled, answerable = decline_cap(assistant, answerer, load_set(tmp_path / "set.jsonl"), budget=0.05)
    assert (ruled, answerable) == (1, 2)
    assert answerer.params["decline_threshold"] == before  # the fitted threshold is put back
    answerer.params["decline_threshold"] = cap  # the fitted parameters are shared by every answerer: put back
    try:
        answer = assistant.ask(cases[0]["question"])
    finally:
        answerer.params["decline_threshold"] = before
    assert not answer.declined and "£412 million" in answer.text, answer.text


def test_the_decline_model_learns_that_a_missing_person_or_reason_says_less_than_a_missing_amount():
    """Answerable who-questions whose best sentence shows no person are common (a name without a title); a
    how-much question whose best sentence shows no amount is usually unanswerable. With the same sentence evidence,
    the fitted decline model finds the who-question likelier to be answerable (the `weak_type` feature)."""
    import random

    from assistant.answer.features import FEATURES, Candidate, probability, question_features
    from assistant.query.analysis import analyse
    from evals.dataset import Case
    from evals.fit import fit_decline

    rng = random.Random(0)
    params = {"weights": {f: 0.0 for f in FEATURES}, "rank_weights": {f: 0.0 for f in FEATURES}}
    params["weights"]["dense"] = params["rank_weights"]["dense"] = 1.0

    def rows(type_hit: float) -> list[list[float]]:
        """A question's sentences: the first best by meaning; it shows the answer type or not."""
        out = []
        for i in range(3):
            f = {name: 0.0 for name in FEATURES[1:]}
            f.update(dense=0.8 - 0.2 * i + rng.uniform(-0.05, 0.05), type_hit=type_hit if i == 0 else 0.0,
                     type_miss=1.0 - type_hit if i == 0 else 1.0)
            out.append([f[name] for name in FEATURES[1:]])
        return out

    per_case = []
    for i in range(40):
        facts = [{"term": "x"}]
        # who-questions: answerable whether or not the best sentence shows a person
        per_case.append((Case(id=f"w{i}", question="Who runs the ferry programme?", facts=facts), rows(i % 2)))
        # how-much questions: answerable when the best sentence shows an amount, mostly not when it does not
        answerable = i % 2 == 1 or i % 8 == 0
        case = Case(id=f"m{i}", question="How much did the ferry programme cost?", answerable=answerable,
                    facts=facts if answerable else [])
        per_case.append((case, rows(i % 2)))
    weights, _ = fit_decline(per_case, params, budget=0.05)
    assert weights["weak_type"] > 0, weights

    def p(question: str) -> float:
        cands = []
        for r in rows(0.0):
            c = Candidate(None, 0, 0, 0, "", dict(zip(FEATURES[1:], r)))
            c.p = probability(c.f, params["weights"])
            cands.append(c)
        return probability(question_features(cands, analyse(question)), weights)

    assert p("Who runs the ferry programme?") > p("How much did the ferry programme cost?")
    # only a question asking for nothing but a person or a reason: "who, and when?" wants a date it can check
    one = [Candidate(None, 0, 0, 0, "", dict(zip(FEATURES[1:], rows(0.0)[0])))]
    asked = ("Who runs the ferry programme?", "Why is the ferry late?", "Who ran it, and when did they start?",
             "Ferry programme cost?")
    assert [analyse(a).types for a in asked] == [("person",), ("reason",), ("date", "person"), ()], \
        [analyse(a).types for a in asked]
    assert [question_features(one, analyse(a))["weak_type"] for a in asked] == [1.0, 1.0, 0.0, 0.0]
    assert [question_features(one, analyse(a))["two_types"] for a in asked] == [0.0, 0.0, 1.0, 0.0]
    # a terse question matches any sentence less well: its length is evidence too, up to ten content words
    lengths = [question_features(one, analyse(a))["q_terms"] for a in
               ("Ferry cost?", "What did the island ferry replacement programme cost the department by March 2024?")]
    assert lengths == [0.2, 0.9], lengths


def test_fit_ranking_can_fit_some_weights_holding_the_others_where_they_are():
    """`--ranking-alone`: a feature's weight fitted with every other weight held as shipped, so the feature's own
    effect is measured without the churn of refitting every weight."""
    questions = []
    for rows, labels, doc in _questions(80):
        x = np.asarray(rows)
        # the answer is the sentence with the highest sum of both features: the first is worth as much as the second
        best = int(np.argmax(x[:, 0] + x[:, 1]))
        questions.append((rows, [int(j == best) for j in range(len(rows))], doc))
    held = fit_ranking(questions, l2=0.1, fixed={0: 0.5})
    assert held[1] == 0.5  # held where it was
    assert held[2] > 0.5  # the free weight makes up for the held one, as far as the data asks
    free = fit_ranking(questions, l2=0.1)
    assert free[1] > 0.5 and free[2] > 0.5


def test_the_runner_up_gap_is_the_shortest_within_one_standard_error_of_the_most_correct(monkeypatch):
    """`fit_second_gap` takes, of the gaps whose correctness is within one standard error (of the paired, case by
    case difference) of the most correct gap's, the one whose answers are shortest; and it leaves the answerer's own
    way of ranking sentences in place afterwards."""
    import evals.fit as fit

    class Answerer:
        params: dict = {}

        def candidates(self, q, chunks, targets=()):
            return []

    answerer = Answerer()
    n = 400

    def run(right: int, lost: int = 0) -> list[float]:
        """`right` cases correct of n; `lost` of them wrong where the most correct gap is right, and as many right
        where it is wrong (so discordant pairs grow with `lost`, not only the net difference)."""
        v = [1.0] * right + [0.0] * (n - right)
        for i in range(lost):
            v[i], v[n - 1 - i] = 0.0, 1.0
        return v

    # correctness rises to a plateau from 3.0 (300 of 400); gap 2.5 is one case short of it, with no other case
    # answered differently: within one standard error. Gap 2.0 is five cases short: beyond it.
    vectors = {g: run(300) if g >= 3.0 else run(299) if g == 2.5 else run(295 - int(g)) for g in fit.GAPS}
    monkeypatch.setattr(fit, "scored", lambda assistant, cases: (
        {"correctness": sum(vectors[answerer.params["second_gap"]]) / n,
         "answer_chars_p50": 200 + 10 * answerer.params["second_gap"]}, vectors[answerer.params["second_gap"]]))
    assert fit.fit_second_gap(None, answerer, []) == 2.5
    assert answerer.params["second_gap"] == 2.5 and "candidates" not in answerer.__dict__
    # the same one case short, among cases the two gaps answer differently in many places, is well within the noise
    vectors[2.0] = run(299, lost=20)
    assert fit.fit_second_gap(None, answerer, []) == 2.0
    # ten cases lost and none gained is beyond one standard error; five lost among five gained is within it
    assert fit.within_one_se(run(300), run(300, lost=5)) and not fit.within_one_se(run(300), run(290))
