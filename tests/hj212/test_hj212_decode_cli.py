"""`ecowatch hj212 decode FILE --json`: one record per line, keys as the issue's contract names them."""

import json

from typer.testing import CliRunner

from ecowatch.cli import app
from ecowatch.hj212.summary import SUMMARY_KEYS

# Sample S01 of shared/reference/hj212.md (HJ 212-2017 Table 12 example), CRC 1C80.
S01 = "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80"


def decode(tmp_path, text: str) -> list[dict]:
    path = tmp_path / "frames.txt"
    path.write_bytes(text.encode("utf-8"))
    result = CliRunner().invoke(app, ["hj212", "decode", str(path), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_good_frame_a_bad_crc_and_garbage(tmp_path):
    bad_crc = S01[:-4] + "1C81"
    records = decode(tmp_path, f"{S01}\r\n\n{bad_crc}\nnot a frame\n")
    assert [r["line"] for r in records] == [1, 3, 4]  # the empty line 2 is not a frame
    assert all(tuple(r) == SUMMARY_KEYS for r in records)
    good, crc, garbage = records
    assert (good["ok"], good["error"], good["crc_ok"]) == (True, None, True)
    assert (good["version"], good["qn"], good["st"], good["cn"], good["pw"]) == (
        "2017", "20160801085857223", "32", "1062", "100000")
    assert (good["mn"], good["flag"], good["ack_requested"]) == ("010000A8900016F000169DC0", 5, True)
    assert (crc["ok"], crc["crc_ok"]) == (False, False)
    assert crc["error"].startswith("bad CRC: got 1C81, computed 1C80")
    assert crc["mn"] == "010000A8900016F000169DC0"  # still decoded, so people can see whose frame it was
    assert garbage["ok"] is False and "##" in garbage["error"]


def test_values_are_numbers(tmp_path):
    from ecowatch.hj212 import build_frame, make_cp, make_frame

    frame = make_frame(qn="20260101120000001", st="32", cn=2011, pw="123456", mn="MN0001", flag=4,
                       cp=make_cp(data_time="20260101120000",
                                  codes={"w01018": {"Rtd": 40.1, "Flag": "N"}, "w00000": {"Rtd": 12}}))
    [record] = decode(tmp_path, build_frame(frame).decode("utf-8"))
    assert record["ok"] is True
    assert record["data_time"] == "20260101120000"
    assert record["values"] == {"w01018": {"Rtd": 40.1, "Flag": "N"}, "w00000": {"Rtd": 12}}
