"""``ecowatch hj212 frames`` and ``ecowatch hj212 simulate`` against a real gateway; how frames become
values."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time

from gateway_helpers import MN, PW, Device, register, trusted_mns
from typer.testing import CliRunner

from ecowatch.cli import app
from ecowatch.gateway.simulator import percentile
from ecowatch.hj212 import make_cp, make_frame
from ecowatch.store.hj212_values import KeptFrame, measurement_rows

runner = CliRunner()
RECEIVED = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def kept(
    cn: int, values: dict, *, version: str = "2017", data_time: str | None = "20260301080000"
) -> KeptFrame:
    return KeptFrame(
        "d",
        MN,
        "q",
        "22",
        cn,
        5,
        version,
        None,
        None,
        data_time,
        make_cp(data_time, None, values).text,
        "",
        "",
        RECEIVED,
        3,
    )


def test_interval_and_main_suffix_follow_the_cn():
    values = {
        "a21026": {
            "Rtd": 1.5,
            "ZsRtd": 1.9,
            "Avg": 2.5,
            "ZsAvg": 3.1,
            "Max": 4,
            "Cou": 7,
            "Flag": "D",
            "EFlag": "B1",
        }
    }
    assert [(r[1], r[3], r[4], r[5]) for r in measurement_rows(kept(2011, values))] == [
        ("rtd", "a21026", 1.5, "D"),
        ("rtd", "a21026-Cou", 7.0, "D"),
        ("rtd", "a21026-ZsRtd", 1.9, "D"),
    ]
    assert [(r[1], r[3], r[4]) for r in measurement_rows(kept(2031, values))] == [
        ("1d", "a21026", 2.5),
        ("1d", "a21026-Cou", 7.0),
        ("1d", "a21026-ZsAvg", 3.1),
    ]
    assert measurement_rows(kept(9015, values)) == []
    assert measurement_rows(kept(2061, values, data_time=None)) == []
    assert measurement_rows(kept(2061, values, data_time="20261301000000")) == []


def test_2005_codes_become_2017_codes_and_text_values_are_kept_as_notes():
    rows = measurement_rows(
        kept(2051, {"02": {"Avg": 3.0}, "011": {"Avg": "---", "Flag": "N"}}, version="2005")
    )
    assert [(r[2], r[3], r[4], r[5], r[6]) for r in rows] == [
        (dt.datetime(2026, 3, 1, 0, 0), "a21026", 3.0, None, None),
        (dt.datetime(2026, 3, 1, 0, 0), "w01018", None, "N", "not a number: '---'"),
    ]


def test_percentile_nearest_rank():
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile(list(range(1, 101)), 99) == 99
    assert percentile([], 99) == 0.0


def test_frames_json_prints_what_was_kept_once(sqlite_url, start_gateway):
    register(sqlite_url, (MN, PW, "2017", None))
    gateway = start_gateway(sqlite_url)
    device = Device(gateway.port)
    raw = make_frame(
        st="22",
        cn=2061,
        pw=PW,
        mn=MN,
        qn="20260301110000001",
        flag=5,
        cp="DataTime=20260301100000;a34004-Avg=35,a34004-Flag=N",
    ).raw
    device.send(raw + raw)
    assert len(device.replies(2)) == 2
    gateway.stop()
    result = runner.invoke(app, ["hj212", "frames", "--db", sqlite_url, "--json"])
    assert result.exit_code == 0, result.output
    frames = json.loads(result.stdout)
    assert len(frames) == 1
    received = frames[0].pop("received_at")
    assert received.endswith("Z") and dt.datetime.fromisoformat(received) > RECEIVED
    assert frames == [
        {
            "mn": MN,
            "qn": "20260301110000001",
            "cn": "2061",
            "data_time": "20260301100000",
            "values": {"a34004": {"Avg": 35, "Flag": "N"}},
            "review": None,
        }
    ]
    other = runner.invoke(app, ["hj212", "frames", "--db", sqlite_url, "--mn", "NOPE", "--json"])
    assert json.loads(other.stdout) == []
    table = runner.invoke(app, ["hj212", "frames", "--db", sqlite_url])
    assert "1 frames kept" in table.stdout and "a34004 Avg=35,Flag=N" in table.stdout


def test_simulate_sends_checks_replies_and_reports(sqlite_url, start_gateway):
    gateway = start_gateway(sqlite_url)
    result = runner.invoke(
        app,
        [
            "hj212",
            "simulate",
            "--port",
            str(gateway.port),
            "--devices",
            "5",
            "--rate",
            "100",
            "--duration",
            "1",
            "--db",
            sqlite_url,
            "--version",
            "2025",
            "--json",
            "--warmup",
            "--keep",
        ],
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["connected"] == 5
    assert figures["sent"] == 100
    assert figures["acknowledged"] == 100
    assert figures["lost"] == 0
    assert 0 < figures["p50_ms"] <= figures["p90_ms"] <= figures["p99_ms"]
    gateway.stop()
    frames = json.loads(runner.invoke(app, ["hj212", "frames", "--db", sqlite_url, "--json"]).stdout)
    assert len(frames) == 105  # the warm-up frame of each device, then the 100
    assert {f["cn"] for f in frames} == {"2051"}


def test_simulate_against_nothing_fails_clearly(sqlite_url):
    result = runner.invoke(
        app,
        [
            "hj212",
            "simulate",
            "--port",
            "1",
            "--devices",
            "2",
            "--rate",
            "10",
            "--duration",
            "0.2",
            "--no-register",
        ],
    )
    assert result.exit_code == 1
    assert "0 of 2 devices connected" in " ".join(result.stdout.split())


def test_run_devices_sends_real_time_data_of_each_edition_until_cancelled(sqlite_url, start_gateway):
    from ecowatch.gateway.simulator import run_devices

    devices = [
        ("DEMO2017", "pw-2017", "2017", None),
        ("DEMO2025", "pw-2025", "2025", "00112233445566778899aabbccddeeff"),
        ("DEMO2005", "pw-2005", "2005", None),
    ]
    register(sqlite_url, *devices)
    gateway = start_gateway(sqlite_url)
    now = dt.datetime(2026, 3, 1, 2, 0, 5, tzinfo=dt.UTC)

    async def run_briefly() -> None:
        task = asyncio.create_task(
            run_devices(host="127.0.0.1", port=gateway.port, devices=devices, interval_s=0.2, now=lambda: now)
        )
        # Three Argon2 checks (one per device) come first; each device's first round is its CN 2011
        # and CN 2061 together, accepted once its credentials are.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
            trusted_mns(gateway.gateway) == {mn for mn, *_ in devices}
            and gateway.gateway.stats.frames_kept >= 2 * len(devices)
        ):
            await asyncio.sleep(0.02)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(run_briefly())
    gateway.stop()
    frames = json.loads(runner.invoke(app, ["hj212", "frames", "--db", sqlite_url, "--json"]).stdout)
    assert {f["mn"] for f in frames} == {"DEMO2017", "DEMO2025", "DEMO2005"}
    # Beijing time; the hour that ended before the start, once per device
    assert {(f["cn"], f["data_time"]) for f in frames} == {
        ("2011", "20260301100005"),
        ("2061", "20260301090000"),
    }
    assert sorted(f["mn"] for f in frames if f["cn"] == "2061") == ["DEMO2005", "DEMO2017", "DEMO2025"]
    demo_2005 = next(f for f in frames if f["mn"] == "DEMO2005" and f["cn"] == "2011")
    assert set(demo_2005["values"]) == {"01", "02", "03", "S01", "S02", "S03", "B02"}
