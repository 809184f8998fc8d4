"""Drafts plans from their text and scores each draft against the plan file written by hand.

    .venv/bin/python scripts/score_draft.py                       # the two shipped plans' seeds
    .venv/bin/python scripts/score_draft.py TEXT PLAN.yaml [TEXT PLAN.yaml …]

Prints, per plan, the share of the hand-written plan's duties that the draft found with the right
citation, lead, supporting set, requested set and cadence (see phancong/authoring/score.py for
how bodies are paired), as a Markdown table. ``--check`` exits 1 below the targets: 90% of
citations, 80% of leads, 70% of supporting and of requested sets.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from phancong.adapters.loader import load, parse
from phancong.authoring.draft_model import draft_yaml
from phancong.authoring.draft_plan import draft
from phancong.authoring.draft_read import read_document
from phancong.authoring.score import MEASURES, score

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
DEFAULT = [
    (SEEDS / "000_7e7d40b05ebb0a3d.txt", ROOT / "responsibilities" / "hanoi-2026-2030.yaml"),
    (SEEDS / "001_c9389132f2adf9db.txt", ROOT / "responsibilities" / "haiduong-787-2021-2025.yaml"),
]
TARGETS = {"citation": 0.90, "lead": 0.80, "supporting": 0.70, "requested": 0.70}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pairs", nargs="*", type=Path, help="TEXT PLAN.yaml pairs")
    parser.add_argument("--check", action="store_true", help="exit 1 below the targets")
    args = parser.parse_args()
    if len(args.pairs) % 2:
        parser.error("give TEXT PLAN.yaml pairs")
    pairs = list(zip(args.pairs[::2], args.pairs[1::2], strict=True)) or DEFAULT
    print("| text | plan | duties | " + " | ".join(MEASURES) + " |")
    print("|---|---|---:|" + "---:|" * len(MEASURES))
    missed = False
    for text, reference in pairs:
        drafted = parse(draft_yaml(draft(read_document(text)), text.name), f"draft of {text.name}")
        result = score(drafted, load(reference))
        cells = [f"{result.hits[m]} ({100 * result.share(m):.1f}%)" for m in MEASURES]
        print(f"| {text.name} | {reference.name} | {result.total} | " + " | ".join(cells) + " |")
        missed |= any(result.share(m) < target for m, target in TARGETS.items())
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
