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


def test_the_decline_threshold_is_set_on_the_calibration_questions_when_given():
    """The decline model is fitted on the tuning questions; with calibration questions (written apart, never
    fitted on) the threshold keeps the false-decline budget on those, where new wording scores lower."""
    from assistant.answer.features import FEATURES
    from evals.dataset import Case
    from evals.fit import fit_decline

    rng = np.random.RandomState(0)
    n = len(FEATURES) - 1

    def questions(count: int, answerable: bool, level: float):
        out = []
        for i in range(count):
            case = Case(id=f"{'a' if answerable else 'u'}{level}-{i}", question="q?", answerable=answerable,
                        facts=[{"term": "x"}] if answerable else [])
            rows = (rng.normal(level, 0.3, size=(5, n))).tolist()
            out.append((case, rows))
        return out

    tuning = questions(60, True, 1.0) + questions(30, False, -1.0)
    calibration = questions(40, True, 0.0) + questions(20, False, -1.0)  # new wording: answerable ones score lower
    params = {"weights": {f: 0.3 for f in FEATURES}, "rank_weights": {f: 0.3 for f in FEATURES}}
    weights, in_sample = fit_decline(tuning, params, budget=0.05)
    same, calibrated = fit_decline(tuning, params, budget=0.05, calibration=calibration)
    assert same == weights  # the model is the tuning set's either way
    assert calibrated < in_sample  # only the threshold moves, down to where new answerable questions sit
