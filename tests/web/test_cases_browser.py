"""The cases pages in real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

The closed loop of issue 16 ("Must show"), as people do it through the pages: a county user uploads
evidence and submits, a city user pre-examines, a province user closes; the case's timeline then shows
all three, with who, when, the move, from → to, the reason and the evidence's name and SHA-256.  The
store is the web fixture store with the batch of ``test_api_cases.py`` ("now" 2026-05-04 09:00 Beijing).
Screenshots go to ``test-output/screenshots/`` (desktop and 390 px phone width), and the Chinese text of
the pages is checked against tofu boxes (no CJK system font on this machine: the vendored Noto Sans SC).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

import httpx
import pytest
from playwright import sync_api
from test_api_cases import NOW, SHA256_ABC, add_cases_to, add_petitions
from test_map_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PAGE_FONT,
    TEST_OUTPUT,
    TOFU,
    WAIT_MS,
    PageRun,
    page_run,
    served,
)

from ecowatch.cases.service import move_case
from ecowatch.clock import BEIJING
from ecowatch.store import make_engine, session_factory

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
    ),
    pytest.mark.parametrize("fresh_store_url", ["sqlite"], indirect=True),
]

SCREENSHOTS = TEST_OUTPUT / "screenshots"

#: Every non-ASCII text node of the page (visible ones), with the font family it is drawn in.
PAGE_TEXTS = """() => {
    const out = {};
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode;
        const text = node.textContent.trim();
        const element = node.parentElement;
        if (!text || !/[^\\x00-\\x7f]/.test(text) || !element.checkVisibility()) continue;
        out[text] = getComputedStyle(element).fontFamily;
    }
    return out;
}"""
#: For each text: whether, drawn on a canvas in ``family`` (its font slices loaded first), it differs
#: from as many tofu boxes, i.e. was drawn with real glyphs.
DRAWN_WITH_GLYPHS = """async ([texts, family, tofu]) => {
    await document.fonts.load('32px "Noto Sans SC"', texts.join(''));
    const draw = (text) => {
        const canvas = document.createElement('canvas');
        canvas.width = 40 * [...text].length + 16; canvas.height = 48;
        const context = canvas.getContext('2d');
        context.font = `32px ${family}`;
        context.fillText(text, 4, 36);
        return canvas.toDataURL();
    };
    const out = {};
    for (const text of texts) {
        const chinese = [...text].filter(c => /[\\u3000-\\u9fff\\uff00-\\uffef]/.test(c)).join('');
        out[text] = chinese === '' || draw(chinese) !== draw(tofu.repeat([...chinese].length));
    }
    return out;
}"""


def assert_no_tofu(run: PageRun) -> dict[str, str]:
    texts = run.page.evaluate(PAGE_TEXTS)
    assert texts, "the page shows no Chinese text at all"
    assert {family for family in texts.values()} == {PAGE_FONT}, texts
    drawn = run.page.evaluate(DRAWN_WITH_GLYPHS, [sorted(texts), PAGE_FONT, TOFU])
    assert [text for text, glyphs in drawn.items() if not glyphs] == [], "drawn as tofu"
    return texts


@pytest.fixture
def cases_server(fresh_store_url, fresh_app, monkeypatch) -> Iterator[str]:
    monkeypatch.setenv("ECOWATCH_NOW", NOW)
    add_cases_to(fresh_store_url)
    with served(fresh_app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def sign_in_at(run: PageRun, path: str, username: str, password: str) -> None:
    """Open ``path`` signed out, sign in through its form, wait for the page's data."""
    run.page.goto(run.base_url + path)
    run.testid("login").wait_for(state="visible")
    run.testid("username").fill(username)
    run.testid("password").fill(password)
    run.testid("sign-in").click()
    run.page.locator('[data-testid="app"][data-state="loaded"]').wait_for()


def sign_out(run: PageRun) -> None:
    run.testid("sign-out").click()
    run.testid("login").wait_for(state="visible")


def moves_offered(run: PageRun) -> list[str]:
    return run.page.eval_on_selector_all(
        '[data-testid="move-buttons"] button', "buttons => buttons.map(b => b.dataset.action)"
    )


def make_move(run: PageRun, action: str, to_state: str, reason: str = "", files=()) -> None:
    if reason:
        run.testid("move-reason").fill(reason)
    if files:
        run.testid("move-evidence").set_input_files(
            [{"name": name, "mimeType": "image/jpeg", "buffer": content} for name, content in files]
        )
        assert run.testid("move-files").inner_text() == "、".join(name for name, _ in files)
    run.testid(f"move-{action}").click()
    run.page.locator(f'[data-testid="case"][data-state="{to_state}"]').wait_for()


