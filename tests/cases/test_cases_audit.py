"""The hash chain of a case's history detects edited, deleted and reordered entries (issue 16, "Trust")."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib

import pytest

from ecowatch.cases.audit import GENESIS, Link, canonical_json, chain_hashes, entry_hash, verify_chain
from ecowatch.cases.errors import AuditError
from ecowatch.cases.workflow import Action, Actor, CaseRef, CaseState, Evidence, decide_move

BJ = dt.timezone(dt.timedelta(hours=8))
ZEROS = "0000000000000000000000000000000000000000000000000000000000000000"


def test_known_hash_from_a_hand_written_canonical_form() -> None:
    entry = {
        "user": "chaoyang",
        "action": "submit",
        "at": dt.datetime(2026, 5, 4, 9, 30, tzinfo=BJ),
        "seq": 1,
        "reason": "已整改",
        "evidence": [],
    }
    written = (
        '{"action":"submit","at":"2026-05-04T01:30:00+00:00","evidence":[],"reason":"已整改","seq":1,'
        '"user":"chaoyang"}'
    )
    assert canonical_json(entry) == written.encode("utf-8")
    assert entry_hash(entry, ZEROS) == hashlib.sha256((ZEROS + written).encode("utf-8")).hexdigest()


def test_key_order_and_offset_do_not_change_the_hash() -> None:
    a = {"a": 1, "b": {"y": True, "x": None}, "at": dt.datetime(2026, 1, 1, 8, tzinfo=BJ)}
    b = {"b": {"x": None, "y": True}, "at": dt.datetime(2026, 1, 1, 0, tzinfo=dt.UTC), "a": 1}
    assert entry_hash(a, GENESIS) == entry_hash(b, GENESIS)


def history() -> list[dict]:
    """A case's history as the workflow writes it: assign, start, submit, preexamine, close."""
    contains = lambda outer, inner: inner.startswith(outer.rstrip("0"))  # noqa: E731
    state = CaseState.registered
    moves = [
        ("assign", "bj-city", "city", "110100", None, ()),
        ("start", "chaoyang", "county", "110105", None, ()),
        ("submit", "chaoyang", "county", "110105", None, (Evidence.of("photo.jpg", b"jpeg"),)),
        ("preexamine", "bj-city", "city", "110100", "资料齐全", ()),
        ("close", "bj-prov", "province", "110000", None, ()),
    ]
    entries = []
    for seq, (action, user, role, region, reason, files) in enumerate(moves, start=1):
        move = decide_move(
            CaseRef("ZY-2026-020", state, "110105"),
            Action(action),
            Actor(user, role, region),
            dt.datetime(2026, 4, seq, 10, tzinfo=BJ),
            reason,
            files,
            contains=contains,
        )
        state = move.to_state
        entries.append({"seq": seq, **move.entry()})
    return entries


def links_of(entries: list[dict], hashes: list[str]) -> list[Link]:
    return [Link(entry["seq"], entry, h) for entry, h in zip(entries, hashes, strict=True)]


def test_an_untouched_history_verifies() -> None:
    entries = history()
    result = verify_chain(links_of(entries, chain_hashes(entries)), label="case ZY-2026-020")
    assert (result.ok, result.entries, result.message) == (True, 5, "case ZY-2026-020: ok, 5 entries")
    assert verify_chain([]).ok


@pytest.mark.parametrize(
    ("seq", "field", "value"),
    [
        (3, "user", "bj-city"),
        (4, "reason", "资料齐全。"),
        (1, "at", dt.datetime(2026, 4, 1, 10, 0, 1, tzinfo=BJ)),
        (5, "to", "rectifying"),
        (3, "evidence", [{"name": "photo.jpg", "sha256": "0" * 64}]),
    ],
)
def test_an_edited_entry_is_named(seq: int, field: str, value: object) -> None:
    entries = history()
    hashes = chain_hashes(entries)
    edited = copy.deepcopy(entries)
    edited[seq - 1][field] = value
    result = verify_chain(links_of(edited, hashes), label="case ZY-2026-020")
    assert (result.ok, result.broken_at, result.entries) == (False, seq, seq - 1)
    assert result.message.startswith(
        f"case ZY-2026-020: entry {seq} no longer matches its stored hash (stored "
    )


def test_an_edit_with_its_hash_recomputed_breaks_the_next_entry() -> None:
    entries = history()
    hashes = chain_hashes(entries)
    entries[1]["user"] = "someone-else"
    hashes[1] = entry_hash(entries[1], hashes[0])
    result = verify_chain(links_of(entries, hashes))
    assert (result.broken_at, result.entries) == (3, 2)


def test_a_deleted_entry_is_named() -> None:
    entries = history()
    links = links_of(entries, chain_hashes(entries))
    result = verify_chain(links[:2] + links[3:], label="case ZY-2026-020")
    assert result.message == "case ZY-2026-020: entry 3 is missing (the next stored entry is 4)"


def test_a_repeated_entry_is_named() -> None:
    entries = history()
    links = links_of(entries, chain_hashes(entries))
    result = verify_chain([*links[:3], links[2], *links[3:]], label="c")
    assert result.message == "c: entry 4 is followed by entry 3 again or out of order"


def test_swapped_entries_with_renumbered_seqs_are_detected() -> None:
    entries = history()
    hashes = chain_hashes(entries)
    swapped = [Link(1, entries[0], hashes[0]), Link(2, entries[2], hashes[2]), Link(3, entries[1], hashes[1])]
    assert verify_chain(swapped).broken_at == 2


def test_an_entry_that_cannot_be_hashed_is_named_by_verify() -> None:
    entries = history()
    hashes = chain_hashes(entries)
    entries[1]["amount"] = 1.5
    result = verify_chain(links_of(entries, hashes), label="c")
    assert result.message == (
        "c: entry 2 cannot be hashed: entry.amount: float 1.5 cannot be hashed canonically "
        "(store it as text or int)"
    )


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"x": [1, 2.0]}, "entry.x\\[1\\]: float 2.0 cannot be hashed canonically"),
        ({"at": dt.datetime(2026, 1, 1)}, "entry.at: time 2026-01-01T00:00:00 has no UTC offset"),
        ({"m": {1: "a"}}, "entry.m: key 1 is not text"),
        ({"b": b"raw"}, "entry.b: bytes b'raw' cannot be hashed \\(not a JSON value\\)"),
    ],
)
def test_values_that_cannot_be_hashed(entry: dict, message: str) -> None:
    with pytest.raises(AuditError, match=message):
        canonical_json(entry)


def test_a_bad_previous_hash_is_refused() -> None:
    with pytest.raises(AuditError, match="previous hash 'abc' is not 64 lower-case hex digits"):
        entry_hash({}, "abc")


def test_enums_and_dates_are_written_as_their_values() -> None:
    assert (
        canonical_json({"s": CaseState.pre_examined, "d": dt.date(2026, 6, 30), "t": (1, "二")})
        == '{"d":"2026-06-30","s":"pre_examined","t":[1,"二"]}'.encode()
    )
