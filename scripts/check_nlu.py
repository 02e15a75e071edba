"""Fail when the held-out intent F1 (from `rasa test nlu`) is below a minimum.

Usage: python scripts/check_nlu.py results/nlu/intent_report.json --min-f1 0.95
"""

from __future__ import annotations

import argparse
import json
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("report")
    parser.add_argument("--min-f1", type=float, default=0.95)
    args = parser.parse_args()
    with open(args.report, encoding="utf-8") as handle:
        report = json.load(handle)
    weighted = report["weighted avg"]["f1-score"]
    macro = report["macro avg"]["f1-score"]
    worst = sorted(
        (scores["f1-score"], name)
        for name, scores in report.items()
        if isinstance(scores, dict) and "support" in scores and "avg" not in name
    )[:5]
    print(
        f"held-out intent F1: weighted {weighted:.3f}, macro {macro:.3f} "
        f"(minimum {args.min_f1:.2f}); accuracy {report.get('accuracy', 0):.3f}"
    )
    print("weakest intents: " + ", ".join(f"{name} {f1:.2f}" for f1, name in worst))
    if weighted < args.min_f1:
        print("FAIL: held-out intent F1 below the minimum", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
