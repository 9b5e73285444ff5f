"""Fit the grounded answerer's parameters on the tuning set and write `assistant/answer/params.json`.

    python -m evals.fit --store S [--tuning evals/sets/tuning] [--validation evals/sets/validation]

S must hold corpus/ and evals/library/* (see `make fit`). What it fits, all on the tuning set only:
1. a logistic regression over each candidate sentence's features (see `assistant/answer/features.py`);
   a sentence is a positive example when it states a fact the case requires and comes from an expected report;
   and a listwise ranking model whose L2 penalty is chosen by cross-validation with documents held out
   (`--ranking-only` refits this model alone; `--ranking-alone F ...` only the weights of the features F, every
   other ranking weight held as shipped);
2. the decline model and its threshold: the best balanced accuracy that declines at most `--budget` (5%) of the
   answerable tuning questions in all, counting those the answerer's rules decline whatever the model says
   (`decline_cap`; `--decline-threshold-only` refits this threshold alone, `--decline-only` the decline model
   alone, keeping the sentence models);
3. the runner-up ratio (how likely a second sentence of the same report must be, as a share of the best's),
   by tuning-set correctness; and the runner-up gap (how far below the best's ranking score a second sentence may
   be and still be quoted): of the gaps within one standard error of the most correct on the tuning set, the one
   with the shortest answers (`--runner-up-only` refits the gap alone).
Then it prints the validation set's scores and failure categories, never its questions or answers: the
validation set is read as numbers only.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from pathlib import Path

from assistant.answer.features import FEATURE_SIGNS, FEATURES, QUESTION_FEATURES
from assistant.answer.grounded import PARAMS_FILE, GroundedAnswerer, load_params
from assistant.config import Settings
from assistant.query.analysis import analyse
from evals.dataset import Case, load_set
from evals.metrics import find_fact
from evals.runner import evaluate

ROOT = Path(__file__).resolve().parent.parent


def examples(assistant, answerer: GroundedAnswerer, cases: list[Case]):
    """(features, label) per candidate sentence, and per case the candidates' feature rows."""
    rows, labels, per_case, labelled = [], [], [], []
    for case in cases:
        if case.decline_ok:
            continue
        inp = assistant.prepare(case.question, case.history_dicts)
        if not inp["chunks"] or not inp["analysis"].clean:
            continue
        cands = answerer.candidates(inp["analysis"], inp["chunks"], inp["targets"])
        wanted = {s.doc_id for s in case.sources}
        # A sentence is labelled by what choosing it quotes (GroundedAnswerer.expand: a list's announcer brings its
        # items): answering when that holds facts of the case, and as many as any sentence's quote holds, so the
        # announcer of "the three objectives" outranks the item that holds one of them.
        def held(c) -> int:
            """How many of the case's facts choosing `c` quotes (its quote built once, not once per fact)."""
            if not case.answerable or (wanted and c.doc_id not in wanted):
                return 0
            quote = " ".join(x.text for x in answerer.expand(inp["analysis"], c))
            return sum(1 for f in case.positive_facts if find_fact(quote, f))

        found = [held(c) for c in cands]
        most = max(found, default=0)
        case_rows, case_labels = [], []
        for c, n in zip(cands, found):
            hit = n > 0 and n == most
            row = [c.f.get(name, 0.0) for name in FEATURES[1:]]
            rows.append(row)
            labels.append(int(bool(hit)))
            case_rows.append(row)
            case_labels.append(int(bool(hit)))
        per_case.append((case, case_rows))
        labelled.append((case_rows, case_labels, case.sources[0].doc_id if case.sources else case.id))
    return rows, labels, per_case, labelled


def fit(rows, labels, signs=None):
    """Logistic regression, classes balanced (sentences that answer are few), each weight kept to its `signs`
    when given (`signed_logistic`); scikit-learn's otherwise."""
    if signs:
        return signed_logistic(rows, labels, signs, c=1.0)
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)
    model.fit(rows, labels)
    return [float(model.intercept_[0])] + [float(w) for w in model.coef_[0]]


def _bounds(signs) -> list[tuple]:
    """L-BFGS-B bounds that keep each weight's sign (1: not negative, -1: not positive, 0: free)."""
    return [(0, None) if s > 0 else (None, 0) if s < 0 else (None, None) for s in signs]


