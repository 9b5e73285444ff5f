"""The metrics as a Markdown table, one column per run: shared by the runner, the reports and the CLI."""

from __future__ import annotations

from typing import Any

from evals.metrics import HIGHER_IS_BETTER, INFO, METRICS


def _fmt(name: str, value: Any) -> str:
    if value is None:
        return "n/a"
    if name.startswith("latency"):
        return f"{value:.0f} ms"
    return f"{value:.3f}"


def metric_table(columns: dict[str, dict[str, Any]]) -> str:
    """A Markdown table of the summary metrics, one column per run, with the change from first to last."""
    names = list(columns)
    head = "| metric | " + " | ".join(names) + (" | change |" if len(names) > 1 else " |")
    sep = "|---|" + "---:|" * len(names) + ("---:|" if len(names) > 1 else "")
    lines = [head, sep]
    for m in METRICS:
        vals = [columns[n].get(m) for n in names]
        row = f"| {m} | " + " | ".join(_fmt(m, v) for v in vals) + " |"
        if len(names) > 1:
            a, b = vals[0], vals[-1]
            if a is None or b is None:
                change = ""
            else:
                delta = b - a
                if abs(delta) < (0.5 if m.startswith("latency") else 0.0005):
                    delta = 0  # below the shown precision: no change
                better = (delta > 0) == HIGHER_IS_BETTER[m] if delta else None
                sign = "+" if delta > 0 else ""
                change = (f"{sign}{delta:.0f} ms" if m.startswith("latency") else f"{sign}{delta:.3f}") + \
                         {True: " (better)", False: " (worse)", None: ""}[better]
            row += f" {change} |"
        lines.append(row)
    for m in INFO:
        lines.append(f"| {m} | " + " | ".join("n/a" if columns[n].get(m) is None else f"{columns[n][m]:.0f}"
                                              for n in names) + " |" + (" |" if len(names) > 1 else ""))
    lines.append("| cases | " + " | ".join(str(columns[n].get("cases", "")) for n in names) + " |" +
                 (" |" if len(names) > 1 else ""))
    return "\n".join(lines) + "\n"