def timeline(run: PageRun) -> list[dict]:
    return run.page.eval_on_selector_all(
        '[data-testid="timeline-entry"]',
        """items => items.map(i => ({
            seq: i.dataset.seq, action: i.dataset.action,
            user: i.querySelector('[data-testid=timeline-user]').textContent,
            time: i.querySelector('time').textContent,
            text: i.querySelector('.head').textContent,
            reason: i.querySelector('[data-testid=timeline-reason]')?.textContent ?? null,
            evidence: [...i.querySelectorAll('[data-testid=timeline-evidence]')].map(e => e.textContent),
        }))""",
    )


def test_county_submits_city_preexamines_province_closes_in_the_browser(
    browser, cases_server, web_fixture_data
):
    password_of = web_fixture_data["password_of"]
    with page_run(browser, cases_server) as run:
        # The county user opens the case from the list.
        sign_in_at(run, "/cases", "chaoyang", password_of("chaoyang"))
        rows = run.page.eval_on_selector_all(
            '[data-testid="case-row"]', "rows => rows.map(r => [r.dataset.code, r.innerText.split('\\t')])"
        )
        assert [code for code, _ in rows] == ["CY-001"]
        assert rows[0][1][1:] == [
            "朝阳区某化工厂废水直排",
            "整改任务 rectification",
            "ZY-2026-1",
            "朝阳区（110105）",
            "整改中 rectifying",
            "2026-06-30",
            "14",
            "—",
        ]
        assert run.testid("as-of").inner_text() == "数据时间 2026-05-04 09:00（北京时间）"
        run.page.locator('[data-testid="case-row"] [data-testid="case-link"]').click()
        run.page.wait_for_url("**/cases/CY-001")
        run.page.locator('[data-testid="app"][data-state="loaded"]').wait_for()
        assert moves_offered(run) == ["submit"]
        nodes = run.page.eval_on_selector_all(
            '[data-testid="node-row"]', "rows => rows.map(r => r.innerText.split('\\t'))"
        )
        assert nodes == [
            ["1", "2026-04-20", "提交整改方案", "未完成", "14", "标记完成"],
            ["2", "2026-06-30", "完成整改", "未完成", "0", "标记完成"],
        ]
        make_move(run, "submit", "submitted", "已完成截污纳管，附整改后照片", [("整改后照片.jpg", b"abc")])
        assert run.testid("notice").inner_text() == "已提交销号 submit：整改中 rectifying → 已提交 submitted"
        assert moves_offered(run) == []
        sign_out(run)

        # The city user pre-examines: the page offers pre-examination and return, nothing else.
        sign_in_at(run, "/cases/CY-001", "bjcity", password_of("bjcity"))
        assert moves_offered(run) == ["preexamine", "return"]
        make_move(run, "preexamine", "pre_examined", "资料齐全，同意报送销号")
        sign_out(run)

        # The province user closes.
        sign_in_at(run, "/cases/CY-001", "bj", password_of("bj"))
        assert moves_offered(run) == ["close", "return"]
        make_move(run, "close", "closed", "审核通过，予以销号")
        assert moves_offered(run) == ["reopen"]

        entries = timeline(run)
        assert [(e["seq"], e["user"], e["action"]) for e in entries] == [
            ("1", "admin", "assign"),
            ("2", "admin", "start"),
            ("3", "chaoyang", "submit"),
            ("4", "bjcity", "preexamine"),
            ("5", "bj", "close"),
        ]
        submit, preexamine, close = entries[2:]
        assert submit["text"] == (
            "#3 2026-05-04 09:00 · chaoyang · 提交销号 submit · 整改中 rectifying → 已提交 submitted"
        )
        assert submit["reason"] == "已完成截污纳管，附整改后照片"
        assert submit["evidence"] == [f"整改后照片.jpg SHA-256 {SHA256_ABC[:12]}…"]
        # The evidence file itself, downloaded from the timeline.
        with run.page.expect_download() as download:
            run.page.locator('[data-testid="evidence-file"]').click()
        assert download.value.suggested_filename == "整改后照片.jpg"
        assert download.value.path().read_bytes() == b"abc"
        assert preexamine["text"].endswith("预审 pre-examine · 已提交 submitted → 已预审 pre-examined")
        assert close["text"].endswith("销号 close · 已预审 pre-examined → 已销号 closed")
        assert close["reason"] == "审核通过，予以销号"
        assert_no_tofu(run)
        run.screenshot(SCREENSHOTS / "case-closed-zh.png")

        # The same timeline in English.
        run.testid("lang-switch").click()
        assert run.page.locator('[data-testid="timeline-entry"][data-seq="5"] .head').inner_text() == (
            "#5 2026-05-04 09:00 · bj · close · pre-examined → closed"
        )
        run.screenshot(SCREENSHOTS / "case-closed-en.png")
        run.page.evaluate("localStorage.removeItem('ecowatch.language')")
        run.assert_stayed_local()
        assert run.errors == []