def fit_ranking(per_case_labelled, l2: float = 1.0, signs=None, fixed: dict[int, float] | None = None) -> list[float]:
    """A conditional logit (listwise) over each question's sentences: it maximises the share of the softmax
    that falls on the sentences that answer, so it learns which sentence of a question is best rather than
    whether any is. scipy's L-BFGS, L2-penalised, each weight kept to its `signs` when given, and the weights
    `fixed` gives (by feature index, without the bias) held at their values; written here because scikit-learn
    has no listwise model."""
    import numpy as np
    from scipy.optimize import minimize

    groups = [(np.asarray(rows, dtype=float), np.asarray(labels, dtype=bool))
              for rows, labels, *_ in per_case_labelled if any(labels) and not all(labels)]
    dim = groups[0][0].shape[1]

    def loss(w):
        total, grad = l2 * w @ w / 2, l2 * w
        for x, y in groups:
            s = x @ w
            s = s - s.max()
            e = np.exp(s)
            p_all, p_pos = e / e.sum(), e * y / (e * y).sum()
            total -= np.log((e * y).sum() / e.sum())
            grad = grad - (p_pos - p_all) @ x
        return total, grad

    bounds = _bounds(signs) if signs else [(None, None)] * dim
    start = np.zeros(dim)
    for i, v in (fixed or {}).items():
        bounds[i], start[i] = (v, v), v
    res = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds)
    return [0.0] + [float(v) for v in res.x]


def choose_l2(labelled, grid=(0.03, 0.1, 0.3, 1.0, 3.0), folds: int = 5, signs=None) -> tuple[float, dict[float, float]]:
    """The ranking model's L2 penalty chosen by cross-validation on the tuning set, folding by document: each
    fold's questions are about reports the model was not fitted on, which is what the sealed set and real
    users ask. The score is the share of held-out questions whose top sentence answers."""
    import numpy as np

    docs = sorted({doc for *_, doc in labelled})
    np.random.RandomState(0).shuffle(docs)
    parts = [set(docs[i::folds]) for i in range(folds)]
    scores = {}
    for l2 in grid:
        hits = total = 0
        for part in parts:
            train = [x for x in labelled if x[2] not in part]
            test = [x for x in labelled if x[2] in part and any(x[1])]
            if not test or not train:
                continue
            w = np.asarray(fit_ranking(train, l2, signs)[1:])
            for rows, labels, _ in test:
                hits += labels[int(np.argmax(np.asarray(rows, dtype=float) @ w))]
                total += 1
        scores[l2] = hits / max(1, total)
    best = max(grid, key=lambda l2: (scores[l2], l2))  # ties go to the stronger penalty
    return best, scores


def _balanced_threshold(answerable: list[float], unanswerable: list[float], budget: float) -> float:
    """The score threshold that best separates answerable from unanswerable questions (balanced accuracy),
    capped so that at most `budget` of the answerable ones fall below it."""
    if not answerable:
        return 0.5
    answerable = sorted(answerable)
    cap = answerable[int(budget * len(answerable))] - 1e-6  # at most `budget` of answerable cases below
    best_t, best_score = cap, -1.0
    for t in sorted(set(answerable + unanswerable)):
        if t > cap:
            break
        declined_ok = sum(1 for p in unanswerable if p < t) / max(1, len(unanswerable))
        answered_ok = sum(1 for p in answerable if p >= t) / len(answerable)
        if declined_ok + answered_ok > best_score:
            best_t, best_score = t, declined_ok + answered_ok
    return max(0.01, best_t)


def signed_logistic(xs, ys, signs: list[int], c: float = 0.5) -> list[float]:
    """A class-balanced, L2-penalised logistic regression whose weights keep the given signs (1: not negative,
    -1: not positive, 0: free): [intercept, weights...]. Written with scipy's bounded L-BFGS because
    scikit-learn's LogisticRegression cannot constrain a coefficient's sign."""
    import numpy as np
    from scipy.optimize import minimize

    x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    balance = np.where(y == 1, len(y) / (2 * max(1.0, y.sum())), len(y) / (2 * max(1.0, (1 - y).sum())))

    def loss(w):
        p = 1 / (1 + np.exp(-np.clip(x @ w[1:] + w[0], -30, 30)))
        nll = -(balance * (y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))).sum()
        r = balance * (p - y)
        return nll + w[1:] @ w[1:] / (2 * c), np.concatenate([[r.sum()], x.T @ r + w[1:] / c])

    bounds = [(None, None)] + _bounds(signs)
    res = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B", bounds=bounds)
    return [float(v) for v in res.x]


