"""Prefect tasks: thin wrappers (one I/O step each) around phancong's service functions.

Each task opens its own session from the process's wiring (``phancong.bootstrap.wired``) and hands
back plain values. Tasks that touch the database, the mail server or the file system retry
with exponential backoff; a retried sweep is safe because a sweep is one idempotent
transaction.
"""

from __future__ import annotations

from typing import Any

from prefect.tasks import exponential_backoff

IO_RETRIES: dict[str, Any] = {
    "retries": 3,
    "retry_delay_seconds": exponential_backoff(backoff_factor=2),
    "retry_jitter_factor": 0.5,
}
