"""Deliver the outbox until nothing is due: ``python -m phancong.mail.deliver_worker``.

Configured like the rest of phancong (``PHANCONG_DATABASE_URL``, ``PHANCONG_SMTP_*``,
``PHANCONG_MAIL_DIR``). Used by ``phancong mail deliver --all`` and by the crash tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session, sessionmaker

from phancong.mail.deliver import DeliveryReport, deliver
from phancong.mail.transport import Transport


def run(factory: sessionmaker[Session], transport: Transport, *, mail_from: str,
        limit: int = 500, max_attempts: int = 8, until_empty: bool = True,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        echo: Callable[[str], object] = print) -> list[DeliveryReport]:
    """Run delivery batches; with ``until_empty``, until a batch finds nothing to send."""
    reports = []
    while True:
        report = deliver(factory, transport, now=clock(), limit=limit,
                         max_attempts=max_attempts, mail_from=mail_from)
        reports.append(report)
        echo(report.summary())
        if not until_empty or not report.claimed or report.error or not report.sent:
            return reports


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m phancong.mail.deliver_worker",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--limit", type=int, default=500, help="messages per batch")
    parser.add_argument("--max-attempts", type=int, default=8)
    parser.add_argument("--once", action="store_true", help="one batch only")
    args = parser.parse_args(argv)

    from phancong.bootstrap import dispose_all, wired

    wiring = wired()
    try:
        reports = run(wiring.sessions, wiring.transport(), limit=args.limit,
                      max_attempts=args.max_attempts, mail_from=wiring.settings.mail_from,
                      until_empty=not args.once, clock=wiring.clock,
                      echo=lambda line: print(line, flush=True))
    finally:
        dispose_all()
    return 1 if reports and reports[-1].error else 0


if __name__ == "__main__":
    sys.exit(main())
