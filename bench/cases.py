"""Benchmark of the cases' overdue list and a batch's statistics through the API (issue 16).

Bar (issue 16, "Must show"): with 100,000 cases and 1,000,000 history entries, the overdue list and the
statistics of a batch answer in under 200 ms (p99) through the API, on SQLite and PostgreSQL.

For each database it builds the store fast, straight into the tables of migration 0011 (executemany on
SQLite, ``COPY`` on PostgreSQL):

- ``--cases`` cases over every county of the GB/T 2260 list, in ``--batches`` batches (the first holds
  half the cases, the worst batch for its statistics), in every state (10 % registered, 10 % assigned,
  40 % rectifying, 10 % submitted, 5 % pre-examined, 25 % closed), deadlines from 150 days before "now"
  to 240 days after, two nodes each, ``next_due`` and the escalation steps the default ladder has reached
  (and the highest kept on the case) as the service keeps them;
- ``--history`` history entries in all, as the workflow makes them (assign, start, submit and return
  cycles, pre-examination, closing), hash-chained per case as the service chains them, so
  ``ecowatch audit verify`` holds on the bench store too (entries carry no evidence files);

then starts the real API server in a subprocess (uvicorn, as ``bench/api.py``) with "now" fixed by
``ECOWATCH_NOW`` (:data:`NOW`), signs in an admin and a province user, and sends each request
``--repeat`` times one after the other: the overdue list (first page of 100, all batches and the largest
batch) and the largest batch's statistics. The first request of each after the server started is
counted in the percentiles and shown on its own ("first"). p50/p95/p99 are over those requests.

PostgreSQL is used when ``--postgres`` or ``ECOWATCH_TEST_POSTGRES_URL`` names a database; the run makes
a schema of its own there and drops it afterwards (``--keep`` keeps it, and the SQLite file). After the
load PostgreSQL is ANALYZEd (as its autovacuum would), and the cases' table on both as ``serve`` does at
start (:func:`ecowatch.jobs.refresh_case_statistics`).
Figures from a shared machine are indicative only.

    .venv/bin/python bench/cases.py [--cases 100000] [--history 1000000] [--repeat 300]
                                    [--sqlite-only | --postgres URL] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from rich.console import Console
from rich.table import Table
from sqlalchemy import Table as SqlTable
from sqlalchemy import select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api import start_server
from ecowatch.cases.audit import GENESIS, entry_hash
from ecowatch.cases.escalation import DEFAULT_LADDER
from ecowatch.cases.models import DEADLINE_NODE, Case, CaseBatch, CaseEscalation, CaseHistory, CaseNode
from ecowatch.cases.workflow import Action, CaseState, Move
from ecowatch.clock import BEIJING
from ecowatch.jobs import refresh_case_statistics
from ecowatch.store import make_engine, migrate, session_factory
from ecowatch.store.db import normalise_url
from ecowatch.store.models import Region, table_of
from ecowatch.store.users import create_user

#: "Now" of the bench store and of the server (``ECOWATCH_NOW``).
NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=BEIJING)
TODAY = NOW.date()
PASSWORD = "bench-cases-password"
ADMIN, PROVINCE, PROVINCE_REGION = "bench-admin", "bench-province", "440000"  # 广东省: 120+ counties
#: (state, share of the cases).
STATES = [
    (CaseState.registered, 0.10),
    (CaseState.assigned, 0.10),
    (CaseState.rectifying, 0.40),
    (CaseState.submitted, 0.10),
    (CaseState.pre_examined, 0.05),
    (CaseState.closed, 0.25),
]
OPEN = {CaseState.registered, CaseState.assigned, CaseState.rectifying}
KINDS = ["rectification", "typical", "petition", "enforcement", "alert"]
#: Who makes each move in the bench history (the lowest level that may).
MOVER = {
    Action.assign: ("bench-city", "city"),
    Action.start: ("bench-county", "county"),
    Action.submit: ("bench-county", "county"),
    Action.return_: ("bench-city", "city"),
    Action.preexamine: ("bench-city", "city"),
    Action.close: ("bench-province", "province"),
}
TRANSITIONS = {
    Action.assign: (CaseState.registered, CaseState.assigned),
    Action.start: (CaseState.assigned, CaseState.rectifying),
    Action.submit: (CaseState.rectifying, CaseState.submitted),
    Action.return_: (CaseState.submitted, CaseState.rectifying),
    Action.preexamine: (CaseState.submitted, CaseState.pre_examined),
    Action.close: (CaseState.pre_examined, CaseState.closed),
}
#: The moves from registration to each state, before any return cycle.
PATHS: dict[CaseState, list[Action]] = {
    CaseState.registered: [],
    CaseState.assigned: [Action.assign],
    CaseState.rectifying: [Action.assign, Action.start],
    CaseState.submitted: [Action.assign, Action.start, Action.submit],
    CaseState.pre_examined: [Action.assign, Action.start, Action.submit, Action.preexamine],
    CaseState.closed: [Action.assign, Action.start, Action.submit, Action.preexamine, Action.close],
}


# -- the store ---------------------------------------------------------------------------------------

CASE_COLUMNS = [
    *("id", "code", "kind", "batch", "title", "description", "region_id", "lead_unit", "cooperating_units"),
    *("responsible", "measures", "deadline", "state", "next_due", "escalation", "escalation_rank"),
    *("history_count", "history_head", "created_at", "updated_at"),
    # The date an open case's lateness counts from (null once submitted), where the store keeps it.
    *(["open_due"] if "open_due" in table_of(Case).c else []),
]
HISTORY_COLUMNS = [
    *("id", "case_id", "seq", "at", "username", "role", "action", "from_state", "to_state", "reason"),
    *("hash", "previous_hash"),
]


def _utc_text(value: dt.datetime) -> str:
    """A time as SQLAlchemy writes ``DateTime`` into SQLite: naive UTC text."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class Writer:
    """Rows into one table by the fastest path of the database: ``COPY`` (PostgreSQL), executemany of
    the driver (SQLite); values in Python types (dates, aware datetimes, lists for JSON)."""

    def __init__(self, connection: Any, postgres: bool) -> None:
        self.raw = connection.connection.driver_connection
        self.postgres = postgres

    def write(self, table: SqlTable, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        names = ", ".join(columns)
        count = 0
        if self.postgres:
            with self.raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(
                        [json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v for v in row]
                    )
                    count += 1
            return count
        marks = ", ".join("?" * len(columns))
        cursor = self.raw.cursor()
        chunk: list[tuple[Any, ...]] = []
        for row in rows:
            chunk.append(tuple(self._sqlite(v) for v in row))
            if len(chunk) == 50_000:
                cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", chunk)
                count += len(chunk)
                chunk.clear()
        if chunk:
            cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", chunk)
            count += len(chunk)
        cursor.close()
        return count

    @staticmethod
    def _sqlite(value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return _utc_text(value)
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, list):
            return json.dumps(value, ensure_ascii=False)
        return value


def _counted_node(nodes: list[tuple[int, dt.date, bool]], deadline: dt.date) -> tuple[int, dt.date]:
    open_nodes = [(due, seq) for seq, due, done in nodes if not done]
    if not open_nodes:
        return DEADLINE_NODE, deadline
    due, seq = min(open_nodes)
    return seq, due


def _history_lengths(states: list[CaseState], target: int, rng: random.Random) -> list[int]:
    """How many return cycles (submit + return, 2 entries) each case gets so that the entries add up to
    ``target`` (as near as pairs allow): spread at random over the cases that have been started."""
    base = sum(len(PATHS[s]) for s in states)
    pairs = max(target - base, 0) // 2
    started = [i for i, s in enumerate(states) if s not in (CaseState.registered, CaseState.assigned)]
    cycles = [0] * len(states)
    if started:
        for _ in range(pairs):
            cycles[rng.choice(started)] += 1
    return cycles


def build_store(url: str, cases: int, history: int, batches: int, seed: int = 16) -> dict[str, Any]:
    """Migrate, add the bench users and the cases; returns what was built and how long it took."""
    started = time.perf_counter()
    migrate.upgrade(url)
    engine = make_engine(url)
    postgres = engine.dialect.name == "postgresql"
    rng = random.Random(seed)
    try:
        with session_factory(engine).begin() as session:
            for name, role, region in [
                (ADMIN, "admin", None),
                (PROVINCE, "province", PROVINCE_REGION),
            ]:
                create_user(
                    session=session,
                    username=name,
                    password=PASSWORD,
                    role=role,
                    region_code=region,
                    actor="bench",
                )
            counties = list(session.execute(select(Region.id).where(Region.level == "county")).scalars())
        counties.sort()
        batch_codes = [f"BENCH-{n + 1:02d}" for n in range(batches)]
        sizes = [cases - (cases // 2) // max(batches - 1, 1) * (batches - 1)] if batches > 1 else [cases]
        if batches > 1:
            sizes += [(cases // 2) // (batches - 1)] * (batches - 1)
        batch_of = [code for code, size in zip(batch_codes, sizes, strict=True) for _ in range(size)]
        weights = [share for _, share in STATES]
        states = rng.choices([s for s, _ in STATES], weights=weights, k=cases)
        cycles = _history_lengths(states, history, rng)
        created = NOW - dt.timedelta(days=200)
        case_rows, node_rows, escalation_rows, history_rows = [], [], [], []
        history_id = escalation_id = 0
        for index in range(cases):
            case_id = index + 1
            code = f"BC-{case_id:06d}"
            state = states[index]
            deadline = TODAY + dt.timedelta(days=rng.randint(-150, 240))
            first_due = deadline - dt.timedelta(days=rng.randint(30, 90))
            finished = state not in OPEN
            node1_done = finished or (first_due < TODAY and rng.random() < 0.5)
            nodes = [(1, first_due, node1_done), (2, deadline, finished)]
            for seq, due, done in nodes:
                node_rows.append(
                    (len(node_rows) + 1, case_id, seq, due, "整改方案" if seq == 1 else "完成整改", done)
                )
            node, next_due = _counted_node(nodes, deadline)
            days = (TODAY - next_due).days
            escalation, rank = None, 0
            if state in OPEN:
                for number, rung in enumerate(DEFAULT_LADDER.rungs, start=1):
                    if days >= rung.from_days and (rung.from_days >= 0 or days >= -3):
                        escalation_id += 1
                        escalation_rows.append(
                            (
                                escalation_id,
                                case_id,
                                node,
                                rung.step,
                                number,
                                next_due,
                                created + dt.timedelta(days=1),
                                max(days, 0),
                                "",
                            )
                        )
                        escalation, rank = str(rung.step), number
            # The history: the path to the state, with the return cycles inserted after the first submit.
            path = PATHS[state][:2] + [Action.submit, Action.return_] * cycles[index] + PATHS[state][2:]
            previous = GENESIS
            at = created
            for seq, action in enumerate(path, start=1):
                at += dt.timedelta(hours=rng.randint(1, 36))
                user, role = MOVER[action]
                source, target = TRANSITIONS[action]
                reason = "材料不全 / evidence incomplete" if action is Action.return_ else None
                move = Move(code, action, source, target, user, role, at, reason)
                digest = entry_hash(move.entry(), previous)
                history_id += 1
                names = (str(action), str(source), str(target))
                history_rows.append(
                    (history_id, case_id, seq, at, user, role, *names, reason, digest, previous)
                )
                previous = digest
            region = rng.choice(counties)
            unit = f"责任单位 {index % 500:03d}"
            case_rows.append(
                (
                    *(case_id, code, KINDS[index % len(KINDS)], batch_of[index], f"整改问题 {code}", ""),
                    *(region, unit, [], "", "", deadline, str(state), next_due, escalation, rank),
                    *(len(path), previous, created, at if path else created),
                    *([next_due if state in OPEN else None] if "open_due" in CASE_COLUMNS else []),
                )
            )
        generated = time.perf_counter() - started
        with engine.begin() as connection:
            writer = Writer(connection, postgres)
            writer.write(
                table_of(CaseBatch), ["code", "title", "ladder", "created_at"],
                [(code, f"基准批次 {code}", None, created) for code in batch_codes],
            )  # fmt: skip
            writer.write(table_of(Case), CASE_COLUMNS, case_rows)
            writer.write(table_of(CaseNode), ["id", "case_id", "seq", "due", "task", "done"], node_rows)
            writer.write(table_of(CaseHistory), HISTORY_COLUMNS, history_rows)
            writer.write(
                table_of(CaseEscalation),
                ["id", "case_id", "node", "step", "rank", "due", "at", "days_overdue", "text"],
                escalation_rows,
            )
            if postgres:
                for table in ("supervision_case", "case_node", "case_history", "case_escalation"):
                    sequence = f"pg_get_serial_sequence('{table}', 'id')"
                    connection.execute(text(f"SELECT setval({sequence}, (SELECT max(id) FROM {table}))"))
        if postgres:  # what its autovacuum does after a load this size
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("ANALYZE"))
        refresh_case_statistics(url)  # what `serve` does at start and daily (jobs.schedule_case_jobs)
        return {
            "cases": len(case_rows),
            "history": len(history_rows),
            "nodes": len(node_rows),
            "escalations": len(escalation_rows),
            "overdue": sum(1 for row in case_rows if CaseState(row[12]) in OPEN and row[13] < TODAY),
            "largest_batch": batch_codes[0],
            "largest_batch_cases": sizes[0],
            "generate_s": round(generated, 1),
            "build_s": round(time.perf_counter() - started, 1),
        }
    finally:
        engine.dispose()


# -- the measurements -------------------------------------------------------------------------------


def endpoints(batch: str) -> dict[str, str]:
    return {
        "overdue, all": "/api/v1/cases/overdue?limit=100",
        f"overdue, {batch}": f"/api/v1/cases/overdue?batch={batch}&limit=100",
        f"stats, {batch}": f"/api/v1/cases/stats?batch={batch}",
    }


def sign_in(client: httpx.Client, username: str) -> dict[str, str]:
    answer = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def measure(base: str, batch: str, repeat: int) -> list[dict[str, Any]]:
    """Each endpoint for each user: ``repeat`` requests in a row, the first after start included."""
    results = []
    with httpx.Client(base_url=base, timeout=120) as client:
        users = {"admin": sign_in(client, ADMIN), "province": sign_in(client, PROVINCE)}
        for who, headers in users.items():
            for name, path in endpoints(batch).items():
                seconds, errors, first_body = [], 0, None
                for n in range(repeat):
                    started = time.perf_counter()
                    answer = client.get(path, headers=headers)
                    seconds.append(time.perf_counter() - started)
                    errors += answer.status_code != 200
                    if n == 0:
                        first_body = answer.json() if answer.status_code == 200 else answer.text
                array = np.array(seconds) * 1000
                results.append(
                    {
                        "user": who,
                        "request": name,
                        "n": repeat,
                        "errors": errors,
                        "first_ms": round(float(array[0]), 1),
                        "p50_ms": round(float(np.percentile(array, 50)), 1),
                        "p95_ms": round(float(np.percentile(array, 95)), 1),
                        "p99_ms": round(float(np.percentile(array, 99)), 1),
                        "max_ms": round(float(array.max()), 1),
                        "answer": _summary(first_body),
                    }
                )
    return results


def _summary(body: Any) -> str:
    if isinstance(body, dict) and "total" in body and "items" in body:
        return f"{body['total']:,} overdue"
    if isinstance(body, dict) and "overdue" in body:
        return f"{body['total']:,} cases, {body['overdue']:,} overdue"
    return str(body)[:80]


@contextmanager
def server(url: str) -> Iterator[str]:
    os.environ["ECOWATCH_NOW"] = NOW.isoformat()
    process, base = start_server(url)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def postgres_schema(server_url: str, keep: bool) -> Iterator[str]:
    admin = make_engine(server_url)
    schema = f"bench_cases_{uuid.uuid4().hex[:8]}"
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        url = normalise_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.begin() as connection:
                connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def run(database: str, url: str, args: argparse.Namespace, console: Console) -> dict[str, Any]:
    console.print(f"[bold]{database}[/]: building {args.cases:,} cases, {args.history:,} history entries…")
    built = build_store(url, args.cases, args.history, args.batches)
    console.print(
        f"  built in {built['build_s']} s ({built['generate_s']} s generating): {built['cases']:,} cases, "
        f"{built['history']:,} history entries, {built['escalations']:,} escalations, "
        f"{built['overdue']:,} overdue",
        highlight=False,
    )
    with server(url) as base:
        measured = measure(base, built["largest_batch"], args.repeat)
    return {"database": database, "built": built, "requests": measured}


def table(results: list[dict[str, Any]], bar_ms: float) -> Table:
    out = Table(title=f"cases API, sequential requests (bar: p99 < {bar_ms:.0f} ms)")
    for column in ("database", "user", "request", "first", "p50", "p95", "p99", "max", "n", "answer", "bar"):
        out.add_column(
            column, justify="right" if column in {"first", "p50", "p95", "p99", "max", "n"} else "left"
        )
    for result in results:
        for row in result["requests"]:
            ok = row["p99_ms"] < bar_ms and row["errors"] == 0
            out.add_row(
                result["database"],
                row["user"],
                row["request"],
                f"{row['first_ms']:.1f}",
                f"{row['p50_ms']:.1f}",
                f"{row['p95_ms']:.1f}",
                f"{row['p99_ms']:.1f}",
                f"{row['max_ms']:.1f}",
                str(row["n"]),
                row["answer"] + (f", {row['errors']} errors" if row["errors"] else ""),
                "[green]ok[/]" if ok else "[red]over[/]",
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=1_000_000, help="history entries in all")
    parser.add_argument("--batches", type=int, default=5, help="the first holds half the cases")
    parser.add_argument("--repeat", type=int, default=300, help="requests of each kind, one after the other")
    parser.add_argument("--postgres", default=os.environ.get("ECOWATCH_TEST_POSTGRES_URL", ""))
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file and the PostgreSQL schema")
    parser.add_argument("--bar-ms", type=float, default=200.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    console = Console(stderr=args.json, width=max(Console().width, 150))
    results = []
    folder = Path(tempfile.mkdtemp(prefix="bench-cases-"))
    sqlite = folder / "cases.db"
    results.append(run("SQLite", f"sqlite:///{sqlite}", args, console))
    if not args.keep:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    else:
        console.print(f"  SQLite store kept: {sqlite}")
    if args.postgres and not args.sqlite_only:
        with postgres_schema(args.postgres, args.keep) as url:
            results.append(run("PostgreSQL", url, args, console))
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
    else:
        console.print(table(results, args.bar_ms))


if __name__ == "__main__":
    main()
