"""Vietnamese alphabetical order (:mod:`phancong.domain.collation`)."""

from __future__ import annotations

import unicodedata

import pytest

from phancong.domain.collation import vietnamese_key

pytestmark = pytest.mark.unit


def ordered(*names: str) -> list[str]:
    return sorted(names, key=vietnamese_key)


def test_vietnamese_order_c_before_ch() -> None:
    # code-point order gets this wrong: "ầ" (U+1EA7) sorts after "h"
    assert sorted(["UBND Phường Chương Mỹ", "UBND Phường Cầu Giấy"]) == [
        "UBND Phường Chương Mỹ", "UBND Phường Cầu Giấy"]
    assert ordered("UBND Phường Chương Mỹ", "UBND Phường Cầu Giấy") == [
        "UBND Phường Cầu Giấy", "UBND Phường Chương Mỹ"]


def test_vietnamese_order_letters_with_marks_follow_their_base() -> None:
    assert ordered("ư", "u", "ơ", "ô", "o", "đ", "d", "â", "ă", "a", "ê", "e") == [
        "a", "ă", "â", "d", "đ", "e", "ê", "o", "ô", "ơ", "u", "ư"]
    assert ordered("Đống Đa", "Dương Nội", "Định Công") == ["Dương Nội", "Định Công", "Đống Đa"]
    assert ordered("Ba Đình", "Ầu", "An Khánh") == ["An Khánh", "Ầu", "Ba Đình"]


def test_vietnamese_order_tones_only_break_ties() -> None:
    assert ordered("má", "mạ", "mà", "ma", "mã", "mả") == ["ma", "mà", "mả", "mã", "má", "mạ"]
    assert ordered("Hà Nội", "Hải Phòng", "Hà Giang") == ["Hà Giang", "Hà Nội", "Hải Phòng"]


def test_vietnamese_order_ignores_case_and_normal_form_and_reads_numbers() -> None:
    decomposed = unicodedata.normalize("NFD", "Cầu Giấy")
    assert vietnamese_key(decomposed)[:2] == vietnamese_key("cầu giấy")[:2]
    assert ordered("Phường 10", "Phường 2", "Phường 1") == ["Phường 1", "Phường 2", "Phường 10"]
