"""Cross-reference checks of a parsed plan; each problem carries the path of the offending value."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from phancong.domain.agencies import Dated
from phancong.domain.cadence import CadenceKind
from phancong.domain.calendar import duty_occurrences, inputs_deadline, linked_periods
from phancong.domain.horizon import plan_period_words
from phancong.domain.plan import Plan, Role
from phancong.domain.units import (
    Assignment,
    Directory,
    GroupCycle,
    UnknownReference,
    WardSource,
    WardsProblem,
)

Path = tuple[str | int, ...]

WHAT_VI = {
    "agency/group": "cơ quan/nhóm",
    "duty": "nhiệm vụ",
    "reporting calendar": "lịch báo cáo",
    "indicator": "chỉ tiêu",
}
OFFICE_VI = {"standing_office": "Cơ quan thường trực", "steering_committee": "Ban Chỉ đạo"}


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str  # English
    vi: str | None = None  # Vietnamese (what people read by default); English when missing

    def text(self, lang: str = "vi") -> str:
        return self.vi if lang == "vi" and self.vi else self.message


def check(plan: Plan, wards: WardSource) -> list[Problem]:
    problems: list[Problem] = []

    def add(path: Path, message: str, vi: str | None = None) -> None:
        problems.append(Problem(path, message, vi))

    def duplicates(items: Sequence[tuple[Path, str]], what: str) -> None:
        seen: Counter[str] = Counter()
        for path, ident in items:
            seen[ident] += 1
            if seen[ident] == 2:
                add(path, f"duplicate {what} id '{ident}'", f"trùng mã {WHAT_VI[what]} '{ident}'")

    ids: list[tuple[Path, str]] = [
        (("agencies", i, "id"), a.id) for i, a in enumerate(plan.agencies)
    ]
    ids += [(("groups", i, "id"), g.id) for i, g in enumerate(plan.groups)]
    duplicates(
        ids,
        "agency/group",
    )
    duplicates([(("duties", i, "id"), d.id) for i, d in enumerate(plan.duties)], "duty")
    duplicates(
        [(("reporting_calendar", i, "id"), e.id) for i, e in enumerate(plan.reporting_calendar)],
        "reporting calendar",
    )
    for i, duty in enumerate(plan.duties):
        duplicates(
            [
                (("duties", i, "indicators", j, "id"), ind.id)
                for j, ind in enumerate(duty.indicators)
            ],
            "indicator",
        )

    agency_ids = {a.id for a in plan.agencies}
    directory = Directory(plan, wards)
    for i, agency in enumerate(plan.agencies):
        if agency.parent is not None and agency.parent not in agency_ids:
            add(("agencies", i, "parent"), f"unknown parent agency '{agency.parent}'",
                f"không có cơ quan cấp trên '{agency.parent}' trong danh sách cơ quan")
    for key in ("standing_office", "steering_committee"):
        ref = getattr(plan.plan, key)
        if ref not in agency_ids:
            add(("plan", key), f"{key.replace('_', ' ')} '{ref}' is not a declared agency",
                f"{OFFICE_VI.get(key, key)} '{ref}' không có trong danh sách cơ quan (agencies)")

    problems.extend(_validity_problems(plan, agency_ids, set(directory.groups)))

    for i, group in enumerate(plan.groups):
        for j, member in enumerate(group.members):
            if member not in agency_ids and member not in directory.groups:
                add(("groups", i, "members", j), f"unknown agency or group '{member}'",
                    f"không có cơ quan hoặc nhóm '{member}'")
        try:
            if not directory.expand(group.id):
                add(("groups", i), f"group '{group.id}' expands to no unit",
                    f"nhóm '{group.id}' không gồm đơn vị nào")
        except GroupCycle as cycle:
            add(("groups", i), f"groups contain each other: {cycle}",
                f"các nhóm chứa lẫn nhau: {cycle}")
        except UnknownReference:
            pass  # reported above, member by member
        except WardsProblem as wrong:
            add(("groups", i, "wards_of", "province_code"), wrong.en, wrong.vi)

    duty_ids = {d.id for d in plan.duties}
    for i, duty in enumerate(plan.duties):
        for field in ("lead", "supporting", "requested"):
            for j, ref in enumerate(getattr(duty, field)):
                if ref not in agency_ids and ref not in directory.groups:
                    add(("duties", i, field, j), f"unknown agency or group '{ref}'",
                        f"không có cơ quan hoặc nhóm '{ref}'")
        for j, ref in enumerate(duty.recipients):
            if ref not in agency_ids and ref not in directory.groups:
                add(("duties", i, "recipients", j), f"unknown agency or group '{ref}'",
                    f"không có cơ quan hoặc nhóm '{ref}' (nơi nhận báo cáo)")
        entries = {e.id for e in plan.reporting_calendar}
        for j, entry in enumerate(duty.cadence.entries):
            if entry not in entries:
                add(("duties", i, "cadence", "entries", j), f"unknown reporting entry '{entry}'",
                    f"lịch báo cáo không có kỳ '{entry}'")
        for j, dep in enumerate(duty.depends_on):
            if dep not in duty_ids:
                add(("duties", i, "depends_on", j), f"unknown duty '{dep}' in depends_on",
                    f"depends_on nêu nhiệm vụ '{dep}' không có trong kế hoạch")
            elif dep == duty.id:
                add(("duties", i, "depends_on", j), f"duty '{duty.id}' depends on itself",
                    f"nhiệm vụ '{duty.id}' phụ thuộc chính nó")
            elif plan.duty(dep).on_event:
                add(("duties", i, "depends_on", j),
                    f"'{dep}' is event-triggered (on_event): it has no periods to wait on",
                    f"'{dep}' là nhiệm vụ theo sự việc (on_event): không có kỳ nào để chờ")
        problems.extend(_deadline_problems(plan, i))

    if not problems:
        problems.extend(_owed_by_nobody(plan, directory))
    cycles = _dependency_cycles(plan)
    problems.extend(cycles)
    if not any(p.path[2:3] == ("depends_on",) for p in problems):
        for i in range(len(plan.duties)):
            problems.extend(_unlinked_dependencies(plan, i))
    if not cycles and not any(p.path[2:3] == ("depends_on",) for p in problems):
        for i in range(len(plan.duties)):
            problems.extend(_consolidation_problems(plan, i))
    return problems


def _unlinked_dependencies(plan: Plan, index: int) -> list[Problem]:
    """A dependency must link some period of the duty to some period of its upstream."""
    duty = plan.duties[index]
    if not duty.depends_on or duty.due_after_inputs is not None:
        return []  # a consolidation's inputs are checked per period by _consolidation_problems
    own = [due.period for due in duty_occurrences(plan, duty)]
    found = []
    for j, dependency in enumerate(duty.depends_on):
        upstream = [due.period for due in duty_occurrences(plan, plan.duty(dependency))]
        if any(linked_periods(duty.depends_on_period, p, upstream) for p in own):
            continue
        rule = duty.depends_on_period.value
        found.append(Problem(
            ("duties", index, "depends_on", j),
            f"'{dependency}' links no period of '{duty.id}' under depends_on_period: {rule}"
            " (declare within or latest_before for periods of other lengths)",
            f"'{dependency}' không nối được kỳ nào của '{duty.id}' theo depends_on_period: "
            f"{rule} (khi các kỳ khác độ dài, ghi depends_on_period: within hoặc latest_before)",
        ))
    return found


def _consolidation_problems(plan: Plan, index: int) -> list[Problem]:
    """A consolidation has an input in each of its periods, and falls due after it."""
    duty = plan.duties[index]
    if duty.due_after_inputs is None:
        return []
    for due in duty_occurrences(plan, duty):
        last = inputs_deadline(plan, duty, due.period.label)
        if last is None:
            return [
                Problem(
                    ("duties", index, "depends_on"),
                    f"no input of '{duty.id}' falls in period {due.period.label}: a duty due"
                    " after its inputs needs them in each of its periods",
                    f"kỳ {due.period.label} của '{duty.id}' không có nhiệm vụ đầu vào nào: nhiệm vụ"
                    " tổng hợp cần đầu vào trong mỗi kỳ của nó",
                )
            ]
        if due.effective <= last:  # pragma: no cover - shift_days always moves forward
            return [Problem(("duties", index, "due_after_inputs"), "due before its inputs",
                            "đến hạn trước các nhiệm vụ đầu vào")]
    return []


def _deadline_problems(plan: Plan, index: int) -> list[Problem]:
    duty = plan.duties[index]
    period = plan.plan.period
    where: Path = ("duties", index, "cadence")
    if duty.on_event:
        return []  # no calendar: each event opens its own obligation
    if duty.cadence.kind is CadenceKind.PERIODIC and not plan.reporting_calendar:
        return [
            Problem(where, "a periodic duty needs the plan's reporting_calendar, which is empty",
                    "nhiệm vụ định kỳ cần lịch báo cáo (reporting_calendar) của kế hoạch, "
                    "nhưng lịch đang trống")
        ]
    if duty.cadence.kind is CadenceKind.ONCE:
        assert duty.cadence.due is not None
        if not period.covers(duty.cadence.due):
            return [
                Problem(
                    (*where, "due"),
                    f"deadline {duty.cadence.due:%d/%m/%Y} is outside the plan period "
                    f"{plan_period_words(period, 'en')}",
                    f"hạn {duty.cadence.due:%d/%m/%Y} nằm ngoài thời gian của kế hoạch "
                    f"{plan_period_words(period)}",
                )
            ]
    dues = duty_occurrences(plan, duty)
    if not dues:
        return [Problem(where, "this cadence yields no period inside the plan period",
                        "tần suất này không cho kỳ báo cáo nào trong thời gian của kế hoạch")]
    for due in dues:
        if not period.covers(due.effective):
            return [
                Problem(
                    where,
                    f"the {due.period.label} deadline {due.effective:%d/%m/%Y} is outside the plan"
                    f" period {plan_period_words(period, 'en')}",
                    f"hạn {due.effective:%d/%m/%Y} của kỳ {due.period.label} nằm ngoài thời gian "
                    f"của kế hoạch {plan_period_words(period)}",
                )
            ]
    return []


def _dependency_cycles(plan: Plan) -> list[Problem]:
    graph = {d.id: [x for x in d.depends_on if x != d.id] for d in plan.duties}
    index = {d.id: i for i, d in enumerate(plan.duties)}
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    problems: list[Problem] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in graph.get(node, []):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                problems.append(
                    Problem(
                        ("duties", index[nxt], "depends_on"),
                        "dependency cycle: " + " → ".join(cycle),
                        "phụ thuộc vòng tròn: " + " → ".join(cycle),
                    )
                )
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for duty_id in graph:
        if duty_id not in state:
            visit(duty_id, [duty_id])
    return problems


def _validity_problems(plan: Plan, agency_ids: set[str], group_ids: set[str]) -> list[Problem]:
    """Successors exist and take over without a gap; the standing office and the steering
    committee exist on every day of the plan, through their successors."""
    found: list[Problem] = []
    dated: list[tuple[str, int, Dated]] = [("agencies", i, a) for i, a in enumerate(plan.agencies)]
    dated += [("groups", i, g) for i, g in enumerate(plan.groups)]
    for where, i, item in dated:
        ref = item.successor
        if ref is None:
            continue
        item_id = getattr(item, "id", "")
        if ref not in agency_ids and ref not in group_ids:
            found.append(Problem((where, i, "successor"), f"unknown successor '{ref}'",
                                 f"không có cơ quan hoặc nhóm '{ref}' (đơn vị kế thừa)"))
        elif ref == item_id:
            found.append(Problem((where, i, "successor"), f"'{ref}' succeeds itself",
                                 f"'{ref}' không thể kế thừa chính nó"))
        elif ref in agency_ids:
            after = plan.agency(ref)
            assert item.valid_to is not None  # a successor needs valid_to (model)
            next_day = item.valid_to + dt.timedelta(days=1)
            if not after.valid_on(next_day):
                found.append(Problem(
                    (where, i, "successor"),
                    f"successor '{ref}' does not exist on {next_day:%d/%m/%Y}, the day after"
                    f" '{item_id}' ends (its valid_from/valid_to)",
                    f"đơn vị kế thừa '{ref}' không tồn tại vào ngày {next_day:%d/%m/%Y}, ngày"
                    f" sau khi '{item_id}' kết thúc (xem valid_from/valid_to của nó)",
                ))
    if found:
        return found
    period = plan.plan.period
    for key in ("standing_office", "steering_committee"):
        ref = getattr(plan.plan, key)
        if ref not in agency_ids:
            continue  # reported elsewhere
        days = [period.start] if period.end is None else [period.start, period.end]
        for agency in plan.agencies:
            if (
                agency.valid_to is not None
                and period.start <= agency.valid_to
                and (period.end is None or agency.valid_to < period.end)
            ):
                days.append(agency.valid_to + dt.timedelta(days=1))
        for day in sorted(set(days)):
            acting = plan.office_on(ref, day)
            if acting in agency_ids and not plan.agency(acting).valid_on(day):
                found.append(Problem(
                    ("plan", key),
                    f"{key.replace('_', ' ')} '{ref}' has no agency acting on {day:%d/%m/%Y}:"
                    f" '{acting}' is not valid that day; give it a successor (successor:) or"
                    " dates covering the plan",
                    f"{OFFICE_VI[key]} '{ref}' không có cơ quan đảm nhận vào ngày"
                    f" {day:%d/%m/%Y}: '{acting}' không tồn tại ngày đó; ghi đơn vị kế thừa"
                    " (successor:) hoặc thời gian hiệu lực phủ kế hoạch",
                ))
                break
    return found


def _owed_by_nobody(plan: Plan, directory: Directory) -> list[Problem]:
    """A duty whose owners do not exist on any of its deadlines (their validity, the duty's
    active_from/active_to) would be tracked for nobody."""
    owners: dict[str, list[Assignment]] = {}
    for assignment in directory.assignments():
        if assignment.role is not Role.SUPPORT:
            owners.setdefault(assignment.duty_id, []).append(assignment)
    found = []
    for i, duty in enumerate(plan.duties):
        dues = duty_occurrences(plan, duty)
        if not dues:
            continue  # reported by _deadline_problems
        if any(directory.owing(a, due.effective) for a in owners.get(duty.id, []) for due in dues):
            continue
        found.append(Problem(
            ("duties", i, "lead"),
            f"no owner of '{duty.id}' exists on any of its deadlines (valid_from/valid_to of"
            " its units and groups): it would be owed by nobody",
            f"không đơn vị thực hiện nào của '{duty.id}' còn tồn tại vào hạn nào của nhiệm vụ"
            " (xem valid_from/valid_to của đơn vị, nhóm): nhiệm vụ sẽ không ai phải thực hiện",
        ))
    return found
