"""``ecowatch cases …``: closed-loop supervision cases (issue 16), thin over :mod:`ecowatch.cases.service`.

The command-line contract of issue 16: ``import``, ``list``, ``show``, ``move``, ``escalate``, ``stats``
(``--json`` prints exactly the contract's JSON); "now" is :func:`ecowatch.clock.now` (``ECOWATCH_NOW``).
Errors exit 2 with one message and write nothing (every write command is one transaction).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ecowatch.cli.common import DbOpt, EcowatchError, JsonOpt, app, console, errors, fail, print_json

cases_app = typer.Typer(
    help="Closed-loop cases 闭环案件: rectification tasks, typical cases, petitions.", no_args_is_help=True
)
app.add_typer(cases_app, name="cases")


@contextmanager
def _session(db: str | None, *, write: bool) -> Iterator[Any]:
    """A session on the store (at the head revision), committed at the end when ``write``;
    errors -> exit 2 (a write that fails is rolled back: nothing written)."""
    from sqlalchemy.exc import SQLAlchemyError

    from ecowatch.cases.errors import CaseImportError
    from ecowatch.store import database_url
    from ecowatch.store.db import SQLITE_IMMEDIATE, session_factory
    from ecowatch.store.migrate import open_engine

    try:
        engine = open_engine(database_url(db))
        try:
            if write:
                factory = session_factory(engine.execution_options(**{SQLITE_IMMEDIATE: True}))
                with factory.begin() as session:
                    yield session
            else:
                with session_factory(engine)() as session:
                    yield session
        finally:
            engine.dispose()
    except CaseImportError:
        raise
    except (EcowatchError, SQLAlchemyError, OSError) as error:
        raise fail(error) from None


def _now() -> Any:
    from ecowatch.clock import now

    try:
        return now()
    except EcowatchError as error:
        raise fail(error) from None


def _jsonable(model: Any) -> Any:
    return model.model_dump(mode="json", by_alias=True)


BatchOpt = Annotated[str | None, typer.Option("--batch", help="Batch code 批次.")]


@cases_app.command("import")
def cases_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="The .xlsx list: first sheet, header 编号, 问题, 区域代码, 责任单位, 配合单位, 责任人, "
            "整改措施, 整改时限, 节点 (or code, title, region, lead_unit, cooperating_units, responsible, "
            "measures, deadline, nodes).",
            dir_okay=False,
        ),
    ],
    batch: Annotated[str, typer.Option("--batch", help="Batch code 批次 (created when new).")],
    kind: Annotated[
        str, typer.Option("--kind", help="rectification, typical, petition, enforcement or alert.")
    ],
    db: DbOpt = None,
) -> None:
    """Import a batch of cases from an Excel list: all of it, or nothing if any row has a problem
    (each one listed with its row and column)."""
    from ecowatch.cases.errors import CaseImportError
    from ecowatch.cases.importer import import_cases
    from ecowatch.store.audit import cli_actor

    try:
        data = file.read_bytes()
    except OSError as error:
        raise fail(OSError(f"{file}: cannot read ({error.strerror})")) from None
    now = _now()
    try:
        with _session(db, write=True) as session:
            added = import_cases(
                session=session,
                data=data,
                source=str(file),
                batch=batch,
                kind=kind,
                actor=cli_actor(),
                now=now,
            )
    except CaseImportError as error:
        # One problem per line, unwrapped, so that the list can be read (and grepped) as it is.
        errors.print(f"error: {error}", soft_wrap=True, highlight=False, markup=False)
        raise typer.Exit(code=2) from None
    console.print(f"imported {len(added)} cases", highlight=False)


@cases_app.command("list")
def cases_list(
    batch: BatchOpt = None,
    region: Annotated[
        str | None, typer.Option("--region", help="GB/T 2260 code: the cases of that region and below.")
    ] = None,
    state: Annotated[
        str | None,
        typer.Option("--state", help="registered, assigned, rectifying, submitted, pre_examined or closed."),
    ] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="The kind of case.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only the overdue cases.")] = False,
    as_json: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """List cases 案件清单 (the overdue ones, most overdue first, with --overdue)."""
    from ecowatch.cases.labels import KIND_NAMES, STATE_NAMES, STEP_NAMES, label
    from ecowatch.cases.service import list_cases

    now = _now()
    with _session(db, write=False) as session:
        page = list_cases(
            session=session, now=now, batch=batch, region=region, state=state, overdue=overdue, kind=kind
        )
    if as_json:
        print_json([_jsonable(item) for item in page.items])
        return
    table = Table(title=f"案件 Cases: {page.total}")
    for header in ("编号 Code", "类型 Kind", "批次 Batch", "状态 State", "区域 Region", "时限 Deadline"):
        table.add_column(header)
    table.add_column("逾期天数 Days overdue", justify="right")
    table.add_column("督办 Escalation")
    for item in page.items:
        table.add_row(
            item.code,
            label(KIND_NAMES, item.kind),
            item.batch,
            label(STATE_NAMES, item.state),
            item.region,
            item.deadline.isoformat(),
            str(item.days_overdue),
            label(STEP_NAMES, item.escalation),
        )
    console.print(table)


@cases_app.command("show")
def cases_show(
    code: Annotated[str, typer.Argument(help="The case's code.")],
    as_json: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Show a case 案件详情: its nodes, escalations and history."""
    from ecowatch.cases.labels import ACTION_NAMES, KIND_NAMES, STATE_NAMES, STEP_NAMES, label
    from ecowatch.cases.service import show_case

    with _session(db, write=False) as session:
        case = show_case(session=session, code=code)
    if as_json:
        print_json(_jsonable(case))
        return
    console.print(
        f"[bold]{case.code}[/] {case.title}\n"
        f"类型 kind: {label(KIND_NAMES, case.kind)}  批次 batch: {case.batch}  区域 region: {case.region}\n"
        f"状态 state: {label(STATE_NAMES, case.state)}  时限 deadline: {case.deadline}",
        highlight=False,
    )
    nodes = Table(title="节点 Nodes")
    for header in ("#", "到期 Due", "任务 Task", "完成 Done"):
        nodes.add_column(header)
    for number, node in enumerate(case.nodes, start=1):
        nodes.add_row(str(number), node.due.isoformat(), node.task, "是 yes" if node.done else "否 no")
    console.print(nodes)
    if case.escalations:
        steps = Table(title="督办 Escalations")
        for header in ("步骤 Step", "节点 Node", "时间 At"):
            steps.add_column(header)
        for step in case.escalations:
            steps.add_row(
                label(STEP_NAMES, step.step),
                "时限 deadline" if step.node is None else str(step.node),
                step.at.isoformat(),
            )
        console.print(steps)
    history = Table(title="记录 History")
    for header in (
        "#",
        "时间 At",
        "用户 User",
        "动作 Action",
        "从 From",
        "到 To",
        "理由 Reason",
        "材料 Evidence",
    ):
        history.add_column(header)
    for entry in case.history:
        history.add_row(
            str(entry.seq),
            entry.at.isoformat(),
            entry.user,
            label(ACTION_NAMES, entry.action),
            label(STATE_NAMES, entry.from_),
            label(STATE_NAMES, entry.to),
            entry.reason or "",
            "\n".join(f"{e.name} {e.sha256[:12]}…" for e in entry.evidence),
        )
    console.print(history)


