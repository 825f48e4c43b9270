"""Random moves by random roles (hypothesis RuleBasedStateMachine, STYLE.md "Testing" 4).

Invariants: every accepted move is in issue 16's table (written out in issue16_table.py, not taken
from the code), every refused one is not and is refused by the rule the table says, and the case's
hash-chained history verifies after each step (and stops verifying when any entry is edited).
"""

from __future__ import annotations

import copy
import datetime as dt

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from issue16_table import ACTIONS, ACTORS, ISSUE16_TABLE, STATES, contains, expected

from ecowatch.cases.audit import Link, chain_hashes, entry_hash, verify_chain
from ecowatch.cases.errors import IllegalMove
from ecowatch.cases.workflow import CaseRef, CaseState, Evidence, decide_move

BJ = dt.timezone(dt.timedelta(hours=8))
FILES = [Evidence.of("photo.jpg", b"jpeg"), Evidence.of("验收意见.pdf", b"%PDF")]


class CaseMachine(RuleBasedStateMachine):
    """One case, moved by anyone at any time; its history hash-chained as the service will keep it."""

    def __init__(self) -> None:
        super().__init__()
        self.state = "registered"
        self.now = dt.datetime(2026, 1, 5, 9, tzinfo=BJ)
        self.entries: list[dict] = []
        self.hashes: list[str] = []
        self.accepted = 0
        self.refused = 0

    @initialize(region=st.sampled_from(["110105", "110108"]))
    def open_case(self, region: str) -> None:
        # 110108 is outside county-in's 110105 but inside the city and the province.
        self.region = region
        self.code = f"ZY-{region}"

    def who_is_in_scope(self, who: str) -> str:
        """The test table's actor key for this case's region (county-in only holds 110105)."""
        if who in ("county-in", "county-out"):
            actor_region = ACTORS[who].region
            return "county-in" if actor_region == self.region else "county-out"
        return who

    REASONS = st.sampled_from([None, "", "  ", "现场复核未通过", "follow-up found it unresolved"])

    @rule(
        action=st.sampled_from(ACTIONS),
        who=st.sampled_from(sorted(ACTORS)),
        reason=REASONS,
        files=st.integers(min_value=0, max_value=2),
        hours=st.integers(min_value=0, max_value=24 * 40),
    )
    def move(self, action: str, who: str, reason: str | None, files: int, hours: int) -> None:
        self.attempt(action, who, reason, files, hours)

    @rule(data=st.data())
    def move_from_here(self, data: st.DataObject) -> None:
        """An action the table has from the current state (random moves alone rarely get past submit)."""
        here = sorted(action for (action, state) in ISSUE16_TABLE if state == self.state)
        self.attempt(
            data.draw(st.sampled_from(here)),
            data.draw(st.sampled_from(sorted(ACTORS))),
            data.draw(self.REASONS),
            data.draw(st.integers(min_value=0, max_value=2)),
            data.draw(st.integers(min_value=0, max_value=24 * 40)),
        )

    def attempt(self, action: str, who: str, reason: str | None, files: int, hours: int) -> None:
        self.now += dt.timedelta(hours=hours)
        to, rule_name = expected(action, self.state, self.who_is_in_scope(who), reason, files)
        case = CaseRef(self.code, CaseState(self.state), self.region)
        try:
            made = decide_move(case, action, ACTORS[who], self.now, reason, FILES[:files], contains=contains)
        except IllegalMove as refused:
            assert to is None, f"{who} {action} from {self.state} refused ({refused}) but the table allows it"
            assert refused.rule == rule_name, str(refused)
            self.refused += 1
            return
        assert to is not None, (
            f"{who} {action} from {self.state} accepted but the table refuses ({rule_name})"
        )
        assert (made.from_state, made.to_state, made.at) == (self.state, to, self.now)
        event(f"accepted {action} from {self.state}")
        self.state = made.to_state
        entry = {"seq": len(self.entries) + 1, **made.entry()}
        self.hashes.append(entry_hash(entry, self.hashes[-1] if self.hashes else "0" * 64))
        self.entries.append(entry)
        self.accepted += 1

    @precondition(lambda self: bool(self.entries))
    @rule(data=st.data())
    def an_edited_entry_is_caught(self, data: st.DataObject) -> None:
        seq = data.draw(st.integers(min_value=1, max_value=len(self.entries)))
        field = data.draw(st.sampled_from(["user", "action", "at", "reason", "to"]))
        edited = copy.deepcopy(self.entries)
        old = edited[seq - 1][field]
        edited[seq - 1][field] = (old + dt.timedelta(seconds=1)) if field == "at" else f"{old}!"
        links = [Link(e["seq"], e, h) for e, h in zip(edited, self.hashes, strict=True)]
        assert verify_chain(links).broken_at == seq

    @invariant()
    def history_verifies(self) -> None:
        links = [Link(e["seq"], e, h) for e, h in zip(self.entries, self.hashes, strict=True)]
        result = verify_chain(links, label=getattr(self, "code", "case"))
        assert result.ok, result.message
        assert result.entries == len(self.entries)
        assert chain_hashes(self.entries) == self.hashes

    @invariant()
    def state_is_a_state(self) -> None:
        assert self.state in STATES


CaseMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_case_machine = CaseMachine.TestCase
