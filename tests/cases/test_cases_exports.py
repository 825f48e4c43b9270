"""The public names of ecowatch.cases' pure modules: __all__ complete and nothing missing (httpx style)."""

from __future__ import annotations

import ast
import enum
import importlib
import inspect

import pytest

from ecowatch.cases.audit import canonical_json
from ecowatch.cases.errors import CaseError
from ecowatch.cases.workflow import Evidence

MODULES = [
    "ecowatch.cases.errors",
    "ecowatch.cases.workflow",
    "ecowatch.cases.escalation",
    "ecowatch.cases.audit",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_complete(name: str) -> None:
    module = importlib.import_module(name)
    assigned = set()
    for node in ast.parse(inspect.getsource(module)).body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        assigned |= {t.id for t in targets if isinstance(t, ast.Name)}
    defined = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == name
    } | {attr for attr in assigned if not attr.startswith("_") and attr != "__all__"}
    assert defined <= set(module.__all__), sorted(defined - set(module.__all__))
    assert all(hasattr(module, attr) for attr in module.__all__)


def test_evidence_needs_a_name() -> None:
    with pytest.raises(CaseError, match="evidence: the file name is empty"):
        Evidence(" ", "a" * 64)


def test_plain_enums_are_written_as_their_values() -> None:
    class Colour(enum.Enum):
        red = "红"

    assert canonical_json({"c": Colour.red}) == '{"c":"红"}'.encode()
