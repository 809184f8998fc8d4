"""Prefect orchestration of phancong: wiring for tasks, run labels, artifacts, deployments,
the local Prefect server and ``phancong up``. Nothing here builds anything at import time."""
