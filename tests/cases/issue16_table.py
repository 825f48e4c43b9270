"""Issue 16's table of moves and roles, written out from the issue for the tests (not from the code).

Shared by the parametrized tests and the state machine; ``expected`` is the oracle they check against.
"""

from __future__ import annotations

from ecowatch.cases.workflow import Actor

# Issue 16, "States and moves", copied from the issue's table (not from the code under test):
# (action, from state) -> (to state, roles that may make it from there, in scope).
ISSUE16_TABLE = {
    ("assign", "registered"): ("assigned", {"province", "city"}),
    ("start", "assigned"): ("rectifying", {"province", "city", "county"}),
    ("submit", "rectifying"): ("submitted", {"province", "city", "county"}),
    ("preexamine", "submitted"): ("pre_examined", {"province", "city"}),
    ("close", "pre_examined"): ("closed", {"province"}),
    ("return", "submitted"): ("rectifying", {"province", "city"}),
    ("return", "pre_examined"): ("rectifying", {"province"}),
    ("reopen", "closed"): ("rectifying", {"province"}),
}
STATES = ["registered", "assigned", "rectifying", "submitted", "pre_examined", "closed"]
ACTIONS = ["assign", "start", "submit", "preexamine", "close", "return", "reopen"]

# GB/T 2260 codes: Beijing 110000 > 市辖区 110100 > 朝阳区 110105, 海淀区 110108;
# Tianjin 120000 > 120100 > 120101.
PARENT = {"110100": "110000", "110105": "110100", "110108": "110100", "120100": "120000", "120101": "120100"}


def contains(outer: str, inner: str) -> bool:
    region: str | None = inner
    while region is not None:
        if region == outer:
            return True
        region = PARENT.get(region)
    return False


CASE_REGION = "110105"
ACTORS = {
    "admin": Actor("root", "admin", None),
    "province-in": Actor("bj-province", "province", "110000"),
    "province-out": Actor("tj-province", "province", "120000"),
    "city-in": Actor("bj-city", "city", "110100"),
    "city-out": Actor("tj-city", "city", "120100"),
    "county-in": Actor("chaoyang", "county", "110105"),
    "county-out": Actor("haidian", "county", "110108"),
    "enterprise": Actor("thermal", "enterprise", None),
}


def expected(
    action: str, state: str, who: str, reason: str | None = "given", files: int = 1
) -> tuple[str | None, str | None]:
    """(next state, None) when legal; (None, refusing rule) when not."""
    row = ISSUE16_TABLE.get((action, state))
    if row is None:
        return None, "transition"
    to, roles = row
    if who == "admin":
        return _case_rules(to, action, reason, files)
    role, _, where = who.partition("-")
    if role not in roles:
        return None, "role"
    if where != "in":
        return None, "scope"
    return _case_rules(to, action, reason, files)


def _case_rules(to: str, action: str, reason: str | None, files: int) -> tuple[str | None, str | None]:
    # Issue 16: return and reopen "reason required"; submit "at least one evidence file".
    if action in ("return", "reopen") and not (reason or "").strip():
        return None, "reason"
    if action == "submit" and files == 0:
        return None, "evidence"
    return to, None
