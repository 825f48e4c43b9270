"""``ecowatch audit …``: check the tamper-evident history of the cases (issue 16)."""

from __future__ import annotations

import typer

from ecowatch.cli.common import DbOpt, JsonOpt, app, console, errors, print_json

audit_app = typer.Typer(
    help="The audit trail 审计: check the hash chains of the cases' history.", no_args_is_help=True
)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(as_json: JsonOpt = False, db: DbOpt = None) -> None:
    """Check every case's history chain: exit 0 printing ``ok: N entries``, else exit 1 naming each case
    and the first entry that no longer matches."""
    from ecowatch.cases.service import verify_audit
    from ecowatch.cli.cases import _session

    with _session(db, write=False) as session:
        result = verify_audit(session=session)
    if as_json:
        print_json(result.model_dump(mode="json") | {"ok": result.ok})
    elif result.ok:
        console.print(f"ok: {result.entries} entries", highlight=False)
    else:
        for line in result.broken:
            errors.print(f"broken: {line}", soft_wrap=True, highlight=False, markup=False)
        errors.print(
            f"{len(result.broken)} of {result.cases} case chains broken ({result.entries} entries match)",
            highlight=False,
        )
    if not result.ok:
        raise typer.Exit(code=1)
