"""E-mail of escalation steps over a real SMTP server on 127.0.0.1 (aiosmtpd): plain, STARTTLS with a
sign-in, implicit TLS; the message as received (subject, recipients, UTF-8 body); what a relay's
refusals look like to the sender; the ``ECOWATCH_SMTP_*`` settings."""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl

import pytest
from smtp_inbox import SENDER, smtp_server

from ecowatch.cases.notify import Mailer, Notice, SmtpSettings, email_message, levels_told
from ecowatch.clock import BEIJING
from ecowatch.errors import InputError

AT = dt.datetime(2026, 4, 16, 0, 5, tzinfo=BEIJING)

NOTICE = Notice(
    case="ZY-2026-017",
    title="某化工园区废水直排未整改",
    step="interview",
    node=1,
    node_task="提交整改方案",
    due=dt.date(2026, 3, 31),
    days=16,
    deadline=dt.date(2026, 6, 30),
    region="北京市朝阳区 (110105)",
    lead_unit="朝阳区生态环境局",
    text="约谈：ZY-2026-017 已逾期 16 天 / interview: ZY-2026-017, 16 days overdue",
)

# Written out by hand from the brief's fields (Chinese first, English beside), not printed by the code.
EXPECTED_SUBJECT = "【约谈 interview】ZY-2026-017 逾期 16 天 / 16 days overdue：某化工园区废水直排未整改"
EXPECTED_BODY = """【约谈 interview】ZY-2026-017 逾期 16 天 / 16 days overdue：某化工园区废水直排未整改

案件 Case: ZY-2026-017
问题 Title: 某化工园区废水直排未整改
步骤 Step: 约谈 interview
节点 Node: 节点 1 提交整改方案 / node 1, due 2026-03-31
逾期天数 Days overdue: 16
到期日 Due: 2026-03-31
整改时限 Deadline: 2026-06-30
区域 Region: 北京市朝阳区 (110105)
责任单位 Lead unit: 朝阳区生态环境局

约谈：ZY-2026-017 已逾期 16 天 / interview: ZY-2026-017, 16 days overdue

—— ecowatch 生态环境监管平台 / ecological-environment supervision platform
"""


def send(env: dict[str, str], to: str = "chaoyang@example.cn") -> None:
    settings = SmtpSettings.from_environment(env)
    assert settings is not None
    message = email_message(
        settings, to=to, subject=NOTICE.subject, body=NOTICE.body, at=AT, key="case-notification-1"
    )
    with Mailer(settings) as mailer:
        mailer.send(message)


def test_the_message_as_received_plain(tmp_path):
    with smtp_server(tmp_path) as relay:
        send(relay.env)
    [got] = relay.inbox.received
    assert got.mail_from == SENDER
    assert got.rcpt_tos == ["chaoyang@example.cn"]
    assert got.message["Subject"] == EXPECTED_SUBJECT
    assert got.message["To"] == "chaoyang@example.cn"
    assert got.message["From"] == SENDER
    assert got.message["Auto-Submitted"] == "auto-generated"
    assert got.message["Message-ID"].endswith("@example.cn>")
    assert "case-notification-1" in got.message["Message-ID"]
    assert got.message.get_content_type() == "text/plain"
    assert got.message.get_content_charset() == "utf-8"
    assert got.body == EXPECTED_BODY
    # Beijing 00:05 on the 16th is 16:05 UTC on the 15th: the Date header keeps the offset it is given.
    assert got.message["Date"].datetime == dt.datetime(2026, 4, 15, 16, 5, tzinfo=dt.UTC)


def test_starttls_and_sign_in(tmp_path):
    with smtp_server(tmp_path, security="starttls", users={"ecowatch": "s3cret pass"}) as relay:
        send(relay.env)
    assert relay.inbox.logins == ["ecowatch"]
    assert [r.message["Subject"] for r in relay.inbox.received] == [EXPECTED_SUBJECT]


def test_implicit_tls(tmp_path):
    with smtp_server(tmp_path, security="ssl") as relay:
        send(relay.env)
    assert [r.body for r in relay.inbox.received] == [EXPECTED_BODY]


