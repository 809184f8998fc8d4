"""Prefect flows of phancong. Each takes ``plan`` (a plan file or id; the Hà Nội plan by
default) and ``as_of`` (default: now in Asia/Ho_Chi_Minh, resolved once at the start and
passed down), and only sequences tasks from :mod:`tasks`."""

from __future__ import annotations

from typing import Any

from prefect import Flow

from flows.consolidate import consolidate_flow
from flows.deliver import deliver_flow
from flows.digest import digest_flow
from flows.materialize import materialize_flow
from flows.sweep import sweep_flow

ALL: dict[str, Flow[..., Any]] = {
    "materialize": materialize_flow,
    "sweep": sweep_flow,
    "deliver": deliver_flow,
    "digest": digest_flow,
    "consolidate": consolidate_flow,
}

__all__ = ["ALL", "consolidate_flow", "deliver_flow", "digest_flow", "materialize_flow",
           "sweep_flow"]
