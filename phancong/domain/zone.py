"""The time zone people read times in when a plan or the settings name none: Vietnam's.

A plan's ``timezone`` (and ``PHANCONG_TIMEZONE`` for the portal) is what counts; this is only
their default, defined here once.
"""

from __future__ import annotations

DEFAULT_TZ = "Asia/Ho_Chi_Minh"
