"""Crash safety: a real ``ecowatch gateway`` process killed with SIGKILL under load, restarted; every frame it
acknowledged is in the store afterwards, exactly once (SQLite and PostgreSQL)."""

from __future__ import annotations

import collections
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from gateway_helpers import wait_for
from sqlalchemy import func, select

from ecowatch.gateway.simulator import make_upload, register_simulated_devices, simulated_devices
from ecowatch.hj212 import Frame, FrameDecoder
from ecowatch.store import make_engine, session_factory
from ecowatch.store.frames import frame_values_query, list_frames
from ecowatch.store.hj212_values import frame_measurements
from ecowatch.store.models import Measurement

ECOWATCH = Path(sys.executable).parent / "ecowatch"
LISTENING = re.compile(r"listening on 127\.0\.0\.1:(\d+) .*?(\d+) frames replayed")


def start(url: str, journal: Path, env: dict[str, str]) -> tuple[subprocess.Popen, int, int]:
    process = subprocess.Popen(
        [
            str(ECOWATCH),
            "gateway",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--db",
            url,
            "--journal",
            str(journal),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        found = LISTENING.search(line)
        if found:
            threading.Thread(target=process.stdout.read, daemon=True).start()  # keep the pipe drained
            return process, int(found.group(1)), int(found.group(2))
    process.kill()
    raise AssertionError("gateway did not start:\n" + "".join(lines))


def device_loop(port: int, device, acked: list, sent: list, stop: threading.Event) -> None:
    """Send frames one after the other, each after the previous reply (HJ 212-2017 C.48); record the
    QNs acknowledged.  Ends when the gateway goes away."""
    rng = random.Random(device.mn)
    decoder = FrameDecoder()
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError:
        return
    number = 0
    with sock:
        while not stop.is_set():
            qn, raw = make_upload(device, number, rng)
            number += 1
            try:
                sock.sendall(raw)
                sent.append((device.mn, qn))
                while True:
                    chunk = sock.recv(4096)
                    if not chunk:
                        return
                    decoder.feed(chunk)
                    replies = [e for e in decoder.events() if isinstance(e, Frame)]
                    if replies:
                        assert [(r.cn, r.qn) for r in replies] == [(9014, qn)]
                        acked.append((device.mn, qn))
                        break
            except OSError:
                return


def test_kill_9_under_load_then_restart_keeps_every_acknowledged_frame_once(db_url, tmp_path):
    env = {**os.environ, "ECOWATCH_DATA_DIR": str(tmp_path / "data")}
    devices = simulated_devices(12, prefix="CRASH")
    register_simulated_devices(db_url, devices)
    journal = tmp_path / "journal"
    process, port, replayed = start(db_url, journal, env)
    assert replayed == 0
    acked: list = []
    sent: list = []
    stop = threading.Event()
    threads = [threading.Thread(target=device_loop, args=(port, d, acked, sent, stop)) for d in devices]
    for thread in threads:
        thread.start()

    # Kill it under load, the devices still sending: once every device had a frame of each kind (every
    # 60th is hour data) acknowledged.
    def each_device_sent_an_hour() -> bool:
        per_device = collections.Counter(mn for mn, _ in acked)
        return len(per_device) == len(devices) and min(per_device.values()) > 60

    assert wait_for(each_device_sent_an_hour, timeout=60), f"only {len(acked)} frames acknowledged in 60 s"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)
    stop.set()
    for thread in threads:
        thread.join(10)
    assert len(acked) > 200, "the load was too light to test anything"

    process, port, replayed = start(db_url, journal, env)
    print(f"acknowledged {len(acked)}, replayed after the kill {replayed}")
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0

    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            frames = list_frames(session=session)
            kept = [(f["mn"], f["qn"]) for f in frames]
            values = session.scalar(select(func.count()).select_from(Measurement))
            minute_values = frame_measurements(session.execute(frame_values_query("min")))
    finally:
        engine.dispose()
    copies = collections.Counter(kept)
    assert [pair for pair in acked if copies[pair] != 1] == []
    assert max(copies.values()) == 1
    assert set(kept) <= set(sent)  # nothing invented
    # Each frame carries 7 factors: 7 averages + the flow's total -> 8 rows; the DataTimes differ per
    # frame of one device and the devices have a site each, so no two frames share a row. Hour data
    # are measurement rows, minute data are read from their frames.
    by_cn = collections.Counter(f["cn"] for f in frames)
    assert by_cn["2061"] > 0 and by_cn["2051"] > 0
    assert values == 8 * by_cn["2061"]
    assert len(minute_values) == 8 * by_cn["2051"]