def run_escalation(base_url: str, password: str) -> dict:
    """The escalation run an admin starts through the API (as the scheduler does daily)."""
    token = httpx.post(
        base_url + "/api/v1/auth/token", json={"username": "admin", "password": password}
    ).json()["access_token"]
    return httpx.post(
        base_url + "/api/v1/cases/escalate", headers={"Authorization": f"Bearer {token}"}
    ).json()


def test_board_and_overdue_list_with_escalation_steps(browser, cases_server, web_fixture_data):
    recorded = run_escalation(cases_server, web_fixture_data["password_of"]("admin"))
    assert [(s["case"], s["step"]) for s in recorded["steps"]] == [
        ("CY-001", "notice"),
        ("SJZ-001", "notice"),
        ("SJZ-001", "interview"),
        ("SJZ-001", "listed"),
    ]
    with page_run(browser, cases_server) as run:
        sign_in_at(run, "/cases/overdue", "admin", web_fixture_data["password_of"]("admin"))
        rows = run.page.eval_on_selector_all(
            '[data-testid="overdue-row"]', "rows => rows.map(r => r.innerText.split('\\t'))"
        )
        assert rows == [
            [
                "SJZ-001",
                "长安区工地扬尘",
                "长安区（130102）",
                "整改中 rectifying",
                "2026-03-31（整改时限）",
                "34",
                "挂牌督办 listed",
            ],
            [
                "CY-001",
                "朝阳区某化工厂废水直排",
                "朝阳区（110105）",
                "整改中 rectifying",
                "2026-04-20（节点 1）",
                "14",
                "通报 notice",
            ],
        ]
        assert_no_tofu(run)
        run.screenshot(SCREENSHOTS / "cases-overdue-zh.png")

        run.testid("nav-board").click()
        run.page.wait_for_url("**/cases/board")
        run.page.locator('[data-testid="app"][data-state="loaded"]').wait_for()
        counts = run.page.eval_on_selector_all(
            '[data-testid="board-column"]',
            "cols => cols.map(c => [c.dataset.state,"
            " c.querySelector('[data-testid=board-count]').textContent])",
        )
        assert counts == [
            ["registered", "1"],
            ["assigned", "0"],
            ["rectifying", "3"],
            ["submitted", "0"],
            ["pre_examined", "0"],
            ["closed", "0"],
        ]
        assert_no_tofu(run)
        run.screenshot(SCREENSHOTS / "cases-board-zh.png")

        # The batch's statistics, itemised per region, and the trend.
        run.testid("nav-stats").click()
        run.page.wait_for_url("**/cases/stats")
        run.page.locator('[data-testid="app"][data-state="loaded"]').wait_for()
        cards = {
            name: run.testid(name).inner_text()
            for name in ("card-total", "card-closed", "card-on-schedule", "card-overdue", "card-rate")
        }
        assert cards == {
            "card-total": "4",
            "card-closed": "0",
            "card-on-schedule": "2",
            "card-overdue": "2",
            "card-rate": "0.0%",
        }
        header = run.page.eval_on_selector_all(
            '[data-testid="list-region"] th', "cells => cells.map(c => c.innerText)"
        )
        assert header == [
            "区域",
            "总数",
            "已销号",
            "按期推进",
            "逾期",
            "销号率",
            "预警 warning",
            "通报 notice",
            "约谈 interview",
            "挂牌督办 listed",
            "移交问责 accountability",
        ]
        by_region = run.page.eval_on_selector_all(
            '[data-testid="list-region-row"]', "rows => rows.map(r => r.innerText.split('\\t'))"
        )
        # Each case's highest step: CY-001 a notice, SJZ-001 listed.
        assert by_region == [
            ["北京（110100）", "1", "0", "1", "0", "0.0%", "0", "0", "0", "0", "0"],
            ["朝阳区（110105）", "1", "0", "0", "1", "0.0%", "0", "1", "0", "0", "0"],
            ["海淀区（110108）", "1", "0", "1", "0", "0.0%", "0", "0", "0", "0", "0"],
            ["长安区（130102）", "1", "0", "0", "1", "0.0%", "0", "0", "0", "1", "0"],
        ]
        trend = run.page.eval_on_selector_all(
            '[data-testid="trend-row"]', "rows => rows.map(r => r.innerText.split('\\t'))"
        )
        assert trend == [["2026-03", "4", "0", "0"]]
        with run.page.expect_download() as download:
            run.testid("region-xlsx").click()
        assert download.value.suggested_filename == "cases-ZY-2026-1-by-region.xlsx"
        assert_no_tofu(run)
        run.screenshot(SCREENSHOTS / "cases-stats-zh.png")

        # Back to the map from the header, and from the map's header to the cases.
        run.testid("map-link").click()
        run.page.wait_for_url(run.base_url + "/")
        run.page.locator('[data-testid="cases-link"]').click()
        run.page.wait_for_url("**/cases")
        run.page.locator('[data-testid="app"][data-state="loaded"]').wait_for()
        assert run.page.locator('[data-testid="case-row"]').count() == 4
        run.assert_stayed_local()
        assert run.errors == []