@cases_app.command("move")
def cases_move(
    code: Annotated[str, typer.Argument(help="The case's code.")],
    action: Annotated[
        str,
        typer.Option("--action", help="assign, start, submit, preexamine, close, return or reopen."),
    ],
    username: Annotated[str, typer.Option("--as", help="The user who makes the move.")],
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why (required for return and reopen).")
    ] = None,
    evidence: Annotated[
        list[Path] | None,
        typer.Option(
            "--evidence",
            help="Evidence files (at least one for submit): --evidence a.jpg b.pdf, or the option repeated.",
        ),
    ] = None,
    more: Annotated[
        list[Path] | None, typer.Argument(hidden=True, help="More evidence files after --evidence.")
    ] = None,
    db: DbOpt = None,
) -> None:
    """Move a case 流转: the workflow checks the user's role and region, the reason and the evidence."""
    from ecowatch.cases.labels import ACTION_NAMES, STATE_NAMES, label
    from ecowatch.cases.service import move_case

    if more and not evidence:
        raise fail(
            ValueError(f"unexpected argument(s) {' '.join(map(str, more))} (evidence goes after --evidence)")
        )
    files: list[tuple[str, bytes]] = []
    for path in [*(evidence or []), *(more or [])]:
        try:
            files.append((path.name, path.read_bytes()))
        except OSError as error:
            raise fail(OSError(f"--evidence {path}: cannot read ({error.strerror})")) from None
    now = _now()
    with _session(db, write=True) as session:
        entry = move_case(
            session=session,
            code=code,
            action=action,
            username=username,
            now=now,
            reason=reason,
            evidence=files,
        )
    console.print(
        f"case {code}: {label(ACTION_NAMES, entry.action)}, {label(STATE_NAMES, entry.from_)} -> "
        f"{label(STATE_NAMES, entry.to)} (entry {entry.seq})",
        highlight=False,
    )


@cases_app.command("node-done")
def cases_node_done(
    code: Annotated[str, typer.Argument(help="The case's code.")],
    node: Annotated[int, typer.Option("--node", help="The node's number within the case (1, 2, ...).")],
    username: Annotated[str, typer.Option("--as", help="The user who marks it done.")],
    db: DbOpt = None,
) -> None:
    """Mark a node 节点 done: the ladder then counts on the next open node."""
    from ecowatch.cases.service import complete_node

    now = _now()
    with _session(db, write=True) as session:
        case = complete_node(session=session, code=code, seq=node, username=username, now=now)
        next_due = case.next_due
    console.print(f"case {code}: node {node} done; next due {next_due}", highlight=False)