def fit_decline(per_case, params: dict, budget: float) -> tuple[dict[str, float], float]:
    """A logistic regression over question-level evidence (`question_features`) telling answerable tuning
    questions from unanswerable ones, and its threshold (`decline_threshold_for`)."""
    from assistant.answer.features import QUESTION_FEATURES, QUESTION_SIGNS

    xs, ys = _decline_examples(per_case, params)
    signs = [QUESTION_SIGNS[n] for n in QUESTION_FEATURES[1:]]
    weights = dict(zip(QUESTION_FEATURES, signed_logistic(xs, ys, signs, c=0.5)))
    return weights, decline_threshold_for(per_case, params, weights, budget)


def decline_threshold_for(per_case, params: dict, weights: dict[str, float], budget: float) -> float:
    """The decline model's threshold with the best balanced accuracy on the tuning questions it scores, declining
    at most `budget` of the answerable ones among them (see `decline_cap` for the budget of every decline)."""
    from assistant.answer.features import QUESTION_FEATURES, probability

    xs, ys = _decline_examples(per_case, params)
    scores = [probability(dict(zip(QUESTION_FEATURES[1:], x)), weights) for x in xs]
    return _balanced_threshold([s for s, y in zip(scores, ys) if y], [s for s, y in zip(scores, ys) if not y], budget)


def decline_cap(assistant, answerer: GroundedAnswerer, cases: list[Case], budget: float) -> tuple[float, int, int]:
    """The highest decline threshold at which at most `budget` of the answerable tuning questions are declined
    in all: by the answerer's rules whatever the model says (a calculation refused, a period or a counted thing
    the quoted passages never name, a name no report uses, ...) and by the model. Found by answering them with the
    model letting every question through (what is declined then, rules decline) and with the model declining
    every question it is asked about (what is declined then besides, the model decides). Returns the cap, how
    many the rules decline and how many answerable questions there are."""
    from assistant.answer.features import probability, question_features

    answerable = [c for c in cases if c.answerable and not c.decline_ok]
    saved = answerer.params.get("decline_threshold")
    try:
        declined = {}
        for t in (0.0, 1.01):  # no probability is below 0 or reaches 1.01
            answerer.params["decline_threshold"] = t
            run = evaluate(answerable, assistant)
            declined[t] = {r.case.id for r in run.results if r.answer.get("declined")}
    finally:
        answerer.params["decline_threshold"] = saved
    ruled = declined[0.0]
    scores = []
    for case in answerable:
        if case.id in declined[1.01] - ruled:  # the model decides this one: its probability, as the answerer has it
            inp = assistant.prepare(case.question, case.history_dicts)
            cands = answerer.candidates(inp["analysis"], inp["chunks"], inp["targets"])
            scores.append(probability(question_features(cands, inp["analysis"]),
                                      answerer.params["decline_weights"]))
    allowed = int(budget * len(answerable)) - len(ruled)
    scores.sort()
    if allowed >= len(scores):
        return 1.0, len(ruled), len(answerable)
    return (scores[max(0, allowed)] if scores else 1.0), len(ruled), len(answerable)


def _decline_examples(per_case, params: dict) -> tuple[list[list[float]], list[int]]:
    """Each tuning question's evidence (`question_features` of its ranked sentences) and whether it is answerable."""
    from assistant.answer.features import QUESTION_FEATURES, Candidate, linear, probability, question_features

    xs, ys = [], []
    for case, case_rows in per_case:
        if "calculation" in case.tags or not case_rows or (case.answerable and not case.positive_facts):
            continue
        cands = []
        for r in case_rows:
            c = Candidate(None, 0, 0, 0, "", dict(zip(FEATURES[1:], r)))
            c.p, c.rank = probability(c.f, params["weights"]), linear(c.f, params["rank_weights"])
            cands.append(c)
        cands.sort(key=lambda c: -c.rank)
        if cands[0].f.get("period_other"):
            continue  # declined by rule whatever the model says (GroundedAnswerer.answerable): nothing to learn
        qf = question_features(cands, analyse(case.question, case.history_dicts))
        xs.append([qf[n] for n in QUESTION_FEATURES[1:]])
        ys.append(int(case.answerable))
    return xs, ys


