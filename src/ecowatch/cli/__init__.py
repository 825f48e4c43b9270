"""The ``ecowatch`` command: one sub-command group per domain (a module each), thin over the domain code."""

from __future__ import annotations

from ecowatch.cli import (  # noqa: F401  (each module registers its commands on ``app``)
    air,
    audit,
    cases,
    cases_ladder,
    db,
    db_regions,
    gateway,
    hj212,
    serve,
    sources,
    users,
    water,
    water_sections,
)
from ecowatch.cli.common import app

__all__ = ["app", "main"]


def main() -> None:
    app()


if __name__ == "__main__":
    main()
