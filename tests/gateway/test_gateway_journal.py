"""The journal: records survive reopening, a torn tail is cut, corruption elsewhere is named, segments
rotate."""

from __future__ import annotations

import pytest

from ecowatch.gateway.journal import Entry, Journal, JournalError, Position


def test_records_come_back_in_order_with_their_positions(tmp_path):
    journal = Journal(tmp_path)
    assert journal.open() == Position(1, 0)
    first = journal.write([b"a", b"bb"])
    second = journal.write([b"ccc"])
    journal.close()
    assert first == [Position(1, 9), Position(1, 19)]  # 8-byte header + body
    assert second == [Position(1, 30)]
    again = Journal(tmp_path)
    assert again.journal_id == journal.journal_id
    assert list(again.replay(None)) == [
        (b"a", Position(1, 9)),
        (b"bb", Position(1, 19)),
        (b"ccc", Position(1, 30)),
    ]
    assert list(again.replay(Position(1, 19))) == [(b"ccc", Position(1, 30))]


def test_a_range_of_records_is_read_across_segments(tmp_path):
    journal = Journal(tmp_path, segment_bytes=20)
    start = journal.open()
    ends = (
        journal.write([b"0123456789abcdef"])
        + journal.write([b"second", b"third"])
        + journal.write([b"fourth"])
    )
    assert ends == [Position(1, 24), Position(2, 14), Position(2, 27), Position(3, 14)]
    assert list(journal.read(start, ends[2])) == [
        (b"0123456789abcdef", ends[0]),
        (b"second", ends[1]),
        (b"third", ends[2]),
    ]
    assert list(journal.read(ends[1], ends[3])) == [(b"third", ends[2]), (b"fourth", ends[3])]
    assert list(journal.read(ends[3], ends[3])) == []
    with pytest.raises(JournalError, match=r"segment-00000003\.log ends at offset 14, before 40"):
        list(journal.read(ends[2], Position(3, 40)))  # past what was written: not durable


def test_a_torn_tail_is_cut_off_on_open(tmp_path):
    journal = Journal(tmp_path)
    journal.open()
    journal.write([b"kept"])
    journal.close()
    path = journal.path(1)
    with open(path, "ab") as file:  # a crash in the middle of writing the next record
        file.write(Journal.encode(b"never acknowledged")[:10])
    assert [body for body, _ in Journal(tmp_path).replay(None)] == [b"kept"]
    reopened = Journal(tmp_path)
    assert reopened.open() == Position(1, 12)
    assert path.stat().st_size == 12
    reopened.write([b"next"])
    reopened.close()
    assert [body for body, _ in Journal(tmp_path).replay(None)] == [b"kept", b"next"]


def test_corruption_before_the_last_segment_is_an_error_naming_file_and_offset(tmp_path):
    journal = Journal(tmp_path, segment_bytes=20)
    journal.open()
    journal.write([b"0123456789abcdef"])  # fills segment 1 past 20 bytes
    journal.write([b"second segment"])
    journal.close()
    assert journal.segments() == [1, 2]
    data = bytearray(journal.path(1).read_bytes())
    data[10] ^= 0xFF
    journal.path(1).write_bytes(bytes(data))
    with pytest.raises(JournalError, match=r"segment-00000001\.log offset 0: record checksum mismatch"):
        list(Journal(tmp_path).replay(None))


def test_release_deletes_only_applied_segments(tmp_path):
    journal = Journal(tmp_path, segment_bytes=10)
    journal.open()
    positions = [journal.write([b"record %d" % i])[0] for i in range(3)]
    assert [p.segment for p in positions] == [1, 2, 3]
    assert journal.release(positions[1]) == [1]
    assert journal.segments() == [2, 3]
    assert [body for body, _ in journal.replay(None)] == [b"record 1", b"record 2"]


def test_entry_round_trip():
    entry = Entry(
        True, 1_700_000_000_123_456, 7, "Asia/Shanghai", "127.0.0.1:5555", "", b"##0000\r\n", b"plain"
    )
    assert Entry.decode(entry.encode()) == entry
    refused = Entry(False, 1, -1, "", "[::1]:1", "unknown MN 某", b"x")
    assert Entry.decode(refused.encode()) == refused
    with pytest.raises(JournalError, match="does not match its field lengths"):
        Entry.decode(entry.encode() + b"extra")
