"""``ecowatch serve`` end to end: one real process with the web API, the HJ 212 gateway and the
scheduler, driven over real sockets on 127.0.0.1 — a device's frame is acknowledged and its value is
then served by the API; Ctrl-C stops everything cleanly."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ecowatch.hj212 import make_frame, parse_frame

ECOWATCH = str(Path(sys.executable).with_name("ecowatch"))
MN, PW, SITE = "SERVETEST000000001", "dev-pass", "SERVE-1"


def _run(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([ECOWATCH, *args], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def platform(tmp_path):
    """A running ``ecowatch serve`` on free ports: yields (web base URL, gateway port, env)."""
    env = {**os.environ, "ECOWATCH_DATA_DIR": str(tmp_path), "ECOWATCH_DB": f"sqlite:///{tmp_path / 'p.db'}"}
    _run("db", "upgrade", env=env)
    _run("users", "add", "--username", "chief", "--role", "admin", "--password", "chief-pass-1", env=env)
    _run("devices", "add", "--mn", MN, "--password", PW, "--site", SITE, env=env)
    process = subprocess.Popen(
        [ECOWATCH, "serve", "--port", "0", "--gateway-port", "0", "--journal", str(tmp_path / "journal")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    web = gateway = None
    seen = []
    deadline = time.monotonic() + 60
    while (web is None or gateway is None) and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if match := re.search(r"open (http://127\.0\.0\.1:\d+)/", line):
            web = match.group(1)
        if match := re.search(r"tcp://127\.0\.0\.1:(\d+)", line):
            gateway = int(match.group(1))
    assert web and gateway, "".join(seen)
    try:
        yield web, gateway, process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_frame_sent_to_the_gateway_is_served_by_the_api_and_ctrl_c_stops_cleanly(platform):
    web, gateway_port, process = platform
    frame = make_frame(
        st="22",
        cn=2011,
        pw=PW,
        mn=MN,
        qn="20261123101500001",
        flag=5,
        cp="DataTime=20261123101500;a34004-Rtd=35.2,a34004-Flag=N",
    )
    with socket.create_connection(("127.0.0.1", gateway_port), timeout=10) as device:
        device.sendall(frame.raw)
        reply = b""
        while not reply.endswith(b"\r\n"):
            chunk = device.recv(4096)
            assert chunk, "the gateway closed the connection without replying"
            reply += chunk
    answer = parse_frame(reply)
    assert (answer.cn, answer.mn, answer.qn) == (9014, MN, "20261123101500001")

    with httpx.Client(base_url=web, timeout=10) as client:
        assert client.get("/api/v1/openapi.json").status_code == 200
        token = client.post("/api/v1/auth/token", json={"username": "chief", "password": "chief-pass-1"})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        rows = []
        for _ in range(50):  # the gateway applies its journal to the store in batches
            page = client.get(
                "/api/v1/measurements", params={"site": SITE, "interval": "rtd"}, headers=headers
            )
            assert page.status_code == 200, page.text
            rows = page.json()["items"]
            if rows:
                break
            time.sleep(0.2)
    assert [(r["pollutant"], r["value"], r["flag"], r["time"]) for r in rows] == [
        ("a34004", 35.2, "N", "2026-11-23T10:15:00+08:00")
    ]

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0


def test_idle_sockets_beyond_the_web_cap_get_503_not_a_stalled_server(tmp_path):
    """Issue 14: idle connections must not take the platform down. With ``--web-max-connections 3``,
    three idle sockets hold the web side's share; a fourth connection's request is answered 503 at once,
    and once the idle sockets go, requests are served again."""
    env = {**os.environ, "ECOWATCH_DATA_DIR": str(tmp_path), "ECOWATCH_DB": f"sqlite:///{tmp_path / 'w.db'}"}
    process = subprocess.Popen(
        [ECOWATCH, "serve", "--port", "0", "--gateway-port", "-1", "--web-max-connections", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        web = None
        deadline = time.monotonic() + 60
        while web is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            if match := re.search(r"open (http://127\.0\.0\.1:(\d+))/", line):
                web, port = match.group(1), int(match.group(2))
        assert web, "serve did not start"
        idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(3)]
        try:
            assert httpx.get(f"{web}/api/v1/openapi.json", timeout=10).status_code == 503
        finally:
            for sock in idle:
                sock.close()
        deadline = time.monotonic() + 10
        while (status := httpx.get(f"{web}/api/v1/openapi.json", timeout=10).status_code) == 503:
            assert time.monotonic() < deadline, "the web side stayed full after the idle sockets closed"
        assert status == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
