"""Telling people of escalation steps: in the platform, and by e-mail over SMTP when configured.

Each escalation step the scheduler records (:func:`ecowatch.cases.service.escalate`) is told to the
staff users whose region contains the case's region, at the levels the step concerns
(:func:`levels_told`, decision C-notify in ``docs/decisions.md``):

- :func:`record_notifications` is the service's ``on_steps_recorded`` hook: it adds one platform
  notification per step and recipient *in the escalation's own transaction*, so a step is never
  recorded without its notifications, nor notified without being recorded;
- :func:`send_pending_emails` runs after that transaction has committed (an outbox): it sends each
  notification not yet e-mailed to its recipient's address over SMTP (:class:`SmtpSettings`, from the
  ``ECOWATCH_SMTP_*`` environment variables; no host, no e-mail), marks it sent, or counts the failed
  attempt and its reason for a later run (:data:`RETRY_AFTER`). A relay that is down or refuses a
  message never loses the notification in the platform and never stops the scheduler.

The message (:func:`compose`) is Chinese first with English beside it: the case's code and title, the
step (预警 warning, 通报 notice, 约谈 interview, 挂牌督办 listed, 移交问责 accountability), the node the
ladder counts on, the days overdue, the due date and the case deadline, and the ladder's own text of
the step [Issue16]_ [Wuhu2019]_ [Guangyuan2018]_.

>>> import datetime as dt
>>> notice = Notice(case="ZY-2026-017", title="化工园区废水直排", step="notice", node=1,
...                 node_task="提交整改方案", due=dt.date(2026, 3, 31), days=16,
...                 deadline=dt.date(2026, 6, 30), region="北京市朝阳区 (110105)",
...                 lead_unit="朝阳区生态环境局")
>>> notice.subject
'【通报 notice】ZY-2026-017 逾期 16 天 / 16 days overdue：化工园区废水直排'
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from types import MappingProxyType
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from ecowatch.cases import labels
from ecowatch.cases.errors import CaseInputError
from ecowatch.cases.escalation import StepKind, beijing_days_past
from ecowatch.cases.models import Case, CaseNotification
from ecowatch.cases.service import RecordedStep, escalate
from ecowatch.clock import as_utc
from ecowatch.errors import InputError
from ecowatch.store.db import SQLITE_IMMEDIATE
from ecowatch.store.models import Region, User

__all__ = [
    "EMAIL_BATCH",
    "LEVELS",
    "MAX_EMAIL_AGE",
    "MAX_EMAIL_ATTEMPTS",
    "RETRY_AFTER",
    "SMTP_VARIABLES",
    "STEP_LEVELS",
    "STEP_NAMES",
    "EmailRun",
    "Mailer",
    "Notice",
    "SmtpSettings",
    "StaffDirectory",
    "compose",
    "email_message",
    "escalate_and_notify",
    "levels_told",
    "notice_of",
    "recipients",
    "record_notifications",
    "retry_due",
    "send_pending_emails",
    "step_label",
]

log = logging.getLogger("ecowatch.cases.notify")

#: The Chinese names alone of the default ladder's steps (from :data:`ecowatch.cases.labels.STEP_NAMES`,
#: where the steps are named once) [Issue16]_; a batch's own steps keep their names.
STEP_NAMES: Mapping[str, str] = MappingProxyType(
    {step: name.split(" ", 1)[0] for step, name in labels.STEP_NAMES.items()}
)

#: The staff levels, from the lowest.
LEVELS: tuple[str, ...] = ("county", "city", "province")

#: The staff levels told of each step of the default ladder (decision C-notify): a warning and a notice
#: concern the lead unit and the city that supervises it (the 周通报 names overdue units to them
#: [Wuhu2019]_); an interview, listing and transfer for accountability are the province's acts on the
#: lower levels' heads [Guangyuan2018]_ [Yueyang2018]_, so the province is told as well.
STEP_LEVELS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        StepKind.warning: frozenset({"county", "city"}),
        StepKind.notice: frozenset({"county", "city"}),
        StepKind.interview: frozenset(LEVELS),
        StepKind.listed: frozenset(LEVELS),
        StepKind.accountability: frozenset(LEVELS),
    }
)


def step_label(step: str) -> str:
    """The step as people read it, Chinese first: ``"通报 notice"``; a batch's own step: its name.

    >>> step_label("listed"), STEP_NAMES["listed"]
    ('挂牌督办 listed', '挂牌督办')
    """
    return labels.label(labels.STEP_NAMES, step)


def levels_told(step: str, case_level: str) -> frozenset[str]:
    """The staff levels told of ``step`` of a case whose region is at ``case_level``.

    The step's levels (:data:`STEP_LEVELS`; every level for a step of a batch's own ladder, whose
    meaning the platform cannot know), and always the case's own level: a case of a city or a
    province has no county above it, and a step told to nobody would be no step at all.

    >>> sorted(levels_told("warning", "county")), sorted(levels_told("warning", "province"))
    (['city', 'county'], ['city', 'county', 'province'])
    >>> sorted(levels_told("red-card", "county"))
    ['city', 'county', 'province']
    """
    return STEP_LEVELS.get(step, frozenset(LEVELS)) | {case_level}


@dataclass(frozen=True, slots=True)
class Notice:
    """What a notification says of one step of one case.

    ``node`` is the node the ladder counts on (None: the case deadline) and ``node_task`` its
    deliverable; ``due`` its due date; ``days`` whole Beijing days past it (negative before);
    ``region`` the case's region as people read it (name and code); ``text`` the ladder's text of the
    step, already filled in.
    """

    case: str
    title: str
    step: str
    node: int | None
    due: dt.date
    days: int
    deadline: dt.date
    region: str = ""
    lead_unit: str = ""
    node_task: str = ""
    text: str = ""

    @property
    def lateness(self) -> str:
        """How late: ``"逾期 16 天 / 16 days overdue"``, ``"今日到期 / due today"`` or
        ``"2 天后到期 / due in 2 days"``."""
        if self.days > 0:
            return f"逾期 {self.days} 天 / {self.days} day{'s' * (self.days != 1)} overdue"
        if self.days == 0:
            return "今日到期 / due today"
        ahead = -self.days
        return f"{ahead} 天后到期 / due in {ahead} day{'s' * (ahead != 1)}"

    @property
    def subject(self) -> str:
        """The e-mail subject and the notification's title (one line)."""
        title = self.title if len(self.title) <= 40 else self.title[:39] + "…"
        return f"【{step_label(self.step)}】{self.case} {self.lateness}：{title}"

    @property
    def node_line(self) -> str:
        if self.node is None:
            return f"整改时限 case deadline {self.deadline.isoformat()}"
        task = f" {self.node_task}" if self.node_task else ""
        return f"节点 {self.node}{task} / node {self.node}, due {self.due.isoformat()}"

    @property
    def body(self) -> str:
        """The message, Chinese first with English, one field a line."""
        lines = [
            self.subject,
            "",
            f"案件 Case: {self.case}",
            f"问题 Title: {self.title}",
            f"步骤 Step: {step_label(self.step)}",
            f"节点 Node: {self.node_line}",
            f"逾期天数 Days overdue: {max(self.days, 0)}",
            f"到期日 Due: {self.due.isoformat()}",
            f"整改时限 Deadline: {self.deadline.isoformat()}",
        ]
        if self.region:
            lines.append(f"区域 Region: {self.region}")
        if self.lead_unit:
            lines.append(f"责任单位 Lead unit: {self.lead_unit}")
        if self.text:
            lines += ["", self.text]
        lines += ["", "—— ecowatch 生态环境监管平台 / ecological-environment supervision platform"]
        return "\n".join(lines) + "\n"


