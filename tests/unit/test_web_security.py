"""Login back-off policy, client addresses, redirect targets, CSRF masking and the scope rule
(no database)."""

from __future__ import annotations

import ipaddress

import pytest
from starlette.requests import Request

from phancong.domain.access import Action, Principal, in_scope
from phancong.services.access import check
from phancong.services.errors import Forbidden, NotFound
from phancong.services.links import safe_next
from phancong.services.throttle import ACCOUNT, ADDRESS, account_key
from phancong.web.security import _unmask, client_address, csrf_token

pytestmark = pytest.mark.unit


def test_back_off_grows_to_its_cap() -> None:
    waits = [ACCOUNT.wait(n) for n in range(1, 15)]
    assert waits[:4] == [None] * 4  # four failures cost nothing
    assert waits[4:9] == [30.0, 60.0, 120.0, 240.0, 480.0]
    assert waits[-1] == 3600.0  # then one guess an hour at most
    assert ADDRESS.wait(ADDRESS.free - 1) is None
    assert ADDRESS.wait(10_000) == ADDRESS.cap


def test_one_account_checked_fewer_than_20_times_an_hour() -> None:
    """A guesser who tries again the moment each wait ends, from any number of addresses."""
    t, failures, checked = 0.0, 0, 0
    while True:
        failures += 1
        checked += 1
        wait = ACCOUNT.wait(failures)
        t += wait or 0.0
        if t >= 3600:
            break
    assert checked < 20, checked
    assert checked == 11  # 5 at once, then after 30 s, 1.5, 3.5, 7.5, 15.5 and 31.5 min


def test_keys_are_the_same_for_variants_of_an_email() -> None:
    assert account_key(" SGD@Example.Test ") == account_key("sgd@example.test")
    assert account_key("sgd@example.test") != account_key("ca@example.test")


def _request(peer: str, *headers: tuple[str, str]) -> Request:
    return Request(
        {
            "type": "http",
            "client": (peer, 1234),
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
        }
    )


PROXY = (ipaddress.ip_network("10.0.0.2/32"), ipaddress.ip_network("10.1.0.0/24"))


@pytest.mark.parametrize(
    ("peer", "headers", "expected"),
    [
        ("203.0.113.7", (), "203.0.113.7"),  # a direct client
        # a direct client writing proxy headers: not believed, its own address counts
        ("203.0.113.7", (("X-Forwarded-For", "198.51.100.1"),), "203.0.113.7"),
        ("127.0.0.1", (("X-Forwarded-For", "198.51.100.1"),), "127.0.0.1"),
        ("127.0.0.1", (("X-Real-IP", "198.51.100.1"),), "127.0.0.1"),
        # a named proxy: the right-most address it did not add itself
        ("10.0.0.2", (("X-Forwarded-For", "198.51.100.1"),), "198.51.100.1"),
        ("10.0.0.2", (("X-Forwarded-For", "6.6.6.6, 198.51.100.1"),), "198.51.100.1"),
        ("10.0.0.2", (("X-Forwarded-For", "6.6.6.6, 198.51.100.1, 10.1.0.9"),), "198.51.100.1"),
        ("10.0.0.2", (), None),  # the proxy itself without a header: nobody's own address
        ("10.0.0.2", (("X-Forwarded-For", "not-an-address"),), None),
        ("10.0.0.2", (("X-Forwarded-For", "10.1.0.3"),), None),
    ],
)
def test_client_address(peer: str, headers: tuple[tuple[str, str], ...], expected: str) -> None:
    assert client_address(_request(peer, *headers), PROXY) == expected


def test_without_named_proxies_headers_are_never_believed() -> None:
    request = _request("127.0.0.1", ("X-Forwarded-For", "198.51.100.1"))
    assert client_address(request, ()) == "127.0.0.1"


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
