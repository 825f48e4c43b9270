"""The pollution-source registry: enterprises, their outlets and the outlets' permitted limits.

- :mod:`~ecowatch.sources.credit_code` — the unified social credit code's check (GB 32100-2015), pure.
- :mod:`~ecowatch.sources.models` — the registry's tables beside ``enterprise`` and ``site``.
- :mod:`~ecowatch.sources.schemas` — what the API and ``--json`` give and take.
- :mod:`~ecowatch.sources.service` — register, edit and list enterprises and outlets (audited).
- :mod:`~ecowatch.sources.importer` — the same from a CSV or Excel file, all or nothing.

The front ends are thin: ``ecowatch sources …`` (:mod:`ecowatch.cli.sources`) and
``/api/v1/sources`` (:mod:`ecowatch.web.api.sources`).  Screening and carbon read the limits, units
and lists from here.
"""
