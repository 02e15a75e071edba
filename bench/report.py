"""Medians across rounds, ratios against the targets, the printed table and the plot."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import BUSY_CORES, RESULTS, ROOT, median
from bench.measure import busy_note, skewed

# Ratio goals, advisor / stock: (metric key, comparison, bound, description)
TARGETS = [
    ("seq_p50_ms", "<=", 0.35, "p50 latency, sequential"),
    ("conc_msgs_per_s", ">=", 4.0, "msgs/s, concurrent users"),
    ("ready_s", "<=", 0.4, "ready time (Rasa server)"),
    ("rasa_rss_mb", "<=", 0.75, "Rasa server RSS after load"),
]


def collect(rounds: list[dict[str, Any]], bot: str) -> dict[str, float | None]:
    rows = [r[bot] for r in rounds if bot in r]

    def med(get: Callable[[dict], Any]) -> float | None:
        vals = []
        for row in rows:
            try:
                vals.append(get(row))
            except (KeyError, TypeError):
                pass
        value = median(vals)
        return None if value is None else round(value, 2)

    return {
        "ready_s": med(lambda r: r["ready_s"]),
        "actions_ready_s": med(lambda r: r["actions_ready_s"]),
        "total_ready_s": med(lambda r: r.get("total_ready_s", r["ready_s"])),
        "seq_p50_ms": med(lambda r: r["sequential"]["p50_ms"]),
        "seq_p95_ms": med(lambda r: r["sequential"]["p95_ms"]),
        "seq_p99_ms": med(lambda r: r["sequential"]["p99_ms"]),
        "conc_p50_ms": med(lambda r: r["concurrent"]["p50_ms"]),
        "conc_p95_ms": med(lambda r: r["concurrent"]["p95_ms"]),
        "conc_p99_ms": med(lambda r: r["concurrent"]["p99_ms"]),
        "conc_msgs_per_s": med(lambda r: r["concurrent"]["msgs_per_s"]),
        "rss_ready_mb": med(lambda r: r["rss_ready_mb"]),
        "rasa_rss_mb": med(lambda r: r["rasa_rss_mb"]),
        "rasa_pss_mb": med(lambda r: r.get("rasa_pss_mb")),
        "rasa_processes": med(lambda r: r.get("rasa_processes")),
        "action_rss_mb": med(lambda r: r["action_rss_mb"]),
        "errors": sum(
            sum(r[k]["errors"].values())
            for r in rows
            for k in ("sequential", "concurrent")
            if k in r
        ),
        "other_cores_max": max(
            [
                r[k]["cpu"]["other_cores"]
                for r in rows
                for k in ("sequential", "concurrent")
                if k in r and "cpu" in r[k]
            ]
            + [r["ready_cpu"]["other_cores"] for r in rows if "ready_cpu" in r],
            default=None,
        ),
    }


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 3)


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def report(result: dict[str, Any], args) -> str:
    stock, adv = result["summary"].get("stock", {}), result["summary"].get(
        "advisor", {}
    )
    ratios = result["ratios"]
    lines = []
    head = f"{'metric':<38}{'stock':>10}{'advisor':>10}{'adv/stock':>11}  target"
    lines += [head, "-" * len(head)]
    targets = {key: (op, bound) for key, op, bound, _ in TARGETS}
    rows = [
        ("training time (s)", "train_s"),
        ("ready time, Rasa server (s)", "ready_s"),
        ("ready time, action server (s)", "actions_ready_s"),
        ("ready time, all servers in sequence (s)", "total_ready_s"),
        ("(a) sequential p50 (ms)", "seq_p50_ms"),
        ("(a) sequential p95 (ms)", "seq_p95_ms"),
        ("(a) sequential p99 (ms)", "seq_p99_ms"),
        (f"(b) {args.users} users p50 (ms)", "conc_p50_ms"),
        (f"(b) {args.users} users p95 (ms)", "conc_p95_ms"),
        (f"(b) {args.users} users p99 (ms)", "conc_p99_ms"),
        (f"(b) {args.users} users msgs/s", "conc_msgs_per_s"),
        ("Rasa server RSS at ready (MB)", "rss_ready_mb"),
        ("Rasa server RSS after load (MB)", "rasa_rss_mb"),
        ("Rasa server PSS after load (MB)", "rasa_pss_mb"),
        ("Rasa server processes", "rasa_processes"),
        ("action server RSS after load (MB)", "action_rss_mb"),
        ("failed turns", "errors"),
    ]
    for label, key in rows:
        target = ""
        if key in targets:
            op, bound = targets[key]
            status = result["targets"][key]["status"]
            target = f"{op} {bound}x  {status}"
        lines.append(
            f"{label:<38}{fmt(stock.get(key)):>10}{fmt(adv.get(key)):>10}"
            f"{fmt(ratios.get(key), 2):>11}  {target}"
        )
    return "\n".join(lines)


def scaling_report(sc: dict[str, Any]) -> str:
    lines = []
    lc = sc.get("long_conversation")
    if lc:
        lines.append(
            f"advisor, one conversation of {lc['turns']} turns: p50 turns 1-10 "
            f"{lc['p50_first10_ms']} ms, turns {lc['turns'] - 9}-{lc['turns']} "
            f"{lc['p50_last10_ms']} ms (x{lc['growth_last_vs_first']}); RSS "
            f"{lc['rss_before_mb']} -> {lc['rss_after_mb']} MB; tracker events "
            f"{lc['tracker_events']}{busy_note(lc)}"
        )
    if sc.get("users"):
        lines.append(
            f"{'users':>6}{'p50 ms':>10}{'p95 ms':>10}{'msgs/s':>10}"
            f"{'RSS after MB':>14}{'errors':>8}{'other CPU':>11}"
        )
        for row in sc["users"]:
            lines.append(
                f"{row['users']:>6}{fmt(row['p50_ms']):>10}{fmt(row['p95_ms']):>10}"
                f"{fmt(row['msgs_per_s'], 2):>10}{fmt(row['rss_after_mb']):>14}"
                f"{sum(row['errors'].values()):>8}"
                f"{fmt((row.get('cpu') or {}).get('other_cores'), 2):>11}"
                + ("  skewed" if skewed(row) else "")
            )
    return "\n".join(lines)


def plot(sc: dict[str, Any], path: Path) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception as exc:  # matplotlib missing or broken: no plot
        return f"no plot: {exc}"
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    lc = sc.get("long_conversation")
    if lc:
        lat = lc["latencies_ms"]
        left.plot(range(1, len(lat) + 1), lat, ".", alpha=0.5, label="turn")
        window = [
            statistics.median(lat[max(0, i - 4) : i + 5]) for i in range(len(lat))
        ]
        left.plot(range(1, len(lat) + 1), window, "-", label="rolling median (9)")
        left.set_xlabel("turn in one conversation")
        left.set_ylabel("latency (ms)")
        left.set_title(f"advisor: RSS {lc['rss_before_mb']} -> {lc['rss_after_mb']} MB")
        left.legend()
    users = sc.get("users") or []
    if users:
        xs = [u["users"] for u in users]
        right.plot(xs, [u["p50_ms"] for u in users], "o-", color="tab:blue")
        right.set_xlabel("concurrent users")
        right.set_ylabel("p50 latency (ms)", color="tab:blue")
        right.set_xscale("log", base=2)
        twin = right.twinx()
        twin.plot(xs, [u["msgs_per_s"] for u in users], "s--", color="tab:red")
        twin.set_ylabel("messages/s", color="tab:red")
        twin.set_ylim(bottom=0)
        right.set_ylim(bottom=0)
        right.set_title("advisor: users")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return None


def summarize_run(result: dict[str, Any], args) -> None:
    """Summary (medians), ratios and targets, into `result`."""
    for name in ("stock", "advisor"):
        if any(name in r for r in result["rounds"]):
            result["summary"][name] = collect(result["rounds"], name)
    if args.stock_from and "stock" not in result["summary"]:
        prior = json.loads(Path(args.stock_from).read_text())
        result["summary"]["stock"] = prior["summary"]["stock"]
        result["stock_from"] = args.stock_from
    for name, meta in result.get("training", {}).items():
        result["summary"].setdefault(name, {})["train_s"] = meta.get("train_seconds")
    stock, adv = result["summary"].get("stock", {}), result["summary"].get(
        "advisor", {}
    )
    for key in set(stock) | set(adv):
        if key != "errors":
            result["ratios"][key] = ratio(adv.get(key), stock.get(key))
    for key, op, bound, desc in TARGETS:
        value = result["ratios"].get(key)
        ok = (
            None
            if value is None
            else (value <= bound if op == "<=" else value >= bound)
        )
        result["targets"][key] = {
            "description": desc,
            "ratio": value,
            "goal": f"{op} {bound}",
            "status": "n/a" if ok is None else ("met" if ok else "NOT met"),
        }


def print_run(result: dict[str, Any], args, stamp: str, logs: Path) -> None:
    """The table and notes on stdout; the scaling plot next to the JSON."""
    print()
    print(
        f"Benchmark {result['date']}  {result['machine']['cpu_model']}, "
        f"{result['machine']['cores']} cores; Rasa {result['versions']['rasa']}, "
        f"spaCy {result['versions']['spacy']}, TF {result['versions']['tensorflow']}; "
        f"rounds {len(result['rounds'])} (medians)"
    )
    print(report(result, args))
    for name, meta in result.get("training", {}).items():
        how = meta.get("source") or ("cached" if meta.get("cached") else "this run")
        print(
            f"training time, {name}: {meta.get('method', 'n/a')}, measured "
            f"{meta.get('measured_at', 'n/a')} ({how})"
        )
    for name in ("stock", "advisor"):
        rows = [
            r[name]["sequential"]["by_message"]
            for r in result["rounds"]
            if name in r and "sequential" in r[name]
        ]
        if rows:
            slow = list(rows[-1].items())
            print(
                f"{name}, (a) p50 by message, slowest and fastest: "
                + "; ".join(f"{t[:28]!r} {v['p50_ms']}" for t, v in slow[:3])
                + " ... "
                + "; ".join(f"{t[:20]!r} {v['p50_ms']}" for t, v in slow[-2:])
            )
    busy = {
        name: summ.get("other_cores_max")
        for name, summ in result["summary"].items()
        if summ.get("other_cores_max") is not None
    }
    if busy:
        flag = any(v > BUSY_CORES for v in busy.values())
        print(
            "CPU used by other processes during the measurements (max, cores): "
            + ", ".join(f"{k} {v}" for k, v in busy.items())
            + ("  <-- the machine was busy: these figures are skewed" if flag else "")
        )
    if result.get("scaling"):
        print()
        print(scaling_report(result["scaling"]))
        if not args.no_plot:
            png = RESULTS / f"{stamp}.png"
            problem = plot(result["scaling"], png)
            result["scaling"]["plot"] = problem or str(png.relative_to(ROOT))
    if result.get("profile"):
        print()
        for name in ("rasa", "actions"):
            prof = result["profile"].get(name) or {}
            if "categories_pct" in prof:
                print(
                    f"py-spy {name} ({prof['samples']} samples, % of samples): "
                    + ", ".join(f"{k} {v}" for k, v in prof["categories_pct"].items())
                )
            elif prof:
                print(f"py-spy {name}: {prof.get('error')}")
    print(f"\ntotal {result['total_seconds']} s; logs in {logs.relative_to(ROOT)}/")
