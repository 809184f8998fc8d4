"""Vietnamese alphabetical order (pure), for lists of names a person reads.

Code-point order puts "Chương Mỹ" before "Cầu Giấy" (``ầ`` is U+1EA7, after ``h``); a
Vietnamese reader expects the dictionary's order: letters in the alphabet's order
a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y (f, j, w, z, used in foreign names,
in their Latin places), case ignored, numbers by their value, and only between names spelled
with the same letters, the tones in their usual order: none, huyền, hỏi, ngã, sắc, nặng.
"""

from __future__ import annotations

import unicodedata

ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_RANK = {letter: 100 + i for i, letter in enumerate(ALPHABET)}
# marks that make another letter (ă â ê ô ơ ư), composed back with their base
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}
# tone marks in the dictionary's order (none is 0)
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


_NUMBER = 50  # a run of digits: this mark, then its value ("Phường 2" before "Phường 10")


def _rank(char: str) -> int:
    found = _RANK.get(char)
    if found is not None:
        return found
    if char.isspace():
        return 1
    return 1000 + ord(char)  # punctuation and other scripts after the letters, in code order


def _primary(letters: list[str]) -> tuple[int, ...]:
    out: list[int] = []
    digits = ""
    for char in [*letters, ""]:
        if char.isascii() and char.isdigit():
            digits += char
            continue
        if digits:
            out += (_NUMBER, int(digits))
            digits = ""
        if char:
            out.append(_rank(char))
    return tuple(out)


def vietnamese_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...], str]:
    """Sort key: the letters in the alphabet's order, then the tones, then the text itself
    (so that different texts never compare equal)."""
    letters: list[str] = []
    tones: list[int] = []
    for char in unicodedata.normalize("NFD", text.casefold()):
        if char in _LETTER_MARKS and letters:
            letters[-1] = unicodedata.normalize("NFC", letters[-1] + char)
        elif char in _TONES and tones:
            tones[-1] = _TONES[char]
        elif unicodedata.combining(char):
            continue  # another diacritic: ignored for the order
        else:
            letters.append(char)
            tones.append(0)
    return _primary(letters), tuple(tones), text
