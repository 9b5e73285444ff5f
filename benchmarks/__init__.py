"""Scale benchmarks (issue 8): a deterministic synthetic corpus (`synth`), a Chroma server helper
(`server`), the runner (`run`: `python -m benchmarks.run --chunks 1k 10k`) and its report (`report`)."""

__all__ = ["synth", "server", "run", "report"]
