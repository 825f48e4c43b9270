"""One sign-in for the map and the cases pages (web/static/session.js), in real headless Chromium:
signed in on one page is signed in on the other, signing out on one signs out of both, and a
refused password or a lapsed token reads the same on both."""

from __future__ import annotations

import pytest
from test_cases_browser import browser, cases_server  # noqa: F401 (fixtures)
from test_map_browser import CHROMIUM, page_run

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
    ),
    pytest.mark.parametrize("fresh_store_url", ["sqlite"], indirect=True),
]

SAVED = "sessionStorage.getItem('ecowatch.token')"


def test_signed_in_on_the_map_is_signed_in_on_the_cases_pages_and_out_of_both(
    browser,  # noqa: F811
    cases_server,  # noqa: F811
    web_fixture_data,
):
    with page_run(browser, cases_server) as run:
        run.sign_in_and_wait("chaoyang", web_fixture_data["password_of"]("chaoyang"))
        assert run.page.evaluate(f"JSON.parse({SAVED}).user.username") == "chaoyang"

        run.page.goto(cases_server + "/cases")
        run.page.locator('[data-testid="app"][data-state="loaded"]').wait_for()
        assert run.testid("login").is_hidden()
        assert run.testid("user").inner_text().startswith("chaoyang（")

        run.testid("sign-out").click()
        run.testid("login").wait_for(state="visible")
        assert run.page.evaluate(SAVED) is None
        run.page.goto(cases_server + "/")
        run.testid("login").wait_for(state="visible")
        assert run.testid("app").is_hidden() and run.testid("message").is_hidden()
        run.assert_stayed_local()
        assert run.errors == []


def test_a_wrong_password_and_a_lapsed_token_read_the_same_on_both_pages(
    browser,  # noqa: F811
    cases_server,  # noqa: F811
):
    lapsed = {
        "access_token": "x",
        "token_type": "bearer",
        "expires_at": "2016-01-01T00:00:00Z",
        "user": {"username": "bj", "role": "province", "region": "110000", "enterprise": None},
    }
    with page_run(browser, cases_server) as run:
        for path in ("/", "/cases"):
            run.page.goto(cases_server + path)
            run.testid("username").fill("bj")
            run.testid("password").fill("not-the-password")
            run.testid("sign-in").click()
            message = run.testid("message")
            message.wait_for(state="visible")
            assert message.inner_text() == "用户名或密码错误。", path
            assert run.testid("sign-in").inner_text() == "登录" and run.testid("sign-in").is_enabled()
            assert run.page.evaluate(SAVED) is None

            run.page.evaluate(
                "saved => sessionStorage.setItem('ecowatch.token', JSON.stringify(saved))", lapsed
            )
            run.page.reload()
            run.testid("login").wait_for(state="visible")
            message.wait_for(state="visible")
            assert message.inner_text() == "登录已过期，请重新登录。", path
            assert run.page.evaluate(SAVED) is None
        # The only errors logged are the browser's own lines for the refused sign-ins (401).
        assert all("401" in error for error in run.errors), run.errors
