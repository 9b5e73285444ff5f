"""The benchmark harness end to end at a small size: it grows a real store, writes its JSON and RESULTS.md, and
measures a kept store again (embedded, then through a real Chroma server serving that store). Timings are
recorded, never asserted: the machines are shared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.run import main

LEVEL = 250


@pytest.fixture(scope="module")
def small_set(tmp_path_factory) -> Path:
    """Three cases of the development set, so the quality measurement runs without taking minutes."""
    src = Path(__file__).resolve().parent.parent / "evals" / "sets" / "tuning" / "shared_services.jsonl"
    lines = [line for line in src.read_text(encoding="utf-8").splitlines() if line.strip()]
    path = tmp_path_factory.mktemp("set") / "three.jsonl"
    path.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    return path


@pytest.mark.timeout(900)
def test_grow_measure_and_measure_the_kept_store_again(tmp_path, small_set, capsys):
    out, work = tmp_path / "results", tmp_path / "work"
    common = ["--chunks", str(LEVEL), "--out", str(out), "--work", str(work), "--queries", "4",
              "--eval-set", str(small_set)]
    assert main(common + ["--keep", "--batch-docs", "10"]) == 0
    built = json.loads((out / f"embedded-{LEVEL}.json").read_text(encoding="utf-8"))
    assert built["store"]["chunks"] >= LEVEL and built["store"]["vectors_match_catalog"]
    assert built["ingestion"]["chunks_per_s"] > 0 and built["embedding_ceiling"]["chunks_per_s"] > 0
    assert built["ask"]["n"] == 4 and built["search"]["p50_ms"] > 0
    assert built["quality"]["baseline"]["cases"] == 3 and "correctness_drop_points" in built["quality"]
    assert set(built["targets"]) == {"ingest_ratio", "ask_p50_ms", "ask_p95_ms", "peak_memory_mb",
                                     "correctness_drop_points"}
    assert (work / "store" / "catalog.sqlite3").is_file()  # --keep

    assert main(common + ["--measure-only"]) == 0
    again = json.loads((out / f"embedded-{LEVEL}.json").read_text(encoding="utf-8"))
    assert again["store"]["chunks"] == built["store"]["chunks"]
    assert again["ingestion"] == built["ingestion"]  # carried over from the run that built the store
    assert again["measured_on_kept_store"]["ingestion_from"].startswith(f"embedded-{LEVEL}.json")
    assert again["memory"]["build_total_peak_mb"] == built["memory"]["total_peak_mb"]  # the build's peak counts
    assert again["quality"]["baseline"]["cases"] == 3

    assert main(common + ["--measure-only", "--server", "--no-eval"]) == 0
    served = json.loads((out / f"server-{LEVEL}.json").read_text(encoding="utf-8"))
    assert served["mode"] == "server" and served["chroma_url"].startswith("http://127.0.0.1:")
    assert served["store"]["vectors"] == built["store"]["chunks"]  # the server serves the kept store
    assert served["ask"]["accuracy"] is not None and served["memory"]["server_peak_rss_mb"] > 0
    assert served["measured_on_kept_store"] == {**again["measured_on_kept_store"]}  # provenance carried along
    table = (out / "RESULTS.md").read_text(encoding="utf-8")
    assert f"{built['store']['chunks']:,}" in table
    assert again["command"].startswith("python -m benchmarks.run --chunks 250")
    assert "server" in table and "embedded" in table
    capsys.readouterr()


def test_measure_only_without_a_kept_store_is_one_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="no store kept by the benchmark"):
        main(["--chunks", "100", "--out", str(tmp_path / "r"), "--work", str(tmp_path / "none"), "--measure-only"])
