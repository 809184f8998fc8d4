"""``phancong plan …``: validate, show, calendar and coverage of declared plans."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from phancong.adapters.loader import PlanError, directory, load
from phancong.adapters.seed import coverage as seed_coverage
from phancong.adapters.seed import read as read_seed
from phancong.cli._common import default_plan, fail, load_plan
from phancong.domain.calendar import duty_occurrences, holiday_name, period_title
from phancong.domain.horizon import plan_period_words, years_words
from phancong.domain.plan import Plan, Role

plan_app = typer.Typer(
    help="Kế hoạch / declared plans: validate, show, calendar, coverage.", no_args_is_help=True
)

PlanFile = Annotated[Path, typer.Argument(help="Plan file (YAML) in responsibilities/.")]
MARKS = {Role.LEAD: "C", Role.SUPPORT: "P", Role.REQUESTED: "Đ"}


def _width(text: str) -> int:
    return sum(0 if unicodedata.combining(ch) else 1 for ch in unicodedata.normalize("NFC", text))


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(_width(str(c)) for c in col) for col in zip(header, *rows, strict=False)]
    lines = [
        "  ".join(_pad(h, w) for h, w in zip(header, widths, strict=False)),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(_pad(str(c), w) for c, w in zip(row, widths, strict=False)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


@plan_app.command("validate")
def validate(
    files: Annotated[list[Path], typer.Argument(help="Plan files to check.")],
    lang: Annotated[str, typer.Option("--lang", help="vi (default) or en.")] = "vi",
) -> None:
    """Check plan files; print every problem as FILE:LINE: message and exit non-zero."""
    failed = False
    for path in files:
        try:
            plan = load(path)
        except PlanError as exc:
            failed = True
            typer.secho(exc.text(lang), fg=typer.colors.RED, err=True)
            continue
        units = len(directory(plan).all_units())
        typer.echo(
            f"{path}: OK — {len(plan.duties)} duties, {len(plan.agencies)} agencies, "
            f"{units} units after expanding groups"
        )
    if failed:
        raise typer.Exit(2)


def _owner_refs(plan: Plan) -> list[str]:
    seen: dict[str, None] = {}
    for duty in plan.duties:
        for ref in (*duty.lead, *duty.requested, *duty.supporting):
            seen.setdefault(ref, None)
    return list(seen)


def _name(plan: Plan, ref: str, sizes: dict[str, int]) -> str:
    for agency in plan.agencies:
        if agency.id == ref:
            return agency.short or agency.name
    for group in plan.groups:
        if group.id == ref:
            return f"{group.name} ({sizes[ref]})"
    return ref


@plan_app.command("show")
def show(file: PlanFile = default_plan()) -> None:
    """Print the responsibility matrix: owners × duties (C chủ trì, P phối hợp, Đ đề nghị)."""
    plan = load_plan(file)
    d = directory(plan)
    sizes = {g.id: len(d.expand(g.id)) for g in plan.groups}
    header = plan.plan
    typer.echo(
        f"{header.title}\n{header.issuer} · {header.number or 'không số'} · "
        f"{plan_period_words(header.period)}\n"
    )
    typer.echo("Nhiệm vụ / duties:")
    typer.echo(
        table(
            [
                [str(i), duty.id, duty.source, duty.cadence.kind.value, duty.title[:70]]
                for i, duty in enumerate(plan.duties, 1)
            ],
            ["#", "id", "trích dẫn", "chu kỳ", "nhiệm vụ"],
        )
    )
    refs = _owner_refs(plan)
    rows = []
    counts: dict[str, Counter[str]] = {}
    for ref in refs:
        marks = []
        tally: Counter[str] = Counter()
        for duty in plan.duties:
            mark = "·"
            if ref in duty.lead:
                mark = MARKS[duty.owner_role]
            elif ref in duty.requested:
                mark = MARKS[Role.REQUESTED]
            elif ref in duty.supporting:
                mark = MARKS[Role.SUPPORT]
            marks.append(mark)
            if mark != "·":
                tally[mark] += 1
        counts[ref] = tally
        rows.append([_name(plan, ref, sizes)[:34], "".join(marks)])
    typer.echo(
        "\nMa trận / matrix (cột = số thứ tự nhiệm vụ ở trên; C chủ trì, P phối hợp, Đ đề nghị):"
    )
    ruler = "".join(str(i % 10) for i in range(1, len(plan.duties) + 1))
    typer.echo(table(rows, ["đơn vị", ruler]))
    typer.echo("\nSố nhiệm vụ theo đơn vị / duties per owner:")
    typer.echo(
        table(
            [
                [
                    _name(plan, r, sizes)[:50],
                    str(counts[r]["C"]),
                    str(counts[r]["P"]),
                    str(counts[r]["Đ"]),
                    str(sum(counts[r].values())),
                ]
                for r in refs
            ],
            ["đơn vị", "chủ trì", "phối hợp", "đề nghị", "tổng"],
        )
    )


@plan_app.command("calendar")
def calendar(
    file: PlanFile = default_plan(),
    year: Annotated[int, typer.Option(help="Calendar year to list.")] = 2026,
) -> None:
    """Every deadline of YEAR, after the holiday policy (moved dates are marked)."""
    plan = load_plan(file)
    rows = []
    for duty in plan.duties:
        for due in duty_occurrences(plan, duty, until=dt.date(year, 12, 31)):
            if due.effective.year != year:
                continue
            moved = ""
            if due.effective != due.nominal:
                why = holiday_name(due.nominal) or (
                    "thứ Bảy"
                    if due.nominal.weekday() == 5
                    else "Chủ nhật"
                    if due.nominal.weekday() == 6
                    else ""
                )
                moved = f"dời từ {due.nominal:%d/%m} ({why})"
            rows.append(
                (
                    due.effective,
                    duty.source,
                    [
                        f"{due.effective:%d/%m/%Y}",
                        period_title(due.period.label),
                        duty.source,
                        duty.title[:60],
                        moved,
                    ],
                )
            )
    if not rows:
        fail(
            f"no deadline in {year} "
            f"(plan period {years_words(plan.plan.period, 'en')})"
        )
    rows.sort(key=lambda r: (r[0], r[1]))
    typer.echo(table([r[2] for r in rows], ["hạn", "kỳ", "trích dẫn", "nhiệm vụ", "ghi chú"]))
    typer.echo(f"\n{len(rows)} deadlines in {year}.")


@plan_app.command("coverage")
def coverage(
    file: PlanFile, seed: Annotated[Path, typer.Option(help="The source text the plan encodes.")]
) -> None:
    """Which paragraphs of the source text are declared as duties, and which are not."""
    plan = load_plan(file)
    if not seed.exists():
        fail(f"{seed}: file not found", 2)
    result = seed_coverage(
        read_seed(seed), {c for d in plan.duties for c in (d.source, *d.also_cites)}
    )
    cited: dict[str, list[str]] = {}
    for duty in plan.duties:
        for citation in (duty.source, *duty.also_cites):
            cited.setdefault(citation, []).append(duty.id)
    typer.echo(f"Declared ({len(result.declared)}):")
    for p in result.declared:
        typer.echo(f"  ✓ {p.citation:<22} {', '.join(cited.get(p.citation, ['(via its item)']))}")
    typer.echo(f"\nNot declared ({len(result.missing)}):")
    for p in result.missing:
        typer.echo(f"  ✗ {p.citation:<22} line {p.line}: {p.text[:70]}")
    if result.unknown:
        typer.echo(f"\nCited but not found in the text: {', '.join(result.unknown)}")


@plan_app.command("assumptions")
def assumptions(files: Annotated[list[Path], typer.Argument(help="Plan files.")]) -> None:
    """List, as Markdown, every choice a plan file made where its source text is vague:
    group memberships, the reporting calendar and each duty's assumption."""
    for path in files:
        plan = load_plan(path)
        units = directory(plan)
        typer.echo(
            f"#### {plan.plan.title[:90]}{'…' if len(plan.plan.title) > 90 else ''} "
            f"(`{path.name}`)\n"
        )
        if plan.groups:
            typer.echo("Groups and their members:\n")
        for group in plan.groups:
            size = len(units.expand(group.id))
            members = ", ".join(f"`{m}`" for m in group.members)
            if group.wards_of is not None:
                source = f"every commune and ward of province {group.wards_of.province_code}"
                members = f"{source}, {members}" if members else source
            note = f" {group.assumption}" if group.assumption else ""
            typer.echo(f"- `{group.id}` ({size} units: {members}):{note}")
        dated = [a for a in plan.agencies if a.assumption or a.valid_from or a.valid_to]
        if dated:
            typer.echo("\nAgencies that exist for part of the plan:\n")
        for agency in dated:
            span = (f"{agency.valid_from:%d/%m/%Y}" if agency.valid_from else "…") + "–" + (
                f"{agency.valid_to:%d/%m/%Y}" if agency.valid_to else "…")
            after = f", then `{agency.successor}`" if agency.successor else ""
            note = f" {agency.assumption}" if agency.assumption else ""
            typer.echo(f"- `{agency.id}` ({span}{after}):{note}")
        calendar_notes = [e for e in plan.reporting_calendar if e.assumption]
        if calendar_notes:
            typer.echo("\nReporting calendar:\n")
        for entry in calendar_notes:
            typer.echo(f"- `{entry.id}` ({entry.source or 'no citation'}): {entry.assumption}")
        typer.echo("\nDuties:\n")
        for duty in plan.duties:
            if duty.assumption:
                typer.echo(f"- `{duty.id}` ({duty.source}): {duty.assumption}")
        typer.echo("")