def compose(notice: Notice) -> tuple[str, str]:
    """The subject and body of ``notice`` (:attr:`Notice.subject`, :attr:`Notice.body`)."""
    return notice.subject, notice.body


# -- e-mail over SMTP ----------------------------------------------------------------------------

#: The environment variables of :meth:`SmtpSettings.from_environment`.
SMTP_VARIABLES: Mapping[str, str] = MappingProxyType(
    {
        "ECOWATCH_SMTP_HOST": "the relay's host name; unset or empty: no e-mail is sent",
        "ECOWATCH_SMTP_PORT": "its port (default 587 with starttls, 465 with ssl, 25 with none)",
        "ECOWATCH_SMTP_FROM": "the sender address (required with a host)",
        "ECOWATCH_SMTP_SECURITY": "starttls (default), ssl (TLS from the first byte) or none",
        "ECOWATCH_SMTP_USER": "the user to sign in as (optional; needs starttls or ssl)",
        "ECOWATCH_SMTP_PASSWORD": "its password",
        "ECOWATCH_SMTP_CAFILE": "a PEM file of the CAs to trust instead of the system's (optional)",
    }
)

Security = Literal["starttls", "ssl", "none"]
_DEFAULT_PORTS: Mapping[str, int] = MappingProxyType({"starttls": 587, "ssl": 465, "none": 25})


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to send e-mail. ``security``: ``starttls`` (RFC 3207 on a plain connection),
    ``ssl`` (implicit TLS, RFC 8314) or ``none`` (a relay on the same host or network); the relay's
    certificate is checked against the system's CAs, or those of ``cafile``."""

    host: str
    sender: str
    port: int = 587
    security: Security = "starttls"
    username: str | None = None
    password: str | None = None
    cafile: str | None = None
    timeout_s: float = 30.0

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> SmtpSettings | None:
        """The settings of the ``ECOWATCH_SMTP_*`` variables (:data:`SMTP_VARIABLES`); None when no host
        is set. A bad value raises :class:`~ecowatch.errors.InputError` naming the variable.

        >>> SmtpSettings.from_environment({"ECOWATCH_SMTP_HOST": "mail.example.cn"})
        Traceback (most recent call last):
        ...
        ecowatch.errors.InputError: field ECOWATCH_SMTP_FROM: the sender address is required with a host
        >>> SmtpSettings.from_environment({"ECOWATCH_SMTP_HOST": "mail.example.cn",
        ...     "ECOWATCH_SMTP_FROM": "ecowatch@example.cn", "ECOWATCH_SMTP_SECURITY": "ssl"}).port
        465
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str:
            return env.get(f"ECOWATCH_SMTP_{name}", "").strip()

        host = get("HOST")
        if not host:
            return None
        security = get("SECURITY").lower() or "starttls"
        if security not in _DEFAULT_PORTS:
            raise InputError(
                f"{security!r} is not one of starttls, ssl, none", field="ECOWATCH_SMTP_SECURITY"
            )
        port_text = get("PORT")
        if port_text:
            if not port_text.isdigit() or not 0 < int(port_text) < 65536:
                raise InputError(f"{port_text!r} is not a port (1 to 65535)", field="ECOWATCH_SMTP_PORT")
            port = int(port_text)
        else:
            port = _DEFAULT_PORTS[security]
        sender = get("FROM")
        if not sender:
            raise InputError("the sender address is required with a host", field="ECOWATCH_SMTP_FROM")
        if "@" not in sender:
            raise InputError(f"{sender!r} is not an e-mail address", field="ECOWATCH_SMTP_FROM")
        username = get("USER") or None
        password = env.get("ECOWATCH_SMTP_PASSWORD") or None  # spaces may be part of a password
        if username and security == "none":
            raise InputError(
                "signing in needs ECOWATCH_SMTP_SECURITY starttls or ssl: the password would cross the "
                "network in clear",
                field="ECOWATCH_SMTP_USER",
            )
        if username and password is None:
            raise InputError("a user needs its password", field="ECOWATCH_SMTP_PASSWORD")
        cafile = get("CAFILE") or None
        if cafile and not os.path.isfile(cafile):
            raise InputError(f"no such file {cafile!r}", field="ECOWATCH_SMTP_CAFILE")
        return cls(
            host=host,
            sender=sender,
            port=port,
            security=security,  # type: ignore[arg-type]  # checked against _DEFAULT_PORTS above
            username=username,
            password=password,
            cafile=cafile,
        )

    def tls_context(self) -> ssl.SSLContext:
        """The TLS context checking the relay's certificate and name."""
        return ssl.create_default_context(cafile=self.cafile)


