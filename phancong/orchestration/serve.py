"""``python -m phancong.orchestration.serve [--plan FILE]...``: serve the deployments.

Run as its own process by ``phancong up`` (so stopping it is a signal, not a thread), and by
hand on other machines: several may run against one Prefect server (see docs/deployment.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from phancong.settings import DEFAULT_PLAN


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m phancong.orchestration.serve",
                                     description="Serve phancong's Prefect deployments.")
    parser.add_argument("--plan", action="append", type=Path, default=[],
                        help="plan file (repeatable; default: the Hà Nội plan)")
    parser.add_argument("--limit", type=int, default=4, help="concurrent flow runs at most")
    args = parser.parse_args(argv)
    from phancong.orchestration.deployments import serve

    serve(args.plan or [DEFAULT_PLAN], limit=args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