def test_the_filters_narrow_the_list_and_an_unknown_path_gets_the_not_found_page(
    browser, cases_server, web_fixture_data
):
    with page_run(browser, cases_server) as run:
        sign_in_at(run, "/cases", "bj", web_fixture_data["password_of"]("bj"))
        assert run.page.locator('[data-testid="case-row"]').count() == 3
        run.testid("f-overdue").check()
        run.testid("f-apply").click()
        run.page.wait_for_url("**/cases?overdue=true")
        run.page.wait_for_function("() => document.querySelectorAll('[data-testid=case-row]').length === 1")
        assert run.page.locator('[data-testid="case-row"]').get_attribute("data-code") == "CY-001"
        run.testid("f-overdue").uncheck()
        # Regions by name, indented under the region above them.
        options = run.page.eval_on_selector_all(
            '[data-testid="f-region"] option', "options => options.map(o => [o.value, o.textContent])"
        )
        assert options == [
            ["", "全部"],
            ["110000", "北京市（110000）"],
            ["110100", "　北京（110100）"],
            ["110105", "　　朝阳区（110105）"],
            ["110108", "　　海淀区（110108）"],
        ]
        run.testid("f-region").select_option("110108")
        run.testid("f-apply").click()
        run.page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=case-row]')]"
            ".map(r => r.dataset.code).join() === 'HD-001'"
        )
        run.testid("f-region").select_option("")
        run.testid("f-state").select_option("registered")
        run.testid("f-apply").click()
        run.page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=case-row]')]"
            ".map(r => r.dataset.code).join() === 'BJ-001'"
        )
        # A case of another province: the API's 404 as a message, the person still signed in.
        run.page.goto(run.base_url + "/cases/SJZ-001")
        run.testid("message").wait_for(state="visible")
        assert run.testid("message").inner_text() == "未找到：case 'SJZ-001': no such case"
        assert run.testid("login").is_hidden()
        response = run.page.goto(run.base_url + "/cases/CY-001/nothing-here")
        assert response.status == 404
        run.testid("not-found").wait_for()
        assert all("404" in error for error in run.errors), run.errors


def test_a_county_user_reads_the_notice_of_its_overdue_case(browser, cases_server, web_fixture_data):
    run_escalation(cases_server, web_fixture_data["password_of"]("admin"))
    with page_run(browser, cases_server) as run:
        sign_in_at(run, "/cases", "chaoyang", web_fixture_data["password_of"]("chaoyang"))
        assert run.testid("unread").inner_text() == "1"
        run.testid("nav-notifications").click()
        run.page.wait_for_url("**/cases/notifications")
        run.page.locator('[data-testid="app"][data-state="loaded"]').wait_for()
        notes = run.page.locator('[data-testid="notification"]')
        assert notes.count() == 1
        assert (notes.get_attribute("data-case"), notes.get_attribute("data-step")) == ("CY-001", "notice")
        assert notes.locator(".note-title").inner_text().startswith("【通报 notice】CY-001")
        assert notes.locator(".note-meta").inner_text() == "CY-001 · 通报 notice · 2026-05-04 09:00 · 未读"
        assert run.testid("notifications-total").inner_text() == "共 1 条，未读 1 条"
        assert_no_tofu(run)
        run.screenshot(SCREENSHOTS / "cases-notifications-zh.png")
        run.testid("read-all").click()
        run.page.wait_for_function("() => !document.querySelector('[data-testid=notification].unread')")
        assert run.testid("unread").is_hidden()
        assert run.testid("notifications-total").inner_text() == "共 1 条，未读 0 条"
        assert run.errors == []