def email_message(
    settings: SmtpSettings, *, to: str, subject: str, body: str, at: dt.datetime, key: str
) -> EmailMessage:
    """One plain-text UTF-8 message of ``settings.sender`` to ``to``.

    ``key`` makes its Message-ID (the same notification sent again keeps it, so a mail system can drop
    a copy); ``Auto-Submitted: auto-generated`` (RFC 3834) keeps out-of-office replies away.
    """
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(at)
    domain = settings.sender.rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(idstring=key, domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body, charset="utf-8")
    return message


class Mailer:
    """One connection to the relay, signed in when a user is set; a context manager.

    >>> settings = SmtpSettings(host="127.0.0.1", sender="ecowatch@example.cn", port=1, security="none")
    >>> with Mailer(settings) as mailer:  # nothing listens on port 1
    ...     pass
    Traceback (most recent call last):
    ...
    ConnectionRefusedError: [Errno 111] Connection refused
    """

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        s = self.settings
        smtp: smtplib.SMTP
        if s.security == "ssl":
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_s, context=s.tls_context())
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_s)
        try:
            smtp.ehlo()
            if s.security == "starttls":
                smtp.starttls(context=s.tls_context())
                smtp.ehlo()
            if s.username:
                smtp.login(s.username, s.password or "")
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return self

    def send(self, message: EmailMessage) -> None:
        """Send ``message``; :class:`smtplib.SMTPException` or :class:`OSError` when the relay refuses it
        or the connection fails (``SMTPRecipientsRefused`` when it refuses the recipient)."""
        if self._smtp is None:
            raise RuntimeError("Mailer.send outside its with block")
        self._smtp.send_message(message)

    def __exit__(self, *exc_info: object) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


