"""Connections under attack (issue 14): a cap below the open-file limit, a per-address cap, eviction
of connections without credentials, an idle timeout restarted by frames and not bytes, and
``accept()`` errors reported once, not as a traceback storm.  Over TCP on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

from gateway_helpers import MN, PW, Device, register, wait_for
from test_gateway_auth import From, upload

from ecowatch.gateway.limits import RESERVED_DESCRIPTORS, connection_budget


def test_the_cap_leaves_descriptors_for_the_web_side():
    assert connection_budget(20_000, open_file_limit=20_000) == 16_000  # a fifth kept back
    assert connection_budget(20_000, open_file_limit=4_096) == 4_096 - RESERVED_DESCRIPTORS
    assert connection_budget(20_000, open_file_limit=1_000_000) == 20_000  # the requested cap
    assert connection_budget(100, open_file_limit=1_024) == 16  # a tiny limit still serves a few


def test_at_the_cap_the_oldest_connection_without_credentials_makes_room(sqlite_url, start_gateway):
    register(sqlite_url, (MN, PW, "2017", None))
    gateway = start_gateway(sqlite_url, max_connections=3)
    device = Device(gateway.port)
    device.send(upload("20260101000000001"))
    assert [r.cn for r in device.replies(1)] == [9014]
    idle = [Device(gateway.port), Device(gateway.port)]
    assert wait_for(lambda: gateway.gateway.stats.connections_open == 3)
    newcomer = Device(gateway.port)
    assert idle[0].closed_by_peer(timeout=3)  # the oldest idle one, not the device
    newcomer.send(upload("20260101000000002"))
    assert [r.cn for r in newcomer.replies(1)] == [9014]
    device.send(upload("20260101000000003"))
    assert [r.cn for r in device.replies(1)] == [9014]
    assert gateway.gateway.stats.connections_evicted == 1
    for each in (device, newcomer, idle[1]):
        each.close()


def test_one_address_cannot_take_more_than_its_share(sqlite_url, start_gateway):
    register(sqlite_url, (MN, PW, "2017", None))
    gateway = start_gateway(sqlite_url, max_per_address=2)
    flood = [From(gateway.port, "127.0.0.7") for _ in range(2)]
    assert wait_for(lambda: gateway.gateway.stats.connections_open == 2)
    third = From(gateway.port, "127.0.0.7")
    assert flood[0].closed_by_peer(timeout=3)  # its own oldest goes
    assert wait_for(lambda: gateway.gateway._per_address == {"127.0.0.7": 2})
    device = Device(gateway.port)  # another address is not affected
    device.send(upload("20260101000000001"))
    assert [r.cn for r in device.replies(1)] == [9014]
    for each in (device, third, flood[1]):
        each.close()
    assert wait_for(lambda: gateway.gateway._per_address == {})
    assert gateway.gateway._unauthenticated_from == {} and not gateway.gateway._unauthenticated


def test_per_address_cap_refuses_when_all_have_credentials(sqlite_url, start_gateway):
    register(sqlite_url, (MN, PW, "2017", None))
    gateway = start_gateway(sqlite_url, max_per_address=1)
    device = Device(gateway.port)
    device.send(upload("20260101000000001"))
    assert [r.cn for r in device.replies(1)] == [9014]
    second = Device(gateway.port)
    assert second.closed_by_peer(timeout=3)
    assert gateway.gateway.stats.connections_refused == 1
    device.close()


def test_bytes_do_not_keep_a_connection_frames_do(sqlite_url, start_gateway):
    """A byte every 0.1 s does not hold a socket past the idle timeout; a frame every 0.3 s does."""
    register(sqlite_url, (MN, PW, "2017", None))
    gateway = start_gateway(sqlite_url, idle_timeout_s=0.8, unauthenticated_timeout_s=30)
    trickle, device = Device(gateway.port), Device(gateway.port)
    for each, qn in ((trickle, "20260101000000001"), (device, "20260101000000002")):
        each.send(upload(qn))
        assert [r.cn for r in each.replies(1)] == [9014]
    started = time.monotonic()
    closed = False
    tick = 0
    while time.monotonic() - started < 2.5 and not closed:
        try:
            trickle.send(b"#")  # the start of a frame that never ends
        except OSError:
            closed = True
        if tick % 3 == 0:
            device.send(upload(f"2026010100000{tick + 3:04d}"))
            assert [r.cn for r in device.replies(1)] == [9014]
        tick += 1
        time.sleep(0.1)  # the pace of the trickle, not a wait for an event
    assert closed or trickle.closed_by_peer(timeout=3)
    assert time.monotonic() - started >= 0.7
    device.send(upload("20260101000009999"))
    assert [r.cn for r in device.replies(1)] == [9014]
    assert gateway.gateway.stats.idle_closed == 1
    device.close()


def test_a_connection_without_credentials_is_closed_sooner(sqlite_url, start_gateway):
    register(sqlite_url, (MN, PW, "2017", None))
    gateway = start_gateway(sqlite_url, idle_timeout_s=60, unauthenticated_timeout_s=0.4)
    device, silent = Device(gateway.port), Device(gateway.port)
    device.send(upload("20260101000000001"))
    assert [r.cn for r in device.replies(1)] == [9014]
    wrong = Device(gateway.port)
    wrong.send(upload("20260101000000002", pw="nope"))  # frames, but no valid credentials
    assert [r.cn for r in wrong.replies(1)] == [9011]
    assert silent.closed_by_peer(timeout=5)
    assert wrong.closed_by_peer(timeout=5)
    device.send(upload("20260101000000003"))
    assert [r.cn for r in device.replies(1)] == [9014]
    assert gateway.gateway.stats.idle_closed == 2
    device.close()


ACCEPT_STORM = textwrap.dedent("""
    import asyncio, logging, os, socket, sys, time
    from pathlib import Path
    from ecowatch.gateway.server import Gateway

    logging.basicConfig(level=logging.INFO, format="LOG %(levelname)s %(message)s", stream=sys.stdout)

    async def main():
        folder = Path(sys.argv[1])
        gateway = Gateway(f"sqlite:///{folder / 'store.db'}", folder / "journal", store_process=False)
        await gateway.start("127.0.0.1", 0)
        hog = []
        try:  # the web side has taken every descriptor
            while True:
                hog.append(os.open("/dev/null", os.O_RDONLY))
        except OSError:
            pass
        for _ in range(3):  # descriptors for three client sockets in this process, none for accept()
            os.close(hog.pop())
        clients = []
        for _ in range(3):
            client = socket.socket()
            client.setblocking(False)
            try:
                client.connect(("127.0.0.1", gateway.port))
            except BlockingIOError:
                pass
            clients.append(client)
        await asyncio.sleep(2.5)  # asyncio retries accept() every second: the storm would run meanwhile
        for fd in hog:
            os.close(fd)
        print("accept errors", gateway.stats.accept_errors)
        await gateway.stop()

    asyncio.run(main())
""")


def test_accept_errors_are_logged_once_not_as_a_traceback_storm(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import resource; resource.setrlimit(resource.RLIMIT_NOFILE, "
            "(256, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))\n" + ACCEPT_STORM,
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout + result.stderr
    errors = int(out.split("accept errors ")[1].split()[0])
    assert errors >= 2  # asyncio reported failed accept() calls (once per waiting connection, each second)...
    logged = [line for line in out.splitlines() if "accept() failed" in line]
    assert len(logged) == 1, out  # ...and they made one line
    assert "Too many open files" in logged[0]
    assert "Traceback" not in out, out
