"""Rate limiter, redirect targets, CSRF masking and the scope rule (no database)."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from phancong.services.errors import Forbidden, NotFound
from phancong.web.authz import Action, Principal, check, in_scope
from phancong.web.links import safe_next
from phancong.web.security import LoginLimiter, _unmask, csrf_token

pytestmark = pytest.mark.unit


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limiter_sliding_window() -> None:
    clock = FakeTime()
    limiter = LoginLimiter(max_failures=5, window=900, clock=clock)
    for _ in range(5):
        assert not limiter.blocked("1.2.3.4", "a@x.vn")
        limiter.failure("1.2.3.4", "A@x.vn")
    assert limiter.blocked("1.2.3.4", "a@x.vn")
    assert not limiter.blocked("5.6.7.8", "a@x.vn")  # per (ip, email)
    assert not limiter.blocked("1.2.3.4", "b@x.vn")
    clock.now += 899
    assert limiter.blocked("1.2.3.4", "a@x.vn")
    clock.now += 2
    assert not limiter.blocked("1.2.3.4", "a@x.vn")


def test_limiter_per_ip_and_success_reset() -> None:
    clock = FakeTime()
    limiter = LoginLimiter(max_failures=5, max_per_ip=8, clock=clock)
    for i in range(8):
        limiter.failure("9.9.9.9", f"user{i}@x.vn")
    assert limiter.blocked("9.9.9.9", "fresh@x.vn")
    limiter = LoginLimiter(max_failures=3, clock=clock)
    limiter.failure("1.1.1.1", "a@x.vn")
    limiter.failure("1.1.1.1", "a@x.vn")
    limiter.success("1.1.1.1", "a@x.vn")
    limiter.failure("1.1.1.1", "a@x.vn")
    assert not limiter.blocked("1.1.1.1", "a@x.vn")


def test_limiter_memory_is_bounded() -> None:
    limiter = LoginLimiter(max_keys=100)
    for i in range(1000):
        limiter.failure(f"10.0.{i // 250}.{i % 250}", "a@x.vn")
    assert len(limiter._failures) <= 100


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/obligations/5", "/obligations/5"),
        ("/matrix?year=2026&lang=en", "/matrix?year=2026&lang=en"),
        ("https://evil.example/", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
        (None, "/"),
        ("/a\nb", "/"),
        ("obligations/5", "/"),
    ],
)
def test_safe_next(value: str | None, expected: str) -> None:
    assert safe_next(value) == expected


def test_csrf_tokens_are_masked_per_page() -> None:
    request = Request({"type": "http", "session": {}, "headers": []})
    first, second = csrf_token(request), csrf_token(request)
    assert first != second
    raw = request.session["c"].encode()
    assert _unmask(first) == raw
    assert _unmask(second) == raw
    assert _unmask("not base64!") is None


AGENCY = Principal(1, "a@x.vn", "A", "agency", "mini", "sgd", "vi")
VIEWER = Principal(2, "v@x.vn", "V", "viewer", "mini", None, "vi")
COORD_ALL = Principal(3, "c@x.vn", "C", "coordinator", None, None, "vi")


def test_scope_rule() -> None:
    assert in_scope(AGENCY, "mini", "sgd")
    assert not in_scope(AGENCY, "mini", "ca")
    assert not in_scope(AGENCY, "other-plan", "sgd")
    assert in_scope(VIEWER, "mini", "ca")
    assert not in_scope(VIEWER, "other-plan", "ca")
    assert in_scope(COORD_ALL, "any-plan", "any-unit")


def test_check_hides_other_units_and_forbids_roles() -> None:
    check(AGENCY, Action.SUBMIT, 1, "mini", "sgd")
    with pytest.raises(NotFound, match="Không có nghĩa vụ số 7"):
        check(AGENCY, Action.VIEW, 7, "mini", "ca")
    with pytest.raises(Forbidden):
        check(AGENCY, Action.ACCEPT, 1, "mini", "sgd")
    for action in (Action.SUBMIT, Action.ACCEPT, Action.RETURN, Action.EXTEND, Action.WAIVE):
        with pytest.raises(Forbidden):
            check(VIEWER, action, 1, "mini", "ca")
    check(COORD_ALL, Action.WAIVE, 1, "mini", "ca")
