"""Print the README's *Numbers* table from reports/bench.json, so the README quotes the file as-is.

One row per check that benchmarks/run.py wrote (figure, measured, target, met), sections in the order
issue 13 lists them, then the others; a section that failed shows its error as an unmet row.
`python benchmarks/table.py [reports/bench.json]`
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ORDER = ("scaling", "probing_phase", "fake_capacity", "startup", "report_open", "scrubber", "replay", "proxy",
         "make_test")


def _cell(value: Any) -> str:
    text = "—" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def rows(bench: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    names = [n for n in ORDER if n in bench] + sorted(
        n for n, v in bench.items() if n not in ORDER and isinstance(v, dict) and "checks" in v)
    out: list[tuple[str, str, str, str]] = []
    for name in names:
        sec = bench[name]
        for c in sec.get("checks", []):
            out.append((_cell(c.get("figure")), _cell(c.get("measured")), _cell(c.get("target")),
                        "met" if c.get("met") else "**NOT met**"))
        if "error" in sec and not sec.get("checks"):
            out.append((name, _cell(sec["error"]), "runs", "**NOT met**"))
    return out


def table(bench: dict[str, Any]) -> str:
    lines = ["| figure | measured | target | met |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {t} | {m} |" for a, b, t, m in rows(bench)]
    machine = bench.get("machine", {})
    lines.append("")
    lines.append(f"Measured {bench.get('measured_at', '?')} on {machine.get('cpus', '?')} shared cores, Python "
                 f"{machine.get('python', '?')}, by `{bench.get('command', 'make bench')}`, "
                 f"all figures from one run, written to `reports/bench.json`; load average "
                 f"{bench.get('load_average_at_start', '?')} at the start, {bench.get('load_average_at_end', '?')} "
                 f"at the end ({bench.get('wall_s', '?')} s in all).")
    return "\n".join(lines)


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "reports/bench.json")
    print(table(json.loads(path.read_text(encoding="utf-8"))))
