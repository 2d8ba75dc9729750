"""Print the README's *Numbers* table from reports/bench.json, so the README quotes the file as-is."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def table(bench: dict[str, Any]) -> str:
    p, r, c = bench["probing_phase"], bench["replay"], bench["fake_capacity"]
    single = p["single_probe_s"]
    rows = [
        ("Probing phase, full matrix, fake + 300 ms per answer",
         f"{p['probing_wall_s']} s for {p['cells']} cells ({p['accounts']} accounts), "
         f"concurrency {p['concurrency']}", ""),
        ("One probe alone (same server, same run)",
         ", ".join(f"{k} {v} s" for k, v in single.items()), ""),
        ("Ratio wall / slowest single probe", f"{p['ratio_wall_to_slowest_single']}",
         f"< {p['target_ratio']}: {'met' if p['target_met'] else 'NOT met'}"),
        ("Ratio wall / REST single probe", f"{p['ratio_wall_to_rest_single']}", "(for reference)"),
        ("One-at-a-time probing, same matrix",
         f"{p['one_at_a_time_wall_s']} s ({p['speedup_vs_one_at_a_time']}x slower)", ""),
        ("Replay per combination", f"{r['replay_per_cell_ms']} ms (fake {r['fake_wall_s']} s vs replay "
         f"{r['replay_wall_s']} s for {r['cells']} cells; overhead {r['replay_overhead_per_cell_ms']} ms)",
         f"< {r['target_ms']} ms: {'met' if r['replay_per_cell_ms'] < r['target_ms'] else 'NOT met'}"),
        ("Fake capacity: concurrent streaming sessions held",
         f"{c['sessions_held_concurrently']} of {c['sessions_attempted']}, {c['failures']} failures", "500"),
        ("Handshake latency p50 / p99", f"{c['handshake_ms']['p50']} / {c['handshake_ms']['p99']} ms",
         f"p99 < {c['targets']['handshake_p99_ms_below']} ms: {'met' if c['met']['handshake_p99'] else 'NOT met'}"),
        ("Fake server memory (RSS) idle / holding",
         f"{c['server_rss_mb']['before']} / {c['server_rss_mb']['holding']} MB "
         f"({c['server_rss_mb']['per_session_kb']} kB per session)", ""),
    ]
    if "make_test" in bench:
        m = bench["make_test"]
        rows.append(("`make test` once installed", f"{m['wall_s']} s ({m['summary']})",
                     f"< {m['target_s']} s: {'met' if m['wall_s'] < m['target_s'] else 'NOT met'}"))
    lines = ["| measure | value | target |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {t} |" for a, b, t in rows]
    machine = bench["machine"]
    lines.append("")
    lines.append(f"Measured {bench['measured_at']} on {machine['cpus']} cores, Python {machine['python']}, "
                 "by `make bench` (all figures from one run; written to `reports/bench.json`).")
    return "\n".join(lines)


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "reports/bench.json")
    print(table(json.loads(path.read_text())))