def threshold_for(per_case, weights: dict[str, float], budget: float) -> float:
    """The threshold that best separates answerable from unanswerable tuning questions (balanced accuracy of
    the best sentence's probability), capped so that at most `budget` of the answerable ones are declined."""
    from assistant.answer.features import probability

    answerable, unanswerable = [], []
    for case, case_rows in per_case:
        if "calculation" in case.tags:
            continue
        ps = [probability(dict(zip(FEATURES[1:], r)), weights) for r in case_rows]
        if case.answerable and case.positive_facts:
            answerable.append(max(ps, default=0.0))
        elif not case.answerable:
            unanswerable.append(max(ps, default=0.0))
    return _balanced_threshold(answerable, unanswerable, budget)


# The runner-up gaps tried, in the ranking model's units: from none (0: only a runner-up that shows the kind of
# answer the best lacks) to past the gap between most questions' first two sentences. A grid, not a tuning: the fit
# picks among them.
GAPS = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 6.0)


def fit_second_gap(assistant, answerer: GroundedAnswerer, cases: list[Case]) -> float:
    """The runner-up gap (`second_gap`) by the one-standard-error rule: of the gaps whose tuning correctness is
    within one standard error of the most correct gap's, the one whose answers are shortest (median characters),
    then the smallest. A wider gap quotes more runner-ups: answers grow longer with every step, while correctness
    moves by a case or two that a different set of questions would not repeat. The standard error is that of the
    paired difference, case by case, from the most correct gap (the same questions answered both ways), so only
    the cases the two gaps answer differently count. The rule is the usual one for choosing among models the data
    cannot tell apart (Hastie, Tibshirani and Friedman, The Elements of Statistical Learning, 7.10). The question's
    sentences are ranked once: only the choice among them changes with the gap."""
    ranked = answerer.candidates
    memo: dict = {}

    def candidates(q, chunks, targets=()):
        key = (q.clean, q.terms, q.context_terms, q.types, tuple(sc.chunk.id for sc in chunks), tuple(targets))
        if key not in memo:
            memo[key] = ranked(q, chunks, targets)
        return memo[key]

    answerer.__dict__["candidates"] = candidates
    try:
        runs = {}
        for gap in GAPS:
            answerer.params["second_gap"] = gap
            runs[gap] = scored(assistant, cases)
            o = runs[gap][0]
            print(f"  second_gap {gap}: tuning correctness {o['correctness']:.3f}, median answer "
                  f"{o.get('answer_chars_p50')} characters", file=sys.stderr)
    finally:
        del answerer.__dict__["candidates"]
    most = max(GAPS, key=lambda g: (runs[g][0]["correctness"], -g))
    near = [g for g in GAPS if within_one_se(runs[most][1], runs[g][1])]
    best = min(near, key=lambda g: (runs[g][0].get("answer_chars_p50") or 0.0, g))
    print(f"  most correct gap {most}; within one standard error: {near}; chosen {best}", file=sys.stderr)
    answerer.params["second_gap"] = best
    return best


def within_one_se(best: list[float], other: list[float]) -> bool:
    """Whether `other`'s mean correctness is within one standard error of `best`'s, the error being that of
    their paired difference: the sample standard deviation of the per-case differences over root n. (One case
    lost and none gained is exactly one standard error: within.)"""
    n = len(best)
    if n < 2:
        return True
    diffs = [a - b for a, b in zip(best, other)]
    mean = sum(diffs) / n
    se = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1) / n)
    return mean <= se + 1e-12


def scored(assistant, cases) -> tuple[dict, list[float]]:
    """The run's overall scores and each case's correctness (1 or 0), in the cases' order."""
    run = evaluate(cases, assistant)
    return run.overall, [float(bool(r.score.correct)) for r in run.results]


def correctness(assistant, cases) -> dict:
    """The run's overall scores."""
    return scored(assistant, cases)[0]


