"""`python -m benchmarks.run --chunks 1000 10000 [--server] [--out benchmarks/results]`

One store grows through the levels asked for (the 10k-chunk store is the 1k-chunk store plus more
synthetic documents), so each level costs only its own new embeddings. At each level it measures:

- the embedding-only throughput of the model on the stored chunk texts (the ceiling for ingestion),
- ingestion throughput (pages/s, chunks/s) over everything ingested so far, and its ratio to the ceiling,
- `search` and `ask` latency, p50 and p95, over questions about synthetic documents and the real corpus,
- peak memory (this process, and the Chroma server in server mode),
- retrieval quality at scale: the development eval set, with the real corpus mixed into the synthetic
  corpus, against the same set on the real corpus alone (skipped with a note when `evals` is missing).

Each level's results go to OUT/{mode}-{chunks}.json; OUT/RESULTS.md tabulates every JSON file in OUT
against the targets of issue 8. Only the standard library is imported at module level, so
`audit-assistant bench --help` stays instant.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from benchmarks.report import check_targets, render_results

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "benchmarks" / "results"
DEFAULT_SET = ROOT / "evals" / "sets" / "tuning" / "shared_services.jsonl"

MARKER = ".audit-assistant-bench"  # marks a scratch directory the benchmark may empty

# Questions about the real corpus with the figure a right answer states (used for latency and accuracy).
CORPUS_QUESTIONS = [
    ("How much funding did HM Treasury approve for the clusters?", "£300 million"),
    ("How much did the clusters forecast they need to deliver their preferred options?", "£382 million"),
    ("How much had the Cabinet Office spent to date on the Next Generation Shared Services strategy?",
     "£9.8 million"),
    ("What annual savings did the Cabinet Office estimate from the Next Generation Shared Services strategy?",
     "£400 million"),
]


def parse_levels(values: list[str]) -> list[int]:
    """Chunk levels from `1000 10000`, `1k,10k,100k` or a mix, sorted and unique."""
    levels = set()
    for value in values:
        for part in re.split(r"[,\s]+", value.strip()):
            if not part:
                continue
            m = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmM]?)", part)
            if not m:
                raise argparse.ArgumentTypeError(f"{part!r} is not a chunk count (e.g. 1000, 10k, 100k)")
            levels.add(int(float(m.group(1)) * {"": 1, "k": 1000, "m": 1_000_000}[m.group(2).lower()]))
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError("give at least one positive chunk count")
    return sorted(levels)


def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The benchmark's options (shared by `python -m benchmarks.run` and `audit-assistant bench`)."""
    p.add_argument("--chunks", nargs="+", default=["1000"], metavar="N",
                   help="store sizes to measure at, e.g. `--chunks 1000 10000 100000` or `--chunks 1k,10k`")
    p.add_argument("--server", action="store_true",
                   help="start a Chroma server (chroma run) on a free loopback port and use it (server mode)")
    p.add_argument("--chroma-url", metavar="URL", help="use this running Chroma server instead (server mode)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                   help="where the JSON files and RESULTS.md go (default benchmarks/results)")
    p.add_argument("--work", type=Path, metavar="DIR",
                   help="scratch directory for the corpus and store (default OUT/tmp/MODE; emptied first)")
    p.add_argument("--keep", action="store_true", help="keep the scratch directory afterwards")
    p.add_argument("--queries", type=int, default=40, metavar="N",
                   help="questions timed per level for search and for ask (default 40)")
    p.add_argument("--eval-set", type=Path, default=DEFAULT_SET, metavar="FILE",
                   help="development eval set for quality at scale (default evals/sets/tuning/shared_services.jsonl)")
    p.add_argument("--no-eval", action="store_true", help="skip the quality measurement")
    p.add_argument("--batch-docs", type=int, default=40, metavar="N",
                   help="synthetic documents generated and ingested per step (default 40)")
    p.add_argument("--ceiling-every", type=int, default=5, metavar="N",
                   help="re-embed every Nth batch with the model alone to measure the ceiling (default 5)")
    p.add_argument("--seed", type=int, default=0, help="synthetic corpus seed (default 0)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto", help="embedding device")
    p.add_argument("--corpus", type=Path, default=ROOT / "corpus", metavar="DIR",
                   help="the real corpus mixed into the synthetic one (default corpus/)")
    p.add_argument("--render", action="store_true",
                   help="measure nothing: only rewrite OUT/RESULTS.md from the JSON files in OUT")
    p.add_argument("--measure-only", action="store_true",
                   help="ingest nothing: measure latency, memory and quality again on the store a `--keep` run "
                        "left in --work (with --server, through a Chroma server started on that same store); "
                        "ingestion figures are carried over from that run's JSON")
    return p


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    return add_arguments(p)


# -- measuring ---------------------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float | None:
    """The p-th percentile (0-100), linear between ranks (numpy's default)."""
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def _latency(ms: list[float]) -> dict[str, Any]:
    return {"n": len(ms), "p50_ms": _r(percentile(ms, 50)), "p95_ms": _r(percentile(ms, 95)),
            "max_ms": _r(max(ms) if ms else None)}


def _r(x: float | None, nd: int = 1) -> float | None:
    return None if x is None else round(float(x), nd)


def peak_rss_mb() -> float:
    """This process's peak resident memory (ru_maxrss: torch and Chroma's native memory included,
    which tracemalloc cannot see)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def embed_only_seconds(embedder, texts: list[str], batch: int) -> tuple[float, float]:
    """Wall and CPU seconds the model alone takes to embed `texts`, batched as the pipeline batches them."""
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), batch):
        embedder.embed_documents(texts[i:i + batch])
    return time.perf_counter() - start, time.process_time() - cpu


def environment(settings) -> dict[str, Any]:
    """What the numbers were measured on."""
    import chromadb
    import sentence_transformers
    import torch

    from assistant.store.embeddings import resolve_device

    device = resolve_device(settings.device)
    env = {
        "device": device, "device_setting": settings.device,
        "gpu": torch.cuda.get_device_name(0) if device == "cuda" else None,
        "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
        "load_average_1m": _r(os.getloadavg()[0], 2), "python": platform.python_version(),
        "platform": platform.platform(), "torch": torch.__version__, "chromadb": chromadb.__version__,
        "sentence_transformers": sentence_transformers.__version__,
        "embedding_model": settings.embedding_model, "chunk_size": settings.chunk_size,
        "answer_mode": settings.answer_mode,
    }
    try:
        env["git_commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                           text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        env["git_commit"] = None
    return env


class Totals:
    """Ingestion of the synthetic documents so far, and the embedding-only ceiling measured beside it.

    The ceiling is paired, not measured once: right after some batches are ingested, the very texts the
    pipeline embedded are embedded again by the model alone. On a machine whose load changes (ours is
    shared) a ceiling measured minutes apart from the ingestion it is compared with would mislead.
    """

    def __init__(self):
        self.documents = self.pages = self.chunks = 0
        self.seconds = 0.0
        self.cpu_seconds = 0.0
        self.paired_chunks = 0
        self.paired_ingest_s = self.paired_embed_s = self.paired_ingest_cpu = self.paired_embed_cpu = 0.0

    def add(self, report, cpu_seconds: float) -> None:
        ok = report.ok
        self.documents += len(ok)
        self.pages += sum(r.pages for r in ok)
        self.chunks += sum(r.chunks for r in ok)
        self.seconds += report.seconds
        self.cpu_seconds += cpu_seconds

    def pair(self, report, ingest_cpu: float, embed: tuple[float, float]) -> None:
        self.paired_chunks += sum(r.chunks for r in report.ok)
        self.paired_ingest_s += report.seconds
        self.paired_ingest_cpu += ingest_cpu
        self.paired_embed_s += embed[0]
        self.paired_embed_cpu += embed[1]

    def ceiling(self) -> dict[str, Any]:
        rate = self.paired_chunks / self.paired_embed_s if self.paired_embed_s else None
        return {"chunks_per_s": _r(rate, 2), "sample_chunks": self.paired_chunks,
                "seconds": _r(self.paired_embed_s, 2),
                "ingest_chunks_per_s_same_batches": _r(self.paired_chunks / self.paired_ingest_s, 2)
                if self.paired_ingest_s else None}

    def to_dict(self) -> dict[str, Any]:
        rate = self.chunks / self.seconds if self.seconds else None
        ratio = self.paired_embed_s / self.paired_ingest_s if self.paired_ingest_s else None
        cpu_ratio = self.paired_embed_cpu / self.paired_ingest_cpu if self.paired_ingest_cpu else None
        return {"documents": self.documents, "pages": self.pages, "chunks": self.chunks,
                "seconds": _r(self.seconds, 2), "cpu_seconds": _r(self.cpu_seconds, 2),
                "pages_per_s": _r(self.pages / self.seconds, 2) if self.seconds else None,
                "chunks_per_s": _r(rate, 2), "ratio_to_ceiling": _r(ratio, 3),
                "ratio_to_ceiling_cpu": _r(cpu_ratio, 3)}


def quality(assistant, set_path: Path, label: str) -> dict[str, Any]:
    """The eval set's summary metrics for the assistant, or a note saying why it was skipped."""
    try:
        from evals.dataset import load_set
        from evals.runner import evaluate
    except ImportError as exc:
        return {"skipped": f"evals.runner is not available ({exc}); quality at scale not measured"}
    if not set_path.is_file():
        return {"skipped": f"{set_path} does not exist; quality at scale not measured"}
    cases = load_set(set_path)
    start = time.perf_counter()
    run = evaluate(cases, assistant, label=label)
    overall = run.overall
    keep = ("cases", "correctness", "fact_recall", "citation_precision", "citation_recall", "pass_rate",
            "latency_p50_ms", "latency_p95_ms", "errors")
    wrong = {r.case.id: r.score.failures for r in run.results if r.score.correct is False}
    return {**{k: overall.get(k) for k in keep}, "seconds": _r(time.perf_counter() - start, 1), "incorrect": wrong}


def timed_questions(docs: list, n: int, seed: int) -> list[tuple[str, str, str | None]]:
    """n questions: about random ingested synthetic documents, and about the real corpus, alternately."""
    from benchmarks.synth import question_for

    rng = random.Random(seed)
    out = []
    for i in range(n):
        if i % 2 == 0 and docs:
            d = rng.choice(docs)
            q, figure = question_for(d)
            out.append((q, figure, d.doc_id))
        else:
            q, figure = CORPUS_QUESTIONS[(i // 2) % len(CORPUS_QUESTIONS)]
            out.append((q, figure, None))
    return out


def measure_queries(assistant, questions) -> dict[str, Any]:
    """search and ask latency over the questions, and how often ask states the right figure."""
    assistant.search(questions[0][0])  # warm-up, not timed
    assistant.ask(questions[0][0])
    search_ms, ask_ms, parts, right = [], [], {}, 0
    for q, _, _ in questions:
        t = time.perf_counter()
        assistant.search(q)
        search_ms.append((time.perf_counter() - t) * 1000)
    for q, figure, doc_id in questions:
        t = time.perf_counter()
        answer = assistant.ask(q)
        ask_ms.append((time.perf_counter() - t) * 1000)
        for name, ms in answer.timings.items():
            parts.setdefault(name, []).append(ms)
        cited = doc_id is None or any(c.doc_id == doc_id for c in answer.citations)
        right += (figure in answer.text and cited)
    return {"search": _latency(search_ms),
            "ask": {**_latency(ask_ms), "accuracy": _r(right / len(questions), 3),
                    "p50_ms_by_stage": {k: _r(percentile(v, 50)) for k, v in parts.items()}}}


# -- the run -------------------------------------------------------------------------------------

def _log(msg: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Bench:
    """One store growing through the levels: the components, the synthetic documents so far, the totals."""

    def __init__(self, settings, args: argparse.Namespace, log: Callable[[str], None]):
        from assistant.store.catalog import Catalog
        from assistant.store.embeddings import make_embedder
        from assistant.answer.pipeline import Assistant
        from ingest.pipeline import Ingestor

        self.settings, self.args, self.log = settings, args, log
        self.embedder = make_embedder(settings)
        self.ingestor = Ingestor(settings, embedder=self.embedder)
        self.catalog = Catalog(settings.sqlite_path)
        self.assistant = Assistant(settings).warm_up()
        self.totals, self.docs, self.step = Totals(), [], 0
        self.real_chunks = 0
        self.baseline: dict[str, Any] = {}

    def start(self) -> None:
        """Ingest the real corpus and measure quality on it alone (the baseline)."""
        real = self.ingestor.ingest([self.args.corpus], progress=False)
        if real.failed:
            raise SystemExit(f"the real corpus failed to ingest: {[(r.file, r.error) for r in real.failed]}")
        self.real_chunks = self.catalog.chunk_count()
        self.baseline = ({"skipped": "--no-eval"} if self.args.no_eval
                         else quality(self.assistant, self.args.eval_set, "corpus only"))
        self.log(f"real corpus: {self.real_chunks} chunks; baseline correctness {self.baseline.get('correctness')}")

    def grow_to(self, level: int) -> None:
        """Generate and ingest synthetic documents until the store holds `level` chunks."""
        from benchmarks.synth import generate
        from assistant.store.vectors import embedding_text

        batch = max(1, self.settings.embed_batch_size * 4)  # as Ingestor._embed_and_add batches
        while self.catalog.chunk_count() < level:
            folder = self.settings.store_dir.parent / "synth" / f"batch-{self.step:05d}"
            new = generate(folder, self.args.batch_docs, seed=self.args.seed, start=len(self.docs))
            cpu = time.process_time()
            report = self.ingestor.ingest([folder], progress=False)
            cpu = time.process_time() - cpu
            if report.failed:
                raise SystemExit(f"synthetic documents failed: {[(r.file, r.error) for r in report.failed][:3]}")
            self.totals.add(report, cpu)
            if self.step % self.args.ceiling_every == 0 or self.catalog.chunk_count() >= level:
                texts = [embedding_text(c) for d in new for c in self.catalog.iter_chunks(d.doc_id)]
                self.totals.pair(report, cpu, embed_only_seconds(self.embedder, texts, batch))
            self.docs += new
            self.step += 1
            if self.step % 10 == 0:
                self.log(f"  {self.catalog.chunk_count():,} chunks stored, "
                         f"{self.totals.chunks / self.totals.seconds:.1f} chunks/s")

    def measure(self, level: int) -> dict[str, Any]:
        """Latency, quality and memory at the store's current size."""
        chunks = self.catalog.chunk_count()
        queries = measure_queries(self.assistant, timed_questions(self.docs, self.args.queries,
                                                                   self.args.seed + level))
        at_scale = ({"skipped": "--no-eval"} if self.args.no_eval
                    else quality(self.assistant, self.args.eval_set, f"{chunks} chunks"))
        vectors = self.assistant.store.count()
        return {
            "store": {"chunks": chunks, "real_chunks": self.real_chunks, "synthetic_chunks": chunks - self.real_chunks,
                      "documents": len(self.catalog.documents()), "vectors": vectors,
                      "vectors_match_catalog": vectors == chunks},
            "embedding_ceiling": self.totals.ceiling(),
            "ingestion": self.totals.to_dict(),
            "search": queries["search"], "ask": queries["ask"],
            "quality": compare_quality(self.args.eval_set, self.baseline, at_scale),
        }


def compare_quality(set_path: Path, baseline: dict[str, Any], at_scale: dict[str, Any]) -> dict[str, Any]:
    """The quality block: both runs' metrics, the drop in points, and the cases scale broke or fixed."""
    q: dict[str, Any] = {"set": str(set_path.relative_to(ROOT) if set_path.is_relative_to(ROOT) else set_path)}
    if "skipped" in baseline or "skipped" in at_scale:
        q["skipped"] = baseline.get("skipped") or at_scale.get("skipped")
        return q
    q.update(baseline={k: v for k, v in baseline.items() if k != "incorrect"},
             at_scale={k: v for k, v in at_scale.items() if k != "incorrect"})
    if baseline.get("correctness") is not None and at_scale.get("correctness") is not None:
        q["correctness_drop_points"] = _r((baseline["correctness"] - at_scale["correctness"]) * 100, 2)
    # right on the corpus alone, wrong with the synthetic corpus mixed in (and the reverse)
    q["broken_by_scale"] = {i: f for i, f in at_scale["incorrect"].items() if i not in baseline["incorrect"]}
    q["fixed_by_scale"] = sorted(set(baseline["incorrect"]) - set(at_scale["incorrect"]))
    return q


def scratch_dir(args: argparse.Namespace, mode: str) -> Path:
    """The emptied scratch directory; never empties a directory the benchmark did not make."""
    work = Path(args.work) if args.work else Path(args.out) / "tmp" / mode
    if work.exists() and any(work.iterdir()):
        if not (work / MARKER).is_file():
            raise SystemExit(f"error: {work} is not empty and was not made by the benchmark; choose another --work")
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    (work / MARKER).write_text("scratch directory of benchmarks/run.py; emptied by each run\n")
    return work


def run(args: argparse.Namespace, log: Callable[[str], None] = _log) -> list[dict[str, Any]]:
    """Grow one store through the levels and measure at each; returns the per-level results."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    from assistant.config import Settings
    from benchmarks.server import ChromaServer

    levels = args.chunks if all(isinstance(c, int) for c in args.chunks) else parse_levels(args.chunks)
    mode = "server" if (args.server or args.chroma_url) else "embedded"
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    work = scratch_dir(args, mode)
    command = _command(args)
    results = []
    with ExitStack() as stack:
        server, url = None, args.chroma_url
        if args.server and not url:
            server = stack.enter_context(ChromaServer(work / "chroma-server"))
            url = server.url
            log(f"Chroma server at {url}")
        settings = Settings(store_dir=work / "store", chroma_url=url, collection=f"bench-{args.seed}",
                            device=args.device)
        if url:
            _drop_collection(settings)  # the catalog in the scratch directory starts empty: so must the vectors
        env = environment(settings)
        log(f"{mode} mode, levels {levels}, device {env['device']}, {env['cpu_count']} CPUs")
        bench = Bench(settings, args, log)
        bench.start()
        for level in levels:
            bench.grow_to(level)
            log(f"level {level:,}: {bench.catalog.chunk_count():,} chunks; measuring")
            result = {"benchmark": "audit-assistant-scale", "mode": mode, "level": level, "command": command,
                      "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                      "environment": {**env, "load_average_1m": _r(os.getloadavg()[0], 2)},
                      "chroma_url": url, **bench.measure(level)}
            results.append(_finish(result, out_dir, server, env, args, log))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return results


class _Carried:
    """Ingestion totals carried over from the JSON of the run that built a kept store (--measure-only)."""

    def __init__(self, previous: dict[str, Any] | None):
        self.previous = previous or {}

    def ceiling(self) -> dict[str, Any]:
        return self.previous.get("embedding_ceiling") or {"chunks_per_s": None, "note": "not measured"}

    def to_dict(self) -> dict[str, Any]:
        return self.previous.get("ingestion") or {"chunks_per_s": None, "ratio_to_ceiling": None,
                                                  "note": "not measured (--measure-only without the build's JSON)"}


def measure_existing(args: argparse.Namespace, log: Callable[[str], None] = _log) -> list[dict[str, Any]]:
    """--measure-only: latency, memory and quality on the store a `--keep` run left behind, with the code as it
    is now; in server mode a `chroma run` serves that same store. Lets a 100k-chunk store, which takes an hour
    to build on 2 cores, be measured again after a change to retrieval or answering, and in both modes."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    from assistant.config import Settings
    from assistant.answer.pipeline import Assistant
    from benchmarks.server import ChromaServer
    from benchmarks.synth import make_document
    from ingest.pipeline import Ingestor

    levels = args.chunks if all(isinstance(c, int) for c in args.chunks) else parse_levels(args.chunks)
    if len(levels) != 1:
        raise SystemExit("error: --measure-only measures one level: give one --chunks value")
    level = levels[0]
    work = Path(args.work) if args.work else Path(args.out) / "tmp" / "embedded"
    store_dir = work / "store"
    if not (work / MARKER).is_file() or not (store_dir / "catalog.sqlite3").is_file():
        raise SystemExit(f"error: {work} holds no store kept by the benchmark; build one with --keep first")
    if args.chroma_url:
        raise SystemExit("error: --measure-only serves the kept store itself; use --server, not --chroma-url")
    mode = "server" if args.server else "embedded"
    out_dir = Path(args.out)
    previous_path = out_dir / f"embedded-{level}.json"
    previous = json.loads(previous_path.read_text(encoding="utf-8")) if previous_path.is_file() else None
    command = _command(args)
    with ExitStack() as stack:
        server = None
        if args.server:
            server = stack.enter_context(ChromaServer(store_dir / "chroma"))
            log(f"Chroma server at {server.url}, serving {store_dir / 'chroma'}")
        settings = Settings(store_dir=store_dir, chroma_url=server.url if server else None,
                            collection=f"bench-{args.seed}", device=args.device)
        env = environment(settings)
        bench = Bench(settings, args, log)
        chunks = bench.catalog.chunk_count()
        if chunks < level:
            raise SystemExit(f"error: the kept store holds {chunks:,} chunks, fewer than --chunks {level:,}")
        synthetic = sorted(d["doc_id"] for d in bench.catalog.documents() if d["doc_id"].startswith("synth-"))
        bench.docs = [make_document(i, args.seed) for i in range(len(synthetic))]
        bench.real_chunks = chunks - bench.catalog.chunk_count(synthetic)
        bench.totals = _Carried(previous)
        if args.no_eval:
            bench.baseline = {"skipped": "--no-eval"}
        else:  # the corpus alone, in a small store of its own, answered by the same code
            base = Settings(store_dir=work / "baseline-store", device=args.device)
            shutil.rmtree(base.store_dir, ignore_errors=True)
            Ingestor(base, embedder=bench.embedder).ingest([args.corpus], progress=False)
            alone = Assistant(base)
            alone.__dict__["embedder"] = bench.embedder
            bench.baseline = quality(alone, args.eval_set, "corpus only")
            log(f"baseline correctness {bench.baseline.get('correctness')}")
        log(f"{mode} mode, measuring the kept store of {chunks:,} chunks")
        result = {"benchmark": "audit-assistant-scale", "mode": mode, "level": level, "command": command,
                  "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                  "environment": {**env, "load_average_1m": _r(os.getloadavg()[0], 2)},
                  "chroma_url": server.url if server else None, **bench.measure(level),
                  "measured_on_kept_store": _provenance(work, previous_path, previous)}
        results = [_finish(result, out_dir, server, env, args, log,
                           ["Measured with --measure-only on a store kept from an earlier run: ingestion and the "
                            "ceiling are that run's (embedded mode); latency, memory and quality are measured "
                            "now." + (" The Chroma server serves the same store directory." if server else "")])]
    return results


def _provenance(work: Path, path: Path, previous: dict[str, Any] | None) -> dict[str, Any]:
    """Where a --measure-only result's carried figures come from: the run that built the store (followed
    through earlier --measure-only results, which carry them too), and that run's peak memory."""
    kept = (previous or {}).get("measured_on_kept_store")
    if kept:
        return {**kept, "work": str(work)}
    if not previous:
        return {"work": str(work), "ingestion_from": None, "build_total_peak_mb": None}
    return {"work": str(work),
            "ingestion_from": f"{path.name} ({previous.get('created')}, commit "
                              f"{previous.get('environment', {}).get('git_commit')})",
            "build_total_peak_mb": previous.get("memory", {}).get("total_peak_mb")}


def _finish(result: dict[str, Any], out_dir: Path, server, env: dict, args, log,
            extra_notes: list[str] = ()) -> dict[str, Any]:
    """Add memory, notes and targets to a level's result, write its JSON and RESULTS.md, and log it."""
    own_mb, server_mb = peak_rss_mb(), server.peak_rss_mb() if server else None
    result["memory"] = {"peak_rss_mb": _r(own_mb), "server_peak_rss_mb": _r(server_mb),
                        "total_peak_mb": _r(own_mb + (server_mb or 0))}
    if "measured_on_kept_store" in result:  # building the store (the ingestion) used memory too
        result["memory"]["build_total_peak_mb"] = result["measured_on_kept_store"].get("build_total_peak_mb")
    result["notes"] = _notes(result["mode"], env, server, args) + list(extra_notes)
    result["targets"] = check_targets(result)
    path = out_dir / f"{result['mode']}-{result['level']}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out_dir / "RESULTS.md").write_text(render_results(out_dir), encoding="utf-8")
    q = result["quality"]
    log(f"wrote {path}: ingest {result['ingestion'].get('chunks_per_s')} chunks/s "
        f"(ceiling {result['embedding_ceiling'].get('chunks_per_s')}), ask p50 {result['ask']['p50_ms']} ms "
        f"p95 {result['ask']['p95_ms']} ms, peak {result['memory']['total_peak_mb']} MB, correctness "
        f"{q.get('baseline', {}).get('correctness')} -> {q.get('at_scale', {}).get('correctness')}")
    return result


def _drop_collection(settings) -> None:
    from assistant.store.vectors import make_client

    client = make_client(settings)
    if settings.collection in {getattr(c, "name", c) for c in client.list_collections()}:
        client.delete_collection(settings.collection)


def _notes(mode: str, env: dict, server, args) -> list[str]:
    notes = ["Ingestion throughput excludes generating the synthetic files. The ceiling is paired: every "
             f"{args.ceiling_every}th batch (and the last of each level) is embedded again by the model alone right "
             "after it is ingested, and the ratio compares the two times on the same texts.",
             "Peak memory is ru_maxrss of the benchmark process (model, catalog and, in embedded mode, Chroma); "
             "in server mode the Chroma server's VmHWM is added."]
    if env["cpu_count"] and env["cpu_count"] <= 2:
        notes.append("Measured on a 2-core machine shared with other work: throughput and latency vary with its "
                     "load (the 1-minute load average when each level was measured is recorded).")
    if mode == "server" and server is None:
        notes.append("Server mode against an external server: its memory is not measured.")
    return notes


def execute(args: argparse.Namespace) -> int:
    """Run (or only render) with parsed arguments; the exit status. Shared by main() and `audit-assistant bench`."""
    try:
        args.chunks = parse_levels(args.chunks)
    except argparse.ArgumentTypeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    results_md = Path(args.out) / "RESULTS.md"
    if args.render:
        results_md.parent.mkdir(parents=True, exist_ok=True)
        results_md.write_text(render_results(Path(args.out)), encoding="utf-8")
    elif not (measure_existing(args) if args.measure_only else run(args)):
        print("no results")
        return 1
    print(results_md.read_text(encoding="utf-8"))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.invoked_as = ["python", "-m", "benchmarks.run", *(sys.argv[1:] if argv is None else argv)]
    return execute(args)


def _command(args: argparse.Namespace) -> str:
    """The command line that produced a result, for its JSON."""
    words = getattr(args, "invoked_as", None) or ["audit-assistant", "bench", *sys.argv[2:]]
    return " ".join(words)


if __name__ == "__main__":
    sys.exit(main())
