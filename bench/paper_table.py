#!/usr/bin/env python3
"""Aggregates `autoopt run` folders (their report/report.json) into three tables:
wall time per stage (per run and mean), the final AutoOPT model's per-size table (mean over runs),
and AutoOPT vs the baselines (overall delay/jitter MAPE per run, mean, and AutoOPT minus each).

usage: bench/paper_table.py RUN [RUN ...]      (python3 standard library only)
"""
import json
import os
import sys


def load(run):
    path = os.path.join(run, "report", "report.json")
    if not os.path.isfile(path):
        sys.exit(f"paper_table.py: {path}: not found (is {run} a finished autoopt run folder?)")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def pct(x):
    return "-" if x is None else f"{100 * x:.2f}"


def overall(method):
    o = method.get("overall")
    if o is None:
        rows = [r for r in method.get("table", []) if r.get("nodes") == 0]
        o = rows[0] if rows else None
    return o


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) >= 2 else 2
    runs = argv[1:]
    reports = [load(r) for r in runs]
    names = [os.path.basename(os.path.normpath(r)) for r in runs]

    # 1. Wall time per stage.
    stages = []
    for rep in reports:
        for s in rep.get("stages", []):
            if s["stage"] not in stages:
                stages.append(s["stage"])
    print("Wall time per stage (s)")
    print(f"{'stage':24}" + "".join(f"{n:>12}" for n in names) + f"{'mean':>12}")
    totals = [0.0] * len(reports)
    for st in stages:
        vals = []
        for i, rep in enumerate(reports):
            v = next((s["seconds"] for s in rep.get("stages", []) if s["stage"] == st), None)
            vals.append(v)
            if v is not None:
                totals[i] += v
        print(f"{st:24}" + "".join(f"{'-' if v is None else f'{v:.1f}':>12}" for v in vals) +
              f"{'-' if mean(vals) is None else f'{mean(vals):.1f}':>12}")
    print(f"{'total':24}" + "".join(f"{t:>12.1f}" for t in totals) + f"{mean(totals):>12.1f}")
    print(f"(evaluation set: {reports[0].get('evaluation_set', '?')})\n")

    # 2. The final AutoOPT model's per-size table, mean over runs.
    print("AutoOPT final model per size (mean over runs): delay MAPE %, jitter MAPE %, loss MAE")
    sizes = {}
    for rep in reports:
        m = rep["methods"][0]
        for r in m["table"]:
            key = r["nodes"]
            sizes.setdefault(key, []).append(r)
    print(f"{'nodes':>8}{'samples':>9}{'delay%':>10}{'jitter%':>10}{'loss MAE':>12}")
    for key in sorted(sizes, key=lambda n: (n == 0, n)):
        rows = sizes[key]
        label = "all" if key == 0 else str(key)
        print(f"{label:>8}{rows[0]['samples']:>9}{pct(mean([r['delay_mape'] for r in rows])):>10}"
              f"{pct(mean([r['jitter_mape'] for r in rows])):>10}"
              f"{mean([r['loss_mae'] for r in rows]):>12.5f}")
    print()

    # 3. AutoOPT vs the baselines.
    methods = []
    for rep in reports:
        for m in rep["methods"]:
            if m["name"] not in methods:
                methods.append(m["name"])
    for metric, label in (("delay_mape", "delay MAPE %"), ("jitter_mape", "jitter MAPE %")):
        print(f"Methods, overall {label}")
        print(f"{'run':16}" + "".join(f"{m:>12}" for m in methods))
        per_method = {m: [] for m in methods}
        for name, rep in zip(names, reports):
            vals = []
            for m in methods:
                mm = next((x for x in rep["methods"] if x["name"] == m), None)
                o = overall(mm) if mm else None
                v = o[metric] if o else None
                vals.append(v)
                per_method[m].append(v)
            print(f"{name:16}" + "".join(f"{pct(v):>12}" for v in vals))
        print(f"{'mean':16}" + "".join(f"{pct(mean(per_method[m])):>12}" for m in methods))
        base = per_method[methods[0]]
        diffs = []
        for m in methods[1:]:
            d = [a - b for a, b in zip(base, per_method[m]) if a is not None and b is not None]
            diffs.append(mean(d))
        print(f"{methods[0] + ' - x':16}{'':>12}" + "".join(f"{pct(d):>12}" for d in diffs))
        wins = [sum(1 for a, b in zip(base, per_method[m]) if a is not None and b is not None and a < b)
                for m in methods[1:]]
        print(f"{'runs better':16}{'':>12}" + "".join(f"{w:>9}/{len(reports):<2}" for w in wins))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