def failure_categories(run) -> Counter:
    """How cases failed, without their text: declined answerable, missed decline, wrong answer, error."""
    out = Counter()
    for r in run.results:
        if r.score.passed:
            continue
        declined = bool(r.answer.get("declined"))
        if r.answer.get("error"):
            out["error"] += 1
        elif r.case.answerable and declined and not r.case.decline_ok:
            out["declined an answerable question"] += 1
        elif not r.case.answerable and not declined:
            out["answered an unanswerable question"] += 1
        elif r.case.answerable and not declined:
            out["answered without the facts" if not r.score.correct else "answered, citation or quote check failed"] += 1
        else:
            out["other"] += 1
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.fit", description=__doc__.split("\n\n")[0])
    p.add_argument("--store", required=True, help="store holding corpus/ and evals/library/*")
    p.add_argument("--tuning", default=str(ROOT / "evals/sets/tuning"))
    p.add_argument("--validation", default=str(ROOT / "evals/sets/validation"))
    p.add_argument("--budget", type=float, default=0.05, help="share of answerable tuning questions that may be declined")
    p.add_argument("--out", default=str(PARAMS_FILE))
    p.add_argument("--signs", choices=("", "ranking", "both"), default="ranking")
    p.add_argument("--rank-l2", type=float, default=None,
                   help="the ranking model's L2 penalty, instead of choosing it by cross-validation")
    p.add_argument("--decline-threshold-only", action="store_true",
                   help="refit only the decline threshold to the budget, keeping every fitted weight")
    p.add_argument("--ranking-only", action="store_true",
                   help="refit only the ranking model (which sentence answers), keeping the sentence probability "
                        "model and the decline model")
    p.add_argument("--ranking-alone", nargs="+", metavar="FEATURE", choices=FEATURES[1:],
                   help="refit only these features' ranking weights, every other ranking weight kept as shipped "
                        "(a feature's own effect, without the churn of refitting every weight)")
    p.add_argument("--decline-only", action="store_true",
                   help="refit only the decline model (its weights and threshold), keeping the sentence models")
    p.add_argument("--runner-up-only", action="store_true",
                   help="refit only the runner-up gap (`second_gap`), keeping every other fitted value")
    args = p.parse_args(argv)

    from assistant.answer.pipeline import Assistant

    assistant = Assistant(Settings.from_env(store_dir=args.store))
    params = dict(load_params())
    answerer = GroundedAnswerer(assistant.embedder, assistant.catalog, params, assistant.settings)
    assistant.__dict__["grounded"] = answerer  # the answerer being fitted answers for the assistant
    tuning = load_set(args.tuning)
    if args.runner_up_only:
        raw = _rewrite(args.out, second_gap=fit_second_gap(assistant, answerer, tuning))
        print(f"wrote {args.out}: second_gap {raw['second_gap']}")
        return _report(assistant, args)
    rows, labels, per_case, labelled = examples(assistant, answerer, tuning)
    if args.decline_threshold_only:
        fitted = decline_threshold_for(per_case, params, params["decline_weights"], args.budget)
        cap, ruled, answerable = decline_cap(assistant, answerer, tuning, args.budget)
        params["decline_threshold"] = min(fitted, cap)
        raw = _rewrite(args.out, decline_threshold=round(params["decline_threshold"], 4))
        print(f"wrote {args.out}: decline_threshold {raw['decline_threshold']} (fitted {fitted:.4f}, capped at "
              f"{cap:.4f}: {ruled} of {answerable} answerable tuning questions declined by rule)")
        return _report(assistant, args)
    if args.decline_only:  # `params` is the answerer's: the cap is worked out with the new decline weights
        params["decline_weights"], params["decline_threshold"] = fit_decline(per_case, params, args.budget)
        cap, _, _ = decline_cap(assistant, answerer, tuning, args.budget)
        params["decline_threshold"] = min(params["decline_threshold"], cap)
        raw = _rewrite(args.out, question_features=list(QUESTION_FEATURES),
                       decline_weights=[round(params["decline_weights"][f], 4) for f in QUESTION_FEATURES],
                       decline_threshold=round(params["decline_threshold"], 4))
        print(f"wrote {args.out}: decline weights and threshold {raw['decline_threshold']}")
        return _report(assistant, args)
    print(f"tuning: {len(tuning)} cases, {len(rows)} sentences, {sum(labels)} answering", file=sys.stderr)
    signs = [FEATURE_SIGNS[name] for name in FEATURES[1:]] if args.signs else None
    if args.ranking_alone:  # the other ranking weights as shipped; one the shipped model lacks is held at 0
        shipped = params.get("rank_weights") or {}
        fixed = {i: shipped.get(name, 0.0) for i, name in enumerate(FEATURES[1:]) if name not in args.ranking_alone}
        l2 = args.rank_l2 if args.rank_l2 is not None else float(params.get("rank_l2", 1.0))
        params["rank_weights"] = dict(zip(FEATURES, fit_ranking(labelled, l2, signs, fixed)))
        _rewrite_ranking(args.out, params)
        print(f"wrote {args.out}: ranking weights of " + ", ".join(
            f"{f} {round(params['rank_weights'][f], 4)}" for f in args.ranking_alone))
        return _report(assistant, args)
    if args.ranking_only:
        params["rank_weights"], params["rank_l2"] = _ranking(labelled, signs, args.rank_l2)
        raw = _rewrite_ranking(args.out, params, rank_l2=params["rank_l2"])
        print(f"wrote {args.out}: ranking weights (L2 {raw['rank_l2']})")
        return _report(assistant, args)
    weights = fit(rows, labels, signs if args.signs == "both" else None)
    params["weights"] = dict(zip(FEATURES, weights))
    params["rank_weights"], params["rank_l2"] = _ranking(labelled, signs, args.rank_l2)
    params["threshold"] = threshold_for(per_case, params["weights"], args.budget)
    params["decline_weights"], params["decline_threshold"] = fit_decline(per_case, params, args.budget)
    cap, _, _ = decline_cap(assistant, answerer, tuning, args.budget)  # the budget is for every decline
    params["decline_threshold"] = min(params["decline_threshold"], cap)
    best_ratio, best_score = params.get("second_ratio", 0.8), -1.0
    for ratio in (1.01, 0.8, 0.5, 0.25, 0.0):  # strictest first: a tie keeps answers shorter
        params["second_ratio"] = ratio
        score = correctness(assistant, tuning)["correctness"]
        print(f"  second_ratio {ratio}: tuning correctness {score:.3f}", file=sys.stderr)
        if score > best_score + 1e-9:
            best_ratio, best_score = ratio, score
    params["second_ratio"] = best_ratio
    fit_second_gap(assistant, answerer, tuning)
    out = {"_comment": "Fitted by `python -m evals.fit` on the tuning set (evals/sets/tuning); do not edit by hand.",
           "features": list(FEATURES), "weights": [round(params["weights"][f], 4) for f in FEATURES],
           "rank_weights": [round(params["rank_weights"][f], 4) for f in FEATURES], "rank_l2": params["rank_l2"],
           "threshold": round(params["threshold"], 4), "second_ratio": best_ratio,
           "second_gap": params["second_gap"], "pool": params["pool"],
           "question_features": list(QUESTION_FEATURES),
           "decline_weights": [round(params["decline_weights"][f], 4) for f in QUESTION_FEATURES],
           "decline_threshold": round(params["decline_threshold"], 4)}
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: threshold {out['threshold']}, second_ratio {best_ratio}")
    return _report(assistant, args)