# -- retries ---------------------------------------------------------------------------------------

#: Attempts at e-mailing one notification before giving up on it (it stays in the platform).
MAX_EMAIL_ATTEMPTS = 8

#: The waits between attempts, doubling from 5 minutes: attempt n + 1 is due once the first n waits
#: have passed since the notification was made (5 min, 15 min, 35 min, ... 10 h 35 min), so the 8
#: attempts see out a relay's night-long outage, without a column for the time of the last attempt.
RETRY_AFTER: Sequence[dt.timedelta] = tuple(
    dt.timedelta(minutes=5 * 2**n) for n in range(MAX_EMAIL_ATTEMPTS - 1)
)


def retry_due(attempts: int, created: dt.datetime, now: dt.datetime) -> bool:
    """Whether a notification made at ``created`` whose e-mail failed ``attempts`` times is to be tried
    (again) at ``now``: attempt n + 1 is due ``RETRY_AFTER[0] + ... + RETRY_AFTER[n - 1]`` after
    ``created``; none after :data:`MAX_EMAIL_ATTEMPTS`.

    >>> at = dt.datetime(2026, 5, 1, 0, 5, tzinfo=dt.UTC)
    >>> retry_due(0, at, at), retry_due(1, at, at + dt.timedelta(minutes=4))
    (True, False)
    >>> retry_due(2, at, at + dt.timedelta(minutes=15)), retry_due(8, at, at + dt.timedelta(days=2))
    (True, False)
    """
    if attempts >= MAX_EMAIL_ATTEMPTS:
        return False
    return now - created >= sum(RETRY_AFTER[:attempts], dt.timedelta())


# -- the store: notifications in the platform, and the e-mail outbox -----------------------------------

#: Notifications older than this are not e-mailed any more (they stay in the platform): a relay set up
#: long after, or back after a long outage, must not send a flood of stale steps.
MAX_EMAIL_AGE = dt.timedelta(days=3)
#: Notifications e-mailed in one run of the outbox at most (the rest wait for the next run).
EMAIL_BATCH = 500


@dataclass(frozen=True, slots=True)
class StaffDirectory:
    """Who may be told, read once per run: each region's parent and level, and the active staff users
    attached to each region (by user name). Two queries, however many steps the run records."""

    parents: Mapping[int, int | None]
    levels: Mapping[int, str]
    staff: Mapping[int, tuple[tuple[str, int, str], ...]]

    @classmethod
    def load(cls, session: Session) -> StaffDirectory:
        parents: dict[int, int | None] = {}
        levels: dict[int, str] = {}
        for region_id, parent_id, level in session.execute(select(Region.id, Region.parent_id, Region.level)):
            parents[region_id], levels[region_id] = parent_id, level
        staff: dict[int, list[tuple[str, int, str]]] = {}
        for username, user_id, role, region_id in session.execute(
            select(User.username, User.id, User.role, User.region_id).where(
                User.active.is_(True), User.role.in_(LEVELS), User.region_id.is_not(None)
            )
        ):
            staff.setdefault(region_id, []).append((username, user_id, role))
        return cls(parents, levels, {region: tuple(sorted(users)) for region, users in staff.items()})

    def told(self, region_id: int, step: str) -> list[int]:
        """The ids of the users told of ``step`` of a case of region ``region_id``, by user name: the
        staff of the region and the regions above it, at the levels :func:`levels_told` gives."""
        levels = levels_told(step, self.levels[region_id])
        found: list[tuple[str, int]] = []
        region: int | None = region_id
        for _ in range(len(LEVELS)):  # county > city > province
            if region is None:
                break
            found += [(name, user) for name, user, role in self.staff.get(region, ()) if role in levels]
            region = self.parents.get(region)
        return [user for _, user in sorted(found)]


