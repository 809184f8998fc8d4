"""The read model: what people and reports read from the ledger, in one package.

``plans`` (plans, periods, units), ``obligations`` (the one list query and an obligation's
view), ``history`` (an obligation's page: history, blockers, files), ``matrix`` (unit ×
period and fan-out grids), ``rollups`` ('x of N' per duty, per unit, per status, per plan),
``review`` (the review queue and the deadline calendar) and ``late`` (the late list).
Statuses are computed with :mod:`phancong.services.status_sql`; nothing here writes.
"""

from __future__ import annotations

from phancong.services.reads.history import (
    Blocker as Blocker,
)
from phancong.services.reads.history import (
    FileContent as FileContent,
)
from phancong.services.reads.history import (
    FileInfo as FileInfo,
)
from phancong.services.reads.history import (
    History as History,
)
from phancong.services.reads.history import (
    blockers as blockers,
)
from phancong.services.reads.history import (
    closing_and_evidence as closing_and_evidence,
)
from phancong.services.reads.history import (
    file_content as file_content,
)
from phancong.services.reads.history import (
    files_of as files_of,
)
from phancong.services.reads.history import (
    history as history,
)
from phancong.services.reads.late import (
    late_list as late_list,
)
from phancong.services.reads.matrix import (
    DONE as DONE,
)
from phancong.services.reads.matrix import (
    FANOUT_MIN_UNITS as FANOUT_MIN_UNITS,
)
from phancong.services.reads.matrix import (
    LEGEND as LEGEND,
)
from phancong.services.reads.matrix import (
    RANK as RANK,
)
from phancong.services.reads.matrix import (
    STATUS_ORDER as STATUS_ORDER,
)
from phancong.services.reads.matrix import (
    AnySelect as AnySelect,
)
from phancong.services.reads.matrix import (
    Cell as Cell,
)
from phancong.services.reads.matrix import (
    CellCount as CellCount,
)
from phancong.services.reads.matrix import (
    DutyInfo as DutyInfo,
)
from phancong.services.reads.matrix import (
    Fanout as Fanout,
)
from phancong.services.reads.matrix import (
    Matrix as Matrix,
)
from phancong.services.reads.matrix import (
    MatrixRow as MatrixRow,
)
from phancong.services.reads.matrix import (
    cell_counts as cell_counts,
)
from phancong.services.reads.matrix import (
    cell_counts_query as cell_counts_query,
)
from phancong.services.reads.matrix import (
    fanout as fanout,
)
from phancong.services.reads.matrix import (
    matrix as matrix,
)
from phancong.services.reads.matrix import (
    on_behalf_on_time as on_behalf_on_time,
)
from phancong.services.reads.matrix import (
    sorted_statuses as sorted_statuses,
)
from phancong.services.reads.matrix import (
    status_literal as status_literal,
)
from phancong.services.reads.obligations import (
    ObligationView as ObligationView,
)
from phancong.services.reads.obligations import (
    find as find,
)
from phancong.services.reads.obligations import (
    get as get,
)
from phancong.services.reads.obligations import (
    get_many as get_many,
)
from phancong.services.reads.obligations import (
    list_obligations as list_obligations,
)
from phancong.services.reads.obligations import (
    overdue as overdue,
)
from phancong.services.reads.obligations import (
    view_columns as view_columns,
)
from phancong.services.reads.obligations import (
    view_from_row as view_from_row,
)
from phancong.services.reads.plans import (
    PLAN_INFO as PLAN_INFO,
)
from phancong.services.reads.plans import (
    PlanInfo as PlanInfo,
)
from phancong.services.reads.plans import (
    UnitInfo as UnitInfo,
)
from phancong.services.reads.plans import (
    UnitSelect as UnitSelect,
)
from phancong.services.reads.plans import (
    current_period as current_period,
)
from phancong.services.reads.plans import (
    latest_start as latest_start,
)
from phancong.services.reads.plans import (
    period_bounds as period_bounds,
)
from phancong.services.reads.plans import (
    period_key as period_key,
)
from phancong.services.reads.plans import (
    period_year as period_year,
)
from phancong.services.reads.plans import (
    plan_info as plan_info,
)
from phancong.services.reads.plans import (
    plan_periods as plan_periods,
)
from phancong.services.reads.plans import (
    plan_row as plan_row,
)
from phancong.services.reads.plans import (
    plans_for as plans_for,
)
from phancong.services.reads.plans import (
    resolve_plan as resolve_plan,
)
from phancong.services.reads.plans import (
    today as today,
)
from phancong.services.reads.plans import (
    unit_kinds as unit_kinds,
)
from phancong.services.reads.plans import (
    unit_name as unit_name,
)
from phancong.services.reads.plans import (
    unit_name_of_obligation as unit_name_of_obligation,
)
from phancong.services.reads.plans import (
    units_of_plan as units_of_plan,
)
from phancong.services.reads.review import (
    DeadlineGroup as DeadlineGroup,
)
from phancong.services.reads.review import (
    PendingReview as PendingReview,
)
from phancong.services.reads.review import (
    deadline_groups as deadline_groups,
)
from phancong.services.reads.review import (
    pending_count as pending_count,
)
from phancong.services.reads.review import (
    pending_reviews as pending_reviews,
)
from phancong.services.reads.rollups import (
    DutyProgress as DutyProgress,
)
from phancong.services.reads.rollups import (
    DutyRollup as DutyRollup,
)
from phancong.services.reads.rollups import (
    PlanRollup as PlanRollup,
)
from phancong.services.reads.rollups import (
    UnitRollup as UnitRollup,
)
from phancong.services.reads.rollups import (
    duty_progress as duty_progress,
)
from phancong.services.reads.rollups import (
    national_rollup as national_rollup,
)
from phancong.services.reads.rollups import (
    rollup_by_duty as rollup_by_duty,
)
from phancong.services.reads.rollups import (
    rollup_by_unit as rollup_by_unit,
)
from phancong.services.reads.rollups import (
    status_counts as status_counts,
)