def _ranking(labelled, signs, l2: float | None) -> tuple[dict[str, float], float]:
    """The ranking model's weights by feature, and its L2 penalty: `l2`, or when None the one document-held-out
    cross-validation on the tuning set chooses."""
    if l2 is None:
        l2, cv = choose_l2(labelled, signs=signs)
        print("  ranking L2 by document-held-out cross-validation: "
              + ", ".join(f"{k}: {v:.3f}" for k, v in cv.items()) + f" -> {l2}", file=sys.stderr)
    return dict(zip(FEATURES, fit_ranking(labelled, l2, signs))), l2


def _rewrite_ranking(out: str, params: dict, **fields) -> dict:
    """The shipped params.json with the ranking weights refitted (and `fields`); a feature the shipped sentence
    model does not know keeps weight 0 there."""
    return _rewrite(out, features=list(FEATURES), weights=[round(params["weights"].get(f, 0.0), 4) for f in FEATURES],
                    rank_weights=[round(params["rank_weights"][f], 4) for f in FEATURES], **fields)


def _rewrite(out: str, **fields) -> dict:
    """The shipped params.json with `fields` replaced, written to `out`; every other fitted value kept."""
    raw = json.loads(PARAMS_FILE.read_text(encoding="utf-8"))
    raw.update(fields)
    Path(out).write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
    return raw


def _report(assistant, args) -> int:
    """The tuning set's scores, and the validation set's scores and failure categories (never its text)."""
    for name, path in (("tuning", args.tuning), ("validation", args.validation)):
        run = evaluate(load_set(path), assistant)
        o = run.overall
        print(f"{name}: correctness {o['correctness']:.3f}  decline_precision {o['decline_precision']}  "
              f"decline_recall {o['decline_recall']}  cases {o['cases']}")
        if name == "validation":
            for cat, n in failure_categories(run).most_common():
                print(f"  {cat}: {n}")
            tags = run.by_tag
            print("  by tag: " + ", ".join(f"{t} {m['correctness']:.2f}" for t, m in sorted(tags.items())
                                           if m.get("correctness") is not None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