def recipients(*, session: Session, region: Region, step: str) -> list[User]:
    """The active staff users told of ``step`` of a case of ``region``: those whose region is
    ``region`` or above it, at the levels :func:`levels_told` gives, by user name."""
    ids = StaffDirectory.load(session).told(region.id, step)
    users = {user.id: user for user in session.scalars(select(User).where(User.id.in_(ids)))}
    return [users[user_id] for user_id in ids]


def notice_of(case: Case, step: RecordedStep) -> Notice:
    """The :class:`Notice` of ``step`` of ``case``."""
    node = next((n for n in case.nodes if n.seq == step.node), None)
    return Notice(
        case=case.code,
        title=case.title,
        step=step.step,
        node=step.node,
        node_task=node.task if node is not None else "",
        due=step.due,
        days=beijing_days_past(step.due, step.at),
        deadline=case.deadline,
        region=f"{case.region.name} ({case.region.code})",
        lead_unit=case.lead_unit,
        text=step.text,
    )


def record_notifications(session: Session, steps: Sequence[RecordedStep], now: dt.datetime) -> None:
    """The ``on_steps_recorded`` hook of :func:`ecowatch.cases.service.escalate`: one notification per
    step and recipient (:func:`recipients`), added to ``session`` in the escalation's transaction.

    Steps of a dry run (no ``escalation_id``) are refused: a notification tells of a step recorded.
    ``now`` is the run's time, the notifications' ``created_at``.
    """
    if any(step.escalation_id is None for step in steps):
        raise CaseInputError("notifications: a step not recorded (a dry run) is not notified", field="steps")
    ids = sorted({step.case_id for step in steps})
    cases: dict[int, Case] = {}
    for start in range(0, len(ids), 500):  # a first run over a large store records steps of many cases
        cases.update(
            (case.id, case)
            for case in session.scalars(
                select(Case)
                .where(Case.id.in_(ids[start : start + 500]))
                .options(selectinload(Case.nodes), selectinload(Case.region))
            )
        )
    created = now.astimezone(dt.UTC)  # SQLite keeps a time's wall clock, not its offset: UTC throughout
    directory = StaffDirectory.load(session)
    added: list[CaseNotification] = []
    untold: list[str] = []
    for step in steps:
        case = cases[step.case_id]
        users = directory.told(case.region_id, step.step)
        if not users:
            untold.append(f"{case.code} {step.step}")
            continue
        notice = notice_of(case, step)
        added.extend(
            CaseNotification(
                user_id=user_id,
                case_id=case.id,
                escalation_id=step.escalation_id,
                step=step.step,
                node=step.node,
                title=notice.subject,
                body=notice.body,
                created_at=created,
                email_attempts=0,
            )
            for user_id in users
        )
    if untold:  # one line a run, not one a step: a store without staff for a region tells it every day
        log.warning(
            "%d escalation steps told to nobody (no active staff user at their levels in or above the "
            "case's region), e.g. %s",
            len(untold),
            ", ".join(untold[:5]),
        )
    session.add_all(added)
    session.flush()


def escalate_and_notify(*, session: Session, now: dt.datetime) -> list[RecordedStep]:
    """:func:`ecowatch.cases.service.escalate` with the notifications recorded in the same transaction
    (what the scheduler, ``ecowatch cases escalate`` and the API's escalation run call); the e-mail
    follows from the outbox (:func:`send_pending_emails`) once the caller has committed."""
    return escalate(session=session, now=now, on_steps_recorded=record_notifications)


@dataclass(frozen=True, slots=True)
class EmailRun:
    """What a run of the outbox did: messages sent, attempts failed (to be retried or given up),
    notifications left for a later run, and the first failure's reason (None when all went)."""

    sent: int = 0
    failed: int = 0
    left: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class _Outgoing:
    id: int
    to: str
    subject: str
    body: str
    created_at: dt.datetime