def register(app: typer.Typer) -> None:
    app.add_typer(plan_app, name="plan")


# ---- authoring: the plan as a workbook, and a first draft from the plan's text


@plan_app.command("export")
def export(
    file: PlanFile,
    xlsx: Annotated[Path, typer.Option("--xlsx", help="Workbook to write (.xlsx).")],
) -> None:
    """Write the plan as a workbook (Phân công nhiệm vụ, agencies, groups, calendar, ladder)."""
    from phancong.authoring.workbook_export import export_workbook

    plan = load_plan(file)
    export_workbook(plan, xlsx)
    typer.echo(f"{xlsx}: {len(plan.duties)} nhiệm vụ, {len(plan.agencies)} cơ quan, "
               f"{len(plan.groups)} nhóm")


@plan_app.command("import")
def import_(
    book: Annotated[Path, typer.Argument(help="Plan workbook (.xlsx) to read.")],
    out: Annotated[Path, typer.Option("--out", help="Plan file (YAML) to write.")],
    lang: Annotated[str, typer.Option(help="Language of the messages: vi or en.")] = "vi",
) -> None:
    """Read a plan workbook back into a plan file; written only when the whole workbook is valid."""
    from phancong.authoring.plan_yaml import plan_to_yaml, write_atomically
    from phancong.authoring.problems import WorkbookError
    from phancong.authoring.workbook_import import read_workbook

    try:
        plan = read_workbook(book)
    except WorkbookError as exc:
        head = "Không nhập được; chưa ghi gì." if lang == "vi" else "Not imported; nothing written."
        fail(f"{head}\n{exc.report(lang)}", 2)
    write_atomically(out, plan_to_yaml(plan, f"Imported from {book.name}"))
    done = "nhiệm vụ" if lang == "vi" else "duties"
    typer.echo(f"{out}: {len(plan.duties)} {done}")


