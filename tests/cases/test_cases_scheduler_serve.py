"""``ecowatch serve`` runs the cases' escalation at start (the catch-up) with ``ECOWATCH_NOW`` as its clock
and e-mails the steps to a real SMTP server on 127.0.0.1 (aiosmtpd); settings that cannot be used stop
it at once, naming the variable."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from smtp_inbox import smtp_server

from ecowatch.cases.service import CaseInput, NodeInput, add_cases
from ecowatch.clock import BEIJING
from ecowatch.store import make_engine, migrate, session_factory
from ecowatch.store.users import create_user, get_user, hash_password

ECOWATCH = str(Path(sys.executable).with_name("ecowatch"))


def prepare(url: str) -> None:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        with session_factory(engine).begin() as session:
            create_user(
                session=session,
                username="chaoyang",
                password_hash=hash_password("password-of-the-tests"),
                role="county",
                region_code="110105",
                actor="test",
            )
            user = get_user(session=session, username="chaoyang")
            assert user is not None
            user.email = "chaoyang@example.cn"
            add_cases(
                session=session,
                batch="2026-中央第三轮",
                kind="rectification",
                cases=[
                    CaseInput(
                        code="ZY-1",
                        title="废水直排",
                        region="110105",
                        lead_unit="朝阳区生态环境局",
                        deadline=dt.date(2026, 6, 30),
                        nodes=(NodeInput(dt.date(2026, 3, 31), "整改方案"),),
                    )
                ],
                actor="test",
                now=dt.datetime(2026, 3, 1, 9, tzinfo=BEIJING),
            )
    finally:
        engine.dispose()


def serve(tmp_path: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [ECOWATCH, "serve", "--port", "0", "--gateway-port", "-1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def test_serve_escalates_at_start_and_emails_the_steps(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    prepare(url)
    with smtp_server(tmp_path) as relay:
        env = {
            **os.environ,
            **relay.env,
            "ECOWATCH_DATA_DIR": str(tmp_path),
            "ECOWATCH_DB": url,
            "ECOWATCH_NOW": "2026-04-16T09:00:00+08:00",  # 16 days past node 1 (03-31)
        }
        process = serve(tmp_path, env)
        try:
            deadline = time.monotonic() + 90
            while len(relay.inbox.received) < 2 and time.monotonic() < deadline and process.poll() is None:
                time.sleep(0.1)
            received = list(relay.inbox.received)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                output, _ = process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                output, _ = process.communicate()
    assert [r.message["Subject"] for r in received] == [
        "【通报 notice】ZY-1 逾期 16 天 / 16 days overdue：废水直排",
        "【约谈 interview】ZY-1 逾期 16 天 / 16 days overdue：废水直排",
    ], output
    assert {tuple(r.rcpt_tos) for r in received} == {("chaoyang@example.cn",)}


def test_serve_refuses_smtp_settings_it_cannot_use(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    env = {
        **os.environ,
        "ECOWATCH_DATA_DIR": str(tmp_path),
        "ECOWATCH_DB": url,
        "ECOWATCH_SMTP_HOST": "127.0.0.1",
        "ECOWATCH_SMTP_FROM": "ecowatch@example.cn",
        "ECOWATCH_SMTP_SECURITY": "tls",
    }
    process = serve(tmp_path, env)
    try:
        output, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        raise AssertionError(f"serve kept running with unusable settings:\n{output}") from None
    assert process.returncode == 2
    assert "field ECOWATCH_SMTP_SECURITY: 'tls' is not one of starttls, ssl, none" in " ".join(output.split())