def test_a_province_user_stage_closes_a_petition_and_records_the_visit(
    browser, cases_server, fresh_store_url, web_fixture_data
):
    add_petitions(fresh_store_url)
    engine = make_engine(fresh_store_url)
    try:
        with session_factory(engine).begin() as session:
            at = dt.datetime(2026, 4, 1, 10, tzinfo=BEIJING)
            for action, files in (
                ("assign", ()),
                ("start", ()),
                ("submit", [("报告.pdf", b"abc")]),
                ("preexamine", ()),
            ):
                move_case(
                    session=session, code="PT-001", action=action, username="admin", now=at, evidence=files
                )
    finally:
        engine.dispose()
    with page_run(browser, cases_server) as run:
        sign_in_at(run, "/cases/PT-001", "bj", web_fixture_data["password_of"]("bj"))
        box = run.testid("petition")
        assert box.is_visible()
        facts = run.page.eval_on_selector_all(
            '[data-testid="petition-facts"] dd', "items => items.map(i => i.innerText)"
        )
        # Received 03-02, to accept by 03-17; accepted on assign (04-01), to handle within 60 days.
        assert facts == [
            "2026-03-02 09:00",
            "2026-03-17",
            "2026-04-01 10:00",
            "2026-05-31",
            "无",
            "无",
            "无",
            "无",
        ]
        assert run.testid("visit-form").is_hidden()  # a visit follows the closing
        run.testid("outcome-select").select_option("stage_closed")
        run.testid("outcome-save").click()
        run.page.wait_for_function(
            "() => document.querySelectorAll('[data-testid=petition-facts] dd')[5]"
            ".innerText.startsWith('阶段性办结')"
        )
        make_move(run, "close", "closed", "阶段性答复群众")
        run.testid("visit-finding").fill("群众仍反映夜间有噪声")
        run.testid("visit-save").click()
        run.testid("visit").wait_for()
        assert run.testid("visit").inner_text() == "2026-05-04 09:00 · bj · 群众不满意 · 群众仍反映夜间有噪声"
        facts = run.page.eval_on_selector_all(
            '[data-testid="petition-facts"] dd', "items => items.map(i => i.innerText)"
        )
        assert facts[4:6] == ["2026-05-04 09:00", "阶段性办结 stage-closed"]
        assert moves_offered(run) == ["reopen"]
        assert_no_tofu(run)
        run.screenshot(SCREENSHOTS / "case-petition-zh.png")
        assert run.errors == []


@contextlib.contextmanager
def phone(browser, base_url: str) -> Iterator[PageRun]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        timezone_id="UTC",
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(WAIT_MS)
    try:
        yield PageRun(context.new_page(), base_url)
    finally:
        context.close()


def test_a_phone_width_shows_the_case_and_the_list_without_sideways_scrolling(
    browser, cases_server, web_fixture_data
):
    with phone(browser, cases_server) as run:
        sign_in_at(run, "/cases/CY-001", "chaoyang", web_fixture_data["password_of"]("chaoyang"))
        assert moves_offered(run) == ["submit"]
        make_move(run, "submit", "submitted", "现场已整改", [("现场照片.jpg", b"abc")])
        assert run.page.evaluate("document.documentElement.scrollWidth") <= 390
        box = run.testid("timeline").bounding_box()
        assert box["width"] >= 300, box  # the timeline uses the width, not a strip
        assert_no_tofu(run)
        run.screenshot(SCREENSHOTS / "case-phone-390.png")
        run.testid("nav-list").click()
        run.page.wait_for_url("**/cases")
        run.page.locator('[data-testid="app"][data-state="loaded"]').wait_for()
        assert run.page.evaluate("document.documentElement.scrollWidth") <= 390
        run.screenshot(SCREENSHOTS / "cases-list-phone-390.png")
        assert run.errors == []