@plan_app.command("draft")
def draft_(
    document: Annotated[Path, typer.Argument(help="The plan's text: .docx or UTF-8 plain text.")],
    out: Annotated[Path, typer.Option("--out", help="Draft plan file (YAML) to write.")],
) -> None:
    """Write a first draft of a plan from its own text; list what the clerk must still fill in."""
    from phancong.adapters.loader import parse
    from phancong.authoring.draft_model import draft_yaml
    from phancong.authoring.draft_plan import draft
    from phancong.authoring.draft_read import read_document
    from phancong.authoring.plan_yaml import write_atomically

    try:
        paragraphs = read_document(document)
    except FileNotFoundError:
        fail(f"{document}: không tìm thấy tệp", 2)
    except UnicodeDecodeError:
        fail(f"{document}: không phải văn bản UTF-8 hay tệp .docx", 2)
    except Exception as exc:  # python-docx raises several kinds on a broken file
        fail(f"{document}: không đọc được ({exc})", 2)
    result = draft(paragraphs)
    text = draft_yaml(result, document.name)
    write_atomically(out, text)
    duties = result.data["duties"]
    guessed = sum(1 for d in duties if d.get("assumption"))
    typer.echo(f"{out}: {len(duties)} nhiệm vụ, {len(result.data['agencies'])} cơ quan, "
               f"{len(result.data['groups'])} nhóm; {guessed} nhiệm vụ có giả định cần soát lại")
    if result.to_fill:
        typer.echo("Cần điền:")
        for item in result.to_fill:
            typer.echo(f"  - {item}")
    try:
        parse(text, str(out))
    except PlanError as exc:
        fail(f"Bản nháp chưa hợp lệ; cần sửa:\n{exc}", 1)
    typer.echo("Bản nháp hợp lệ (phancong plan validate).")


@plan_app.command("score")
def score_(
    draft_file: Annotated[Path, typer.Argument(help="Draft plan file (YAML).")],
    against: Annotated[Path, typer.Option(help="Plan file written by hand to compare with.")],
) -> None:
    """Share of the reference's duties the draft found with the right citation, roles, cadence."""
    from phancong.authoring.score import score

    result = score(load_plan(draft_file), load_plan(against))
    typer.echo(result.table())