def _pending(session: Session, now: dt.datetime) -> tuple[list[_Outgoing], int]:
    """The notifications to e-mail now (oldest first, at most :data:`EMAIL_BATCH`), and how many more
    wait."""
    since = now - MAX_EMAIL_AGE
    rows = session.execute(
        select(
            CaseNotification.id,
            User.email,
            CaseNotification.title,
            CaseNotification.body,
            CaseNotification.created_at,
            CaseNotification.email_attempts,
        )
        .join(User, User.id == CaseNotification.user_id)
        .where(
            CaseNotification.emailed_at.is_(None),
            CaseNotification.email_attempts < MAX_EMAIL_ATTEMPTS,
            CaseNotification.created_at >= since,
            User.email.is_not(None),
            User.email != "",
            User.active.is_(True),
        )
        .order_by(CaseNotification.id)
    ).tuples()
    due = [
        _Outgoing(id_, email, title, body, as_utc(created))
        for id_, email, title, body, created, attempts in rows
        if email and retry_due(attempts, as_utc(created), now)
    ]
    return due[:EMAIL_BATCH], max(len(due) - EMAIL_BATCH, 0)


def _mark(sessions: sessionmaker[Session], ids: Sequence[int], now: dt.datetime, error: str | None) -> None:
    with sessions.begin() as session:
        # Read then written: on SQLite the transaction takes the write lock first, or another writer's
        # commit in between would fail it at once ("database is locked") instead of making it wait.
        immediate: Any = {SQLITE_IMMEDIATE: True}  # an option of ours, not among SQLAlchemy's typed keys
        session.connection(execution_options=immediate)
        for notification in session.scalars(select(CaseNotification).where(CaseNotification.id.in_(ids))):
            if error is None:
                notification.emailed_at = now
                notification.email_error = None
            else:
                notification.email_attempts += 1
                notification.email_error = error[:1000]


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def _reason(error: BaseException) -> str:
    """One line for the notification's ``email_error`` and the log: the relay's code and words."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()))
        return f"recipient refused: {code} {_text(text)}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{type(error).__name__}: {error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"


def send_pending_emails(
    *, sessions: sessionmaker[Session], settings: SmtpSettings, now: dt.datetime
) -> EmailRun:
    """E-mail the notifications not yet e-mailed whose retry is due, over one connection; each marked
    sent, or its failed attempt counted with the reason, in a transaction of its own after the relay's
    answer. Never raises for the relay: a connection that fails counts one attempt for every
    notification due and stops the run; a message the relay refuses counts one for it alone.

    ``sessions`` opens the transactions (none is held while talking to the relay).
    """
    now = now.astimezone(dt.UTC)
    with sessions() as session:
        outgoing, left = _pending(session, now)
    if not outgoing:
        return EmailRun(left=left)
    sent = failed = 0
    first_error: str | None = None
    try:
        with Mailer(settings) as mailer:
            for position, item in enumerate(outgoing):
                message = email_message(
                    settings,
                    to=item.to,
                    subject=item.subject,
                    body=item.body,
                    at=item.created_at,
                    key=f"case-notification-{item.id}",
                )
                try:
                    mailer.send(message)
                except (
                    smtplib.SMTPRecipientsRefused,
                    smtplib.SMTPDataError,
                    smtplib.SMTPSenderRefused,
                ) as error:
                    reason = _reason(error)
                    _mark(sessions, [item.id], now, reason)
                    failed += 1
                    first_error = first_error or reason
                    log.warning("notification %d to %s not e-mailed: %s", item.id, item.to, reason)
                    continue
                except (smtplib.SMTPException, OSError) as error:
                    # The connection is gone: this one and the rest wait for the next try.
                    reason = _reason(error)
                    rest = [o.id for o in outgoing[position:]]
                    _mark(sessions, rest, now, reason)
                    failed += len(rest)
                    first_error = first_error or reason
                    log.warning("e-mail relay %s:%d failed: %s", settings.host, settings.port, reason)
                    break
                _mark(sessions, [item.id], now, None)
                sent += 1
    except (smtplib.SMTPException, OSError) as error:  # connecting, signing in, or quitting
        reason = _reason(error)
        if sent + failed == 0:
            _mark(sessions, [o.id for o in outgoing], now, reason)
            failed = len(outgoing)
        first_error = first_error or reason
        log.warning("e-mail relay %s:%d failed: %s", settings.host, settings.port, reason)
    if sent:
        log.info("e-mailed %d case notifications", sent)
    return EmailRun(sent=sent, failed=failed, left=left, error=first_error)
