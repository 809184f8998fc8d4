"""How close a draft is to a plan written by hand: the share of the reference's duties found
with the right citation, lead, supporting set, requested set and cadence.

Drafted bodies carry their own ids, so each drafted agency or group is first paired with the
reference's one it names: the same short name, or the most similar name (shared words,
ignoring case and place names, at least half of them); a drafted group whose members pair with
exactly a reference group's members is that group. Ids are never compared: a draft's ids
are its own. A reference duty is *found* when a
drafted duty has its citation; drafted duties are used once each, and when several share a
citation each reference duty takes the remaining one that agrees with it best. A duty not found
counts as wrong on every other measure too: every share is over all the reference's duties.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from phancong.domain.plan import Duty, Plan

MEASURES = ("citation", "lead", "supporting", "requested", "cadence")


@dataclass(frozen=True)
class Score:
    total: int
    hits: dict[str, int]

    def share(self, measure: str) -> float:
        return self.hits[measure] / self.total if self.total else 0.0

    def table(self) -> str:
        rows = [
            f"{m:<11} {self.hits[m]:>3}/{self.total:<3} {100 * self.share(m):5.1f}%"
            for m in MEASURES
        ]
        return "\n".join(rows)


def _words(text: str) -> set[str]:
    text = unicodedata.normalize("NFC", text).casefold()
    text = re.sub(r"\b(?:thành phố|tỉnh|tp|các|của|và)\b", " ", text)
    return set(re.findall(r"\w+", text))


def _labels(plan: Plan) -> dict[str, tuple[str | None, str]]:
    out: dict[str, tuple[str | None, str]] = {a.id: (a.short, a.name) for a in plan.agencies}
    out.update({g.id: (None, g.name) for g in plan.groups})
    return out


def pair_bodies(draft: Plan, reference: Plan) -> dict[str, str]:
    """Drafted agency/group id → the reference's id it names ('(draft) id' when none)."""
    mine, theirs = _labels(draft), _labels(reference)
    place = _words(reference.plan.issuer) - _words("Công an UBND Ủy ban nhân dân")
    pairs: dict[str, str] = {}
    for ident, (short, name) in mine.items():
        by_short = [
            t for t, (s, _) in theirs.items() if short and s and s.casefold() == short.casefold()
        ]
        if by_short:
            pairs[ident] = by_short[0]
            continue
        words = _words(name) - place
        best, best_score = f"(draft) {ident}", 0.5  # never equal to a reference id
        for other, (other_short, other_name) in theirs.items():
            them = _words(other_name) - place
            score = len(words & them) / len(words | them) if words | them else 0.0
            if other_short and other_short.casefold() in (name.casefold(), ident.casefold()):
                score = 1.0
            if score >= best_score and score > 0:
                best, best_score = other, score
        pairs[ident] = best
    # a group is who is in it: a drafted group whose members pair with exactly a reference
    # group's members is that group, whatever either is called
    by_members = {frozenset(g.members): g.id for g in reference.groups if g.members}
    for group in draft.groups:
        members = frozenset(pairs.get(m, f"(draft) {m}") for m in group.members)
        if members and members in by_members:
            pairs[group.id] = by_members[members]
    return pairs


def _agree(a: Duty, b: Duty, pairs: dict[str, str]) -> dict[str, bool]:
    def mapped(refs: tuple[str, ...]) -> set[str]:
        return {pairs.get(r, f"(draft) {r}") for r in refs}

    return {
        "citation": True,
        "lead": mapped(a.lead) == set(b.lead),
        "supporting": mapped(a.supporting) == set(b.supporting),
        "requested": mapped(a.requested) == set(b.requested),
        "cadence": a.cadence.kind == b.cadence.kind,
    }


def score(draft: Plan, reference: Plan) -> Score:
    pairs = pair_bodies(draft, reference)
    hits = dict.fromkeys(MEASURES, 0)
    unused = list(draft.duties)
    for ref in reference.duties:
        candidates = [d for d in unused if d.source == ref.source]
        if not candidates:
            continue
        best = max(candidates, key=lambda d: sum(_agree(d, ref, pairs).values()))
        unused.remove(best)
        for measure, ok in _agree(best, ref, pairs).items():
            hits[measure] += ok
    return Score(len(reference.duties), hits)