@cases_app.command("escalate")
def cases_escalate(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the steps it would record; write nothing.")
    ] = False,
    as_json: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Record the escalation steps 督办 the open cases have reached now, notify (in the platform; by
    e-mail when ECOWATCH_SMTP_HOST is set); a second run at the same time records nothing."""
    from ecowatch.cases import notify
    from ecowatch.cases.labels import STEP_NAMES, label
    from ecowatch.cases.service import escalate

    now = _now()
    try:
        settings = None if dry_run else notify.SmtpSettings.from_environment()
    except EcowatchError as error:
        raise fail(error) from None
    with _session(db, write=not dry_run) as session:
        if dry_run:
            steps = escalate(session=session, now=now, dry_run=True)
        else:
            steps = notify.escalate_and_notify(session=session, now=now)
    if settings is not None and steps:
        _send_emails(db, settings, now)
    if as_json:
        print_json([_jsonable(step.read()) for step in steps])
        return
    title = "将记录的督办 Steps it would record" if dry_run else "已记录的督办 Steps recorded"
    table = Table(title=f"{title}: {len(steps)}")
    for header in ("案件 Case", "节点 Node", "步骤 Step"):
        table.add_column(header)
    table.add_column("逾期天数 Days overdue", justify="right")
    for step in steps:
        table.add_row(
            step.case,
            "时限 deadline" if step.node is None else str(step.node),
            label(STEP_NAMES, step.step),
            str(step.days_overdue),
        )
    console.print(table)


def _send_emails(db: str | None, settings: Any, now: Any) -> None:
    """E-mail the notifications just committed (the outbox); a relay that fails is reported, not fatal:
    the notifications stay in the platform and a later run retries them."""
    from ecowatch.cases import notify
    from ecowatch.store import database_url
    from ecowatch.store.db import session_factory
    from ecowatch.store.migrate import open_engine

    engine = open_engine(database_url(db))
    try:
        run = notify.send_pending_emails(sessions=session_factory(engine), settings=settings, now=now)
    finally:
        engine.dispose()
    if run.error:
        errors.print(f"warning: e-mail: {run.failed} not sent ({run.error})", highlight=False, markup=False)


@cases_app.command("stats")
def cases_stats(
    batch: Annotated[str, typer.Option("--batch", help="Batch code 批次.")],
    by: Annotated[
        str | None, typer.Option("--by", help="An itemised list by region or unit (lead unit).")
    ] = None,
    as_json: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """A batch's statistics 统计: total, closed, on schedule, overdue, closing rate, by state and step;
    with --by, the itemised list per region or lead unit."""
    from ecowatch.cases.labels import STATE_NAMES, STEP_NAMES, label
    from ecowatch.cases.service import batch_stats, itemised

    now = _now()
    with _session(db, write=False) as session:
        if by is not None:
            rows = itemised(session=session, batch=batch, by=by, now=now)
        else:
            stats = batch_stats(session=session, batch=batch, now=now)
    if by is not None:
        if as_json:
            print_json([_jsonable(row) for row in rows])
            return
        table = Table(title=f"批次 Batch {batch}: 按{'区域' if by == 'region' else '责任单位'} by {by}")
        table.add_column("区域/单位 Region/unit")
        for header in (
            "总数 Total",
            "已销号 Closed",
            "按期 On schedule",
            "逾期 Overdue",
            "销号率 Closing rate %",
        ):
            table.add_column(header, justify="right")
        for row in rows:
            table.add_row(
                row.name if row.name == row.group else f"{row.name} {row.group}",
                str(row.total),
                str(row.closed),
                str(row.on_schedule),
                str(row.overdue),
                "" if row.closing_rate_pct is None else f"{row.closing_rate_pct:.1f}",
            )
        console.print(table)
        return
    if as_json:
        print_json(_jsonable(stats))
        return
    rate = "-" if stats.closing_rate_pct is None else f"{stats.closing_rate_pct:.1f}%"
    console.print(
        f"批次 batch {batch}: 总数 total {stats.total}, 已销号 closed {stats.closed}, 按期 on schedule "
        f"{stats.on_schedule}, 逾期 overdue {stats.overdue}, 销号率 closing rate {rate}",
        highlight=False,
    )
    table = Table()
    table.add_column("状态/督办 State/step")
    table.add_column("案件数 Cases", justify="right")
    for state, count in stats.by_state.items():
        table.add_row(label(STATE_NAMES, state), str(count))
    for step, count in stats.by_escalation.items():
        table.add_row(label(STEP_NAMES, step), str(count))
    console.print(table)


@cases_app.command("trend")
def cases_trend(
    batch: Annotated[str, typer.Option("--batch", help="Batch code 批次.")],
    as_json: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """A batch's monthly trend 月度趋势: cases opened, closed and reopened per month (Beijing time)."""
    from ecowatch.cases.service import monthly_trend

    with _session(db, write=False) as session:
        months = monthly_trend(session=session, batch=batch)
    if as_json:
        print_json([_jsonable(month) for month in months])
        return
    table = Table(title=f"批次 Batch {batch}: 月度趋势 monthly trend")
    table.add_column("月份 Month")
    for header in ("新增 Opened", "销号 Closed", "重新整改 Reopened"):
        table.add_column(header, justify="right")
    for month in months:
        table.add_row(month.month, str(month.opened), str(month.closed), str(month.reopened))
    console.print(table)
