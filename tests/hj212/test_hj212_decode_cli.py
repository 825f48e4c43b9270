"""`ecowatch hj212 decode FILE --json`: one record per line, keys as the issue's contract names them."""

import json

import pytest
from hj212_samples import SAMPLES
from typer.testing import CliRunner

from ecowatch.cli import app
from ecowatch.hj212.summary import SUMMARY_KEYS

# Sample S01 of shared/reference/hj212.md (HJ 212-2017 Table 12 example), CRC 1C80.
S01 = SAMPLES["S01"]


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
        "2017",
        "20160801085857223",
        "32",
        "1062",
        "100000",
    )
    assert (good["mn"], good["flag"], good["ack_requested"]) == ("010000A8900016F000169DC0", 5, True)
    assert (crc["ok"], crc["crc_ok"]) == (False, False)
    assert crc["error"].startswith("bad CRC: got 1C81, computed 1C80")
    assert crc["mn"] == "010000A8900016F000169DC0"  # still decoded, so people can see whose frame it was
    assert garbage["ok"] is False and "##" in garbage["error"]


def test_values_are_numbers(tmp_path):
    from ecowatch.hj212 import build_frame, make_cp, make_frame

    frame = make_frame(
        qn="20260101120000001",
        st="32",
        cn=2011,
        pw="123456",
        mn="MN0001",
        flag=4,
        cp=make_cp(
            data_time="20260101120000", codes={"w01018": {"Rtd": 40.1, "Flag": "N"}, "w00000": {"Rtd": 12}}
        ),
    )
    [record] = decode(tmp_path, build_frame(frame).decode("utf-8"))
    assert record["ok"] is True
    assert record["data_time"] == "20260101120000"
    assert record["values"] == {"w01018": {"Rtd": 40.1, "Flag": "N"}, "w00000": {"Rtd": 12}}


def run(args: list[str]):
    return CliRunner().invoke(app, ["hj212", "decode", *args])


def test_keys_decrypt_2025_frames(tmp_path):
    from hj212_samples import SAMPLES

    frames = tmp_path / "frames.txt"
    frames.write_text(SAMPLES["B_A2_ENC"] + "\r\n" + SAMPLES["B_A3_ENC"] + "\n", encoding="utf-8")
    keys = tmp_path / "keys.csv"
    keys.write_text("mn,sm4_key_hex\n010000A8900016F000169DC0,30303030303030303030303030303030\n")
    result = run([str(frames), "--keys", str(keys), "--json"])
    assert result.exit_code == 0, result.output
    first, second = json.loads(result.stdout)
    assert all(tuple(r) == SUMMARY_KEYS for r in (first, second))
    assert (first["ok"], first["version"], first["cn"], first["flag"], first["data_time"]) == (
        True,
        "2025",
        "2051",
        9,
        "20240520210600",
    )
    assert first["values"]["a01014"] == {"Min": 3.20, "Avg": 3.211, "Max": 3.212, "Flag": "N"}
    assert second["values"]["a01014"]["Flag"] == "N"  # from the plaintext tail "g=N"
    # without keys: a precise error naming the device
    [plain] = json.loads(run([str(frames), "--json"]).stdout)[:1]
    assert plain["ok"] is False
    assert plain["error"] == "SM4-encrypted CP from MN=010000A8900016F000169DC0: no key for this MN"
    table = run([str(frames), "--keys", str(keys)])
    assert table.exit_code == 0 and "SM4-decrypted;" in table.stdout and "1128" in table.stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mn,key\nA,30303030303030303030303030303030\n", "line 1: header must be mn,sm4_key_hex, got mn,key"),
        ("mn,sm4_key_hex\nA,3030\n", "line 2, field sm4_key_hex: '3030' is not 32 hex digits"),
        ("mn,sm4_key_hex\n\nA,303030303030303030303030303030zz\n", "line 3, field sm4_key_hex: "),
        ("mn,sm4_key_hex\n,30303030303030303030303030303030\n", "line 2, field mn: empty"),
        ("mn,sm4_key_hex\nA,30303030303030303030303030303030,x\n", "line 2: expected 2 fields"),
        (
            "mn,sm4_key_hex\nA,30303030303030303030303030303030\nA,31313131313131313131313131313131\n",
            "line 3, field mn: A already has another key on line 2",
        ),
    ],
)
def test_bad_key_files_name_line_and_field(tmp_path, text, message):
    frames = tmp_path / "frames.txt"
    frames.write_text(S01 + "\n")
    keys = tmp_path / "keys.csv"
    keys.write_text(text)
    result = run([str(frames), "--keys", str(keys), "--json"])
    assert result.exit_code == 2
    assert f"{keys} {message}" in " ".join(result.stderr.split()) or f"{keys} {message}" in result.stderr


def test_hj212_2005_codes_are_named_from_the_code_tables(tmp_path):
    """2005 gas codes print their Annex B names and units: ``02`` is SO2, ``S02`` the flue-gas velocity
    (HJ 212-2017 Table B.2, 原编码 column: a21026 ← 02, a01011 ← S02), not a second SO2."""
    from ecowatch.hj212 import format_crc, hj212_crc16

    segment = (
        "ST=31;CN=2011;PW=123456;MN=88888880000001;CP=&&DataTime=20160103133030;"
        "01-Rtd=4.1,01-Flag=N;02-Rtd=18.5,02-Flag=N;S02-Rtd=11.2,S02-Flag=N;B02-Rtd=33.5,B02-Flag=N&&"
    )
    raw = f"##{len(segment):04d}{segment}{format_crc(hj212_crc16(segment.encode()))}"
    path = tmp_path / "frames-2005.txt"
    path.write_text(raw + "\r\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["hj212", "decode", str(path)], env={"COLUMNS": "220"})
    assert result.exit_code == 0, result.output
    rows = {
        line.split("│")[5].strip(): [cell.strip() for cell in line.split("│")[5:8]]
        for line in result.stdout.splitlines()
        if line.count("│") >= 9 and "→" in line
    }
    assert rows == {
        "01 → a34013": ["01 → a34013", "烟尘 (smoke dust)", "mg/m³"],
        "02 → a21026": ["02 → a21026", "二氧化硫 (SO2)", "mg/m³"],
        "S02 → a01011": ["S02 → a01011", "烟气流速 (flue-gas velocity)", "m/s"],
        "B02 → a00000": ["B02 → a00000", "废气 (flue-gas flow)", "m³/s"],
    }
    assert "?" not in result.stdout
