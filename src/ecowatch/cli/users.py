"""``ecowatch users …``: add and list the people who sign in to the platform."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from ecowatch.cli.common import DbOpt, EcowatchError, JsonOpt, app, console, fail, print_json

users_app = typer.Typer(help="Users of the platform and their roles.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Option("--username", help="Sign-in name.")],
    role: Annotated[str, typer.Option("--role", help="admin, province, city, county or enterprise.")],
    region: Annotated[
        str | None, typer.Option("--region", help="Region code (province/city/county roles).")
    ] = None,
    enterprise: Annotated[
        str | None, typer.Option("--enterprise", help="Enterprise code (enterprise role).")
    ] = None,
    password: Annotated[
        str | None, typer.Option("--password", help="Password (default: asked for, hidden).")
    ] = None,
    email: Annotated[
        str | None, typer.Option("--email", help="E-mail address for case notifications (name@domain).")
    ] = None,
    db: DbOpt = None,
) -> None:
    """Add a user; the role decides whether --region or --enterprise is needed. Recorded in the audit log."""
    from sqlalchemy.exc import SQLAlchemyError

    from ecowatch.store import database_url
    from ecowatch.store.audit import cli_actor
    from ecowatch.store.db import SQLITE_IMMEDIATE, session_factory
    from ecowatch.store.migrate import open_engine
    from ecowatch.store.users import create_user, hash_password

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        # Argon2 (~0.4 s) before the transaction, which then takes SQLite's write lock at once and
        # holds it only for the few statements of the insert (a running server's writes wait less).
        password_hash = hash_password(password)
        engine = open_engine(database_url(db))
        try:
            with session_factory(engine.execution_options(**{SQLITE_IMMEDIATE: True})).begin() as session:
                user = create_user(
                    session=session,
                    username=username,
                    password_hash=password_hash,
                    role=role,
                    region_code=region,
                    enterprise_code=enterprise,
                    email=email,
                    actor=cli_actor(),
                )
                scope = region or enterprise or "everything"
                mailed = f", e-mailed at {user.email}" if user.email else ""
                console.print(
                    f"added user {user.username} ({user.role}, sees {scope}{mailed})", highlight=False
                )
        finally:
            engine.dispose()
    except EcowatchError as error:
        raise fail(error) from None
    except SQLAlchemyError as error:
        raise fail(EcowatchError(without_values(error))) from None


@users_app.command("email")
def users_email(
    username: Annotated[str, typer.Option("--username", help="Sign-in name.")],
    email: Annotated[
        str | None, typer.Option("--email", help="New e-mail address for case notifications.")
    ] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Remove the address (no more e-mails).")] = False,
    db: DbOpt = None,
) -> None:
    """Set or remove a user's e-mail address, where case notifications go. Recorded in the audit log."""
    from sqlalchemy.exc import SQLAlchemyError

    from ecowatch.store import database_url
    from ecowatch.store.audit import cli_actor
    from ecowatch.store.db import SQLITE_IMMEDIATE, session_factory
    from ecowatch.store.migrate import open_engine
    from ecowatch.store.users import get_user, update_user

    if (email is None) == (not remove):
        raise fail(EcowatchError("email: give --email ADDRESS or --remove, not both or neither"))
    try:
        engine = open_engine(database_url(db))
        try:
            with session_factory(engine.execution_options(**{SQLITE_IMMEDIATE: True})).begin() as session:
                user = get_user(session=session, username=username)
                if user is None:
                    raise EcowatchError(f"username: no user {username!r}")
                update_user(session=session, user=user, actor=cli_actor(), email=email)
                told = f"is e-mailed at {user.email}" if user.email else "is no longer e-mailed"
                console.print(f"user {user.username} {told}", highlight=False)
        finally:
            engine.dispose()
    except EcowatchError as error:
        raise fail(error) from None
    except SQLAlchemyError as error:
        raise fail(EcowatchError(without_values(error))) from None


def without_values(error: Exception) -> str:
    """The database's reason for ``error``, one line, without the statement and its values (SQLAlchemy
    prints them, and the values of a new user hold its password hash).

    >>> from sqlalchemy.exc import IntegrityError
    >>> refused = IntegrityError("INSERT ...", {"password_hash": "$argon2id$..."}, Exception("UNIQUE failed"))
    >>> without_values(refused)
    'the database refused the write: UNIQUE failed'
    """
    orig = getattr(error, "orig", None)
    reason = str(orig if orig is not None else type(error).__name__).strip().splitlines()
    return f"the database refused the write: {reason[0] if reason else type(error).__name__}"


@users_app.command("list")
def users_list(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """The users with their role, scope, e-mail address and whether they may sign in."""
    from sqlalchemy.exc import SQLAlchemyError

    from ecowatch.store import database_url
    from ecowatch.store.db import session_factory
    from ecowatch.store.migrate import open_engine
    from ecowatch.store.users import list_users

    try:
        engine = open_engine(database_url(db))
        try:
            with session_factory(engine)() as session:
                rows: list[dict[str, Any]] = [
                    {
                        "username": u.username,
                        "role": u.role,
                        "region": u.region.code if u.region is not None else None,
                        "enterprise": u.enterprise.code if u.enterprise is not None else None,
                        "email": u.email,
                        "active": u.active,
                    }
                    for u in list_users(session=session)
                ]
        finally:
            engine.dispose()
    except (EcowatchError, SQLAlchemyError) as error:
        raise fail(error) from None
    if as_json:
        print_json(rows)
        return
    table = Table(title="users")
    for column in ("username", "role", "region", "enterprise", "email", "active"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["username"],
            row["role"],
            row["region"] or "—",
            row["enterprise"] or "—",
            row["email"] or "—",
            "yes" if row["active"] else "no",
        )
    console.print(table)