def test_a_wrong_password_is_refused(tmp_path):
    with (
        smtp_server(tmp_path, security="starttls", users={"ecowatch": "right"}) as relay,
        pytest.raises(smtplib.SMTPAuthenticationError),
    ):
        send(relay.env | {"ECOWATCH_SMTP_PASSWORD": "wrong"})
    assert relay.inbox.received == []


def test_a_relay_whose_certificate_is_not_trusted_gets_nothing(tmp_path):
    with smtp_server(tmp_path, security="starttls") as relay:
        env = {k: v for k, v in relay.env.items() if k != "ECOWATCH_SMTP_CAFILE"}
        with pytest.raises(ssl.SSLCertVerificationError):
            send(env)
    assert relay.inbox.received == []


def test_a_refused_recipient(tmp_path):
    with smtp_server(tmp_path) as relay:
        relay.inbox.refuse.add("gone@example.cn")
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            send(relay.env, to="gone@example.cn")
        send(relay.env)
    assert [r.rcpt_tos for r in relay.inbox.received] == [["chaoyang@example.cn"]]


def test_warning_and_deadline_wording():
    warning = Notice(
        case="ZY-9", title="扬尘", step="warning", node=None, due=dt.date(2026, 5, 3), days=-2,
        deadline=dt.date(2026, 5, 3),
    )  # fmt: skip
    assert warning.subject == "【预警 warning】ZY-9 2 天后到期 / due in 2 days：扬尘"
    assert "节点 Node: 整改时限 case deadline 2026-05-03\n" in warning.body
    assert "逾期天数 Days overdue: 0\n" in warning.body
    one = Notice(
        case="ZY-9", title="扬尘", step="red-card", node=None, due=dt.date(2026, 5, 3), days=1,
        deadline=dt.date(2026, 5, 3),
    )  # fmt: skip
    assert one.subject == "【red-card】ZY-9 逾期 1 天 / 1 day overdue：扬尘"


def test_who_is_told_of_each_step():
    assert levels_told("warning", "county") == {"county", "city"}
    assert levels_told("notice", "county") == {"county", "city"}
    assert levels_told("notice", "city") == {"county", "city"}  # no county user contains a city
    assert levels_told("interview", "county") == {"county", "city", "province"}
    assert levels_told("accountability", "county") == {"county", "city", "province"}
    assert levels_told("warning", "province") == {"county", "city", "province"}


@pytest.mark.parametrize(
    ("env", "field", "words"),
    [
        ({"ECOWATCH_SMTP_SECURITY": "tls"}, "ECOWATCH_SMTP_SECURITY", "'tls' is not one of"),
        ({"ECOWATCH_SMTP_PORT": "70000"}, "ECOWATCH_SMTP_PORT", "'70000' is not a port"),
        ({"ECOWATCH_SMTP_FROM": ""}, "ECOWATCH_SMTP_FROM", "required"),
        ({"ECOWATCH_SMTP_FROM": "ecowatch"}, "ECOWATCH_SMTP_FROM", "not an e-mail address"),
        ({"ECOWATCH_SMTP_USER": "u", "ECOWATCH_SMTP_SECURITY": "none"}, "ECOWATCH_SMTP_USER", "in clear"),
        ({"ECOWATCH_SMTP_USER": "u"}, "ECOWATCH_SMTP_PASSWORD", "needs its password"),
        ({"ECOWATCH_SMTP_CAFILE": "/nonexistent/ca.pem"}, "ECOWATCH_SMTP_CAFILE", "no such file"),
    ],
)
def test_settings_errors_name_the_variable(env, field, words):
    base = {"ECOWATCH_SMTP_HOST": "mail.example.cn", "ECOWATCH_SMTP_FROM": SENDER}
    with pytest.raises(InputError) as error:
        SmtpSettings.from_environment(base | env)
    assert error.value.field == field
    assert words in str(error.value)


def test_settings_defaults():
    assert SmtpSettings.from_environment({}) is None
    assert SmtpSettings.from_environment({"ECOWATCH_SMTP_HOST": " "}) is None
    settings = SmtpSettings.from_environment(
        {"ECOWATCH_SMTP_HOST": "mail.example.cn", "ECOWATCH_SMTP_FROM": SENDER}
    )
    assert settings == SmtpSettings(host="mail.example.cn", sender=SENDER, port=587, security="starttls")
