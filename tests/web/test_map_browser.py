"""The map page in real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

The real app runs under uvicorn on a free 127.0.0.1 port over the SQLite fixture store of
``conftest.py`` (air stations with hourly values of the six pollutants).  Each test signs in
through the form, as a person would, and checks what the page shows against the API's own answer
and the standard's colours; every request the page made must have gone to that server.
Screenshots go to ``test-output/screenshots/`` at the repository root (git-ignored; the map in
Chinese and English for an admin and a district user, an outlet's chart, the phone width), and the
Chinese text the charts draw is checked against tofu boxes (issue 13, "Must show").
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright import sync_api

from ecowatch.standards import aqi_level

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TEST_OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
WAIT_MS = 15_000

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium "
        "(apt-get install chromium; .ci/chromium does it in CI)",
    ),
    # The browser runs against the SQLite store only: the API's PostgreSQL behaviour is the API tests' job.
    pytest.mark.parametrize("store_url", ["sqlite"], indirect=True),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def served(app) -> Iterator[str]:
    """``app`` served by uvicorn on a free 127.0.0.1 port in a thread of this process."""
    import uvicorn

    port = _free_port()
    # lifespan off: the app's engine is shared with the other web tests and must outlive this server.
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="map-test-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def base_url(app) -> Iterator[str]:
    with served(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageRun:
    """One browser page with a record of its requests and of the errors it logged."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on(
            "console", lambda message: self.errors.append(message.text) if message.type == "error" else None
        )
        page.on("pageerror", lambda error: self.errors.append(f"{error} {error.stack}"))

    def testid(self, name: str):
        return self.page.locator(f'[data-testid="{name}"]')

    def sign_in(self, username: str, password: str) -> None:
        self.page.goto(self.base_url + "/")
        self.testid("username").fill(username)
        self.testid("password").fill(password)
        self.testid("sign-in").click()

    def sign_in_and_wait(self, username: str, password: str) -> None:
        self.sign_in(username, password)
        self.page.wait_for_function(
            "() => { const m = document.querySelector('[data-testid=map]'); return m && m.dataset.markers; }",
            timeout=WAIT_MS,
        )

    def show_latest_data(self, at: str) -> None:
        """Click the note's button that shows the map at the latest data's hour ``at``;
        wait for the redraw."""
        self.testid("time-note").wait_for(state="visible")
        self.testid("at-latest").click()
        self.page.wait_for_function(
            """at => document.querySelector('[data-testid=as-of]').dataset.at === at
                    && document.querySelector('[data-testid=map]').dataset.markers""",
            arg=at,
            timeout=WAIT_MS,
        )

    def token(self) -> str:
        return json.loads(self.page.evaluate("sessionStorage.getItem('ecowatch.token')"))["access_token"]

    def api(self, path: str) -> dict:
        response = httpx.get(self.base_url + path, headers={"Authorization": f"Bearer {self.token()}"})
        response.raise_for_status()
        return response.json()

    def listed_sites(self) -> dict[str, str]:
        """Site code -> the colour the page gives it, from the accessible site list."""
        return self.page.eval_on_selector_all(
            '[data-testid="site-item"]',
            "items => Object.fromEntries(items.map(i => [i.dataset.code, i.dataset.colour]))",
        )

    def map_option(self) -> dict:
        return self.page.evaluate("""() => {
            const option = echarts.getInstanceByDom(document.querySelector('[data-testid=map]')).getOption();
            return {map: option.geo[0].map,
                    markers: option.series[0].data.map(d => ({code: d.code, colour: d.itemStyle.color,
                                                              value: d.value}))};
        }""")

    def marker_point(self, code: str) -> tuple[float, float]:
        """Where the site's marker is drawn, in page pixels."""
        x, y = self.page.evaluate(
            """code => {
            const element = document.querySelector('[data-testid=map]');
            const chart = echarts.getInstanceByDom(element);
            const marker = chart.getOption().series[0].data.find(d => d.code === code);
            return chart.convertToPixel({geoIndex: 0}, marker.value.slice(0, 2));
        }""",
            code,
        )
        box = self.testid("map").bounding_box()
        return box["x"] + x, box["y"] + y

    def series_option(self) -> dict[str, list]:
        """Series name -> its [time, value] points as the chart holds them."""
        return self.page.evaluate("""() => {
            const chart = echarts.getInstanceByDom(document.querySelector('[data-testid=site-chart]'));
            return Object.fromEntries(chart.getOption().series.map(s => [s.name, s.data]));
        }""")

    def assert_stayed_local(self) -> None:
        here = urlsplit(self.base_url)
        outside = [
            url
            for url in self.requests
            if not url.startswith("data:") and urlsplit(url)[:2] != (here.scheme, here.netloc)
        ]
        assert outside == [], f"the page requested URLs outside {self.base_url}: {outside}"
        assert self.requests, "the page made no requests at all"

    def screenshot(self, *paths: Path) -> None:
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(path), full_page=True)


@contextlib.contextmanager
def page_run(browser, base_url: str) -> Iterator[PageRun]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN", timezone_id="UTC")
    context.set_default_timeout(WAIT_MS)
    try:
        yield PageRun(context.new_page(), base_url)
    finally:
        context.close()


@pytest.fixture
def run(browser, base_url) -> Iterator[PageRun]:
    with page_run(browser, base_url) as page:
        yield page


def _assert_hj633_colours(listed: dict[str, str], statuses: dict[str, dict]) -> None:
    for code, colour in listed.items():
        status = statuses[code]
        if status["kind"] == "air_station" and status["aqi"] is not None:
            assert colour == aqi_level(status["aqi"]).colour_hex, code
        assert colour == status["colour"], code


def test_admin_sees_every_site_hovers_and_opens_a_chart(run, web_fixture_data, tmp_path):
    password_of = web_fixture_data["password_of"]
    run.sign_in_and_wait("admin", password_of("admin"))
    expected = web_fixture_data["visible_sites"]["admin"]

    # Now (by the wall clock) the fixture's January 2016 values are old: every site is grey and marked
    # stale with its own time, and a note offers the hour of the latest data (issue 13).
    assert set(run.listed_sites().values()) == {"#9E9E9E"}
    times = dict(
        zip(
            *[
                run.page.eval_on_selector_all(f'[data-testid="site-item"] {sel}', script)
                for sel, script in (
                    ("", "items => items.map(i => i.dataset.code)"),
                    ('[data-testid="site-time"]', "items => items.map(i => i.textContent)"),
                )
            ],
            strict=True,
        )
    )
    assert times["SJZ-A1"] == "01-03 20:00 · 过时" and times["BJ-CY-W1"] == "01-01 12:00 · 过时"
    assert run.testid("time-note-text").inner_text() == (
        "7 个站点的数据早于显示时刻（其中最新的数据时间 2016-01-03 23:00），以灰色显示并标注各自的数据时间。"
    )
    run.screenshot(TEST_OUTPUT / "screenshots" / "map-admin-zh-now-stale.png")
    run.show_latest_data("2016-01-03T23:00:00+08:00")
    assert run.testid("as-of").inner_text() == "历史 2016-01-03 23:00 · 最新数据 2016-01-03 23:00"
    assert run.testid("at-input").input_value() == "2016-01-03T23:00"
    # Only the water section (its value of 01-01 12:00) is still stale then, and the note says so.
    assert (
        run.testid("time-note-text")
        .inner_text()
        .startswith("1 个站点的数据早于显示时刻（其中最新的数据时间 2016-01-01 12:00）")
    )

    statuses = {site["code"]: site for site in run.api("/api/v1/sites/status?at=2016-01-03T23:00")["sites"]}
    listed = run.listed_sites()
    assert set(listed) == set(statuses) == expected
    assert run.testid("site-count").inner_text() == str(len(expected))
    option = run.map_option()
    assert option["map"] == "china"  # Shijiazhuang is outside Beijing: the provinces' outline
    assert sorted(marker["code"] for marker in option["markers"]) == sorted(expected)
    assert run.testid("map").get_attribute("data-markers") == str(len(expected))
    _assert_hj633_colours(listed, statuses)
    assert {m["code"]: m["colour"] for m in option["markers"]} == listed
    assert run.page.locator('[data-testid="legend-level"]').count() == 6
    # The fixture's Chang'an station: AQI 116 at 2016-01-03 20:00, level 3 (orange).
    sjz = statuses["SJZ-A1"]
    assert (sjz["aqi"], sjz["level"], sjz["colour"], sjz["time"]) == (
        116,
        3,
        "#FF7E00",
        "2016-01-03T20:00:00+08:00",
    )

    # Hover: the tooltip names the site with its AQI, category and hour.
    x, y = run.marker_point("SJZ-A1")
    run.page.mouse.move(x, y)
    tooltip = run.page.locator('[data-testid="map"] div', has_text="长安职工医院").last
    tooltip.wait_for(state="visible")
    text = tooltip.inner_text()
    assert "AQI 116" in text and "轻度污染" in text and "2016-01-03 20:00" in text, text

    # Click the marker itself (on the SVG map, not the list): the panel shows its last 48 hours.
    run.page.mouse.click(x, y)
    panel = run.page.locator('[data-testid="site-panel"][data-state="loaded"]')
    panel.wait_for()
    assert panel.get_attribute("data-code") == "SJZ-A1"
    assert "长安职工医院" in run.testid("panel-title").inner_text()
    series = run.api("/api/v1/sites/SJZ-A1/series?hours=48")
    drawn = run.series_option()
    assert drawn["AQI"] == series["aqi"]
    assert len(drawn["AQI"]) == 48 and drawn["AQI"][-1] == ["2016-01-03T20:00:00+08:00", 116]
    for pollutant, values in series["pollutants"].items():
        assert drawn[f"{pollutant} ({values['unit']})"] == values["points"], pollutant
    last_pm2_5 = web_fixture_data["air_value"](3, "PM2.5", dt.datetime(2016, 1, 3, 20))
    assert (
        drawn["PM2.5 (µg/m³)"][-1]
        == ["2016-01-03T20:00:00+08:00", last_pm2_5]
        == ["2016-01-03T20:00:00+08:00", 100.0]
    )
    # The chart's tooltip gives the hour in Beijing time although this browser runs in UTC.
    chart_box = run.testid("site-chart").bounding_box()
    hour_x = run.page.evaluate("""() => echarts
        .getInstanceByDom(document.querySelector('[data-testid=site-chart]'))
        .convertToPixel({xAxisIndex: 0}, Date.parse('2016-01-03T18:00:00+08:00'))""")
    run.page.mouse.move(chart_box["x"] + hour_x, chart_box["y"] + chart_box["height"] / 2)
    chart_tip = run.page.locator('[data-testid="site-chart"] div', has_text="µg/m³): ").last
    chart_tip.wait_for(state="visible")
    tip_lines = chart_tip.inner_text().splitlines()
    assert tip_lines[0] == "2016-01-03 18:00", tip_lines
    assert f"AQI: {dict(series['aqi'])['2016-01-03T18:00:00+08:00']}" in tip_lines
    axis_names = run.page.evaluate("""() => echarts.getInstanceByDom(
        document.querySelector('[data-testid=site-chart]')).getOption().yAxis.map(a => a.name)""")
    assert axis_names == ["浓度 (µg/m³)", "mg/m³", "AQI"]
    assert int(run.testid("site-chart").get_attribute("data-points")) > 6 * 40

    run.screenshot(tmp_path / "map.png", TEST_OUTPUT / "screenshots" / "map-admin-zh-chart.png")
    run.assert_stayed_local()
    assert run.errors == []


def test_a_city_user_sees_only_the_sites_of_the_city(run, web_fixture_data, tmp_path):
    password_of = web_fixture_data["password_of"]
    run.sign_in_and_wait("bjcity", password_of("bjcity"))
    expected = web_fixture_data["visible_sites"]["bjcity"]
    assert "SJZ-A1" not in expected
    assert set(run.listed_sites()) == expected
    option = run.map_option()
    assert option["map"] == "beijing"  # every site in Beijing: the districts' outline
    assert sorted(marker["code"] for marker in option["markers"]) == sorted(expected)

    x, y = run.marker_point("BJ-A0")
    run.page.mouse.click(x, y)
    panel = run.page.locator('[data-testid="site-panel"][data-state="loaded"]')
    panel.wait_for()
    assert panel.get_attribute("data-code") == "BJ-A0"
    assert run.series_option()["AQI"] == run.api("/api/v1/sites/BJ-A0/series?hours=48")["aqi"]
    run.screenshot(tmp_path / "map-city.png", TEST_OUTPUT / "screenshots" / "map-city-zh.png")

    # Another province's user on the same server sees only Shijiazhuang.
    run.testid("sign-out").click()
    run.testid("login").wait_for()
    run.sign_in_and_wait("hebei", password_of("hebei"))
    assert set(run.listed_sites()) == web_fixture_data["visible_sites"]["hebei"] == {"SJZ-A1"}
    run.assert_stayed_local()
    assert run.errors == []


def test_wrong_password_and_an_expired_sign_in_show_the_form_with_a_reason(run, auth):
    run.sign_in("bj", "not-the-password")
    message = run.testid("message")
    message.wait_for(state="visible")
    assert message.inner_text() == "用户名或密码错误。"
    assert run.page.evaluate("sessionStorage.getItem('ecowatch.token')") is None
    assert run.testid("app").is_hidden()

    # A token the server no longer accepts (issued 9 hours ago; tokens last 8) while the page still
    # believes it valid: the first API call gets 401 and the page goes back to the form.
    stale = auth("bj", now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=9))["Authorization"].removeprefix(
        "Bearer "
    )
    saved = {
        "access_token": stale,
        "token_type": "bearer",
        "expires_at": "2999-01-01T00:00:00Z",
        "user": {"username": "bj", "role": "province", "region": "110000", "enterprise": None},
    }
    run.page.evaluate("saved => sessionStorage.setItem('ecowatch.token', JSON.stringify(saved))", saved)
    run.page.reload()
    run.testid("login").wait_for(state="visible")
    message.wait_for(state="visible")
    assert message.inner_text() == "登录已过期，请重新登录。"
    assert run.page.evaluate("sessionStorage.getItem('ecowatch.token')") is None

    # A sign-in whose expiry has passed by the browser's clock: the form at once, with the reason.
    run.page.evaluate(
        "saved => sessionStorage.setItem('ecowatch.token', JSON.stringify(saved))",
        {**saved, "expires_at": "2016-01-01T00:00:00Z"},
    )
    run.page.reload()
    run.testid("login").wait_for(state="visible")
    message.wait_for(state="visible")
    assert message.inner_text() == "登录已过期，请重新登录。"
    assert run.testid("app").is_hidden()
    run.assert_stayed_local()
    # The only errors logged are the browser's own lines for the two refused requests (401).
    assert all("401" in error for error in run.errors), run.errors


def test_the_language_switch_shows_english_and_is_remembered(run, web_fixture_data):
    run.sign_in_and_wait("chaoyang", web_fixture_data["password_of"]("chaoyang"))
    assert run.page.locator("h1").inner_text() == "生态环境监测站点地图"
    run.testid("lang-switch").click()
    assert run.page.locator("h1").inner_text() == "Environmental monitoring sites"
    assert run.page.evaluate("document.documentElement.lang") == "en"
    assert run.testid("user").inner_text() == "chaoyang (county)"
    names = run.page.eval_on_selector_all(
        '[data-testid="site-item"] .name', "items => items.map(i => i.textContent)"
    )
    assert sorted(names) == ["Chaoyang", "Power plant outlet 1", "Shawo"]
    legend = run.page.locator('[data-testid="legend-level"][data-level="3"]').inner_text()
    assert legend.split() == ["Lightly", "polluted", "101–150"]
    run.page.reload()
    run.page.wait_for_function("() => document.querySelector('[data-testid=map]').dataset.markers")
    assert run.page.locator("h1").inner_text() == "Environmental monitoring sites"
    assert run.testid("lang-switch").inner_text() == "中文"
    run.assert_stayed_local()
    assert run.errors == []


def test_the_status_refreshes_every_minute_until_sign_out(run, web_fixture_data):
    run.page.clock.install()
    run.sign_in_and_wait("hebei", web_fixture_data["password_of"]("hebei"))

    def status_calls() -> int:
        return sum(url.endswith("/api/v1/sites/status") for url in run.requests)

    assert status_calls() == 1
    # The person zooms in; the refresh must keep that view.
    box = run.testid("map").bounding_box()
    run.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    run.page.mouse.wheel(0, -400)
    zoom_script = (
        "() => echarts.getInstanceByDom(document.querySelector('[data-testid=map]')).getOption().geo[0].zoom"
    )
    run.page.wait_for_function(f"() => ({zoom_script})() > 1")
    zoom = run.page.evaluate(zoom_script)
    run.page.clock.fast_forward(59_000)
    assert status_calls() == 1
    with run.page.expect_request("**/api/v1/sites/status"):
        run.page.clock.fast_forward(2_000)
    run.page.wait_for_function("() => document.querySelector('[data-testid=map]').dataset.markers")
    assert status_calls() == 2
    assert set(run.listed_sites()) == {"SJZ-A1"}
    assert run.page.evaluate(zoom_script) == zoom

    run.testid("sign-out").click()
    run.testid("login").wait_for(state="visible")
    assert run.page.evaluate("sessionStorage.getItem('ecowatch.token')") is None
    run.page.clock.fast_forward(180_000)
    assert status_calls() == 2
    run.assert_stayed_local()
    assert run.errors == []


@pytest.mark.parametrize("fresh_store_url", ["sqlite"], indirect=True)
def test_a_site_moved_out_of_scope_meanwhile_gives_a_clear_message(
    browser, store_url, fresh_app, fresh_store_url, web_fixture_data
):
    """The list was loaded, then the site was moved to another district: the click gets the 404 an unknown
    code gets (the API tells nobody which codes exist outside their scope)."""
    from sqlalchemy import select, update

    from ecowatch.store import make_engine, session_factory
    from ecowatch.store.models import Region, Site

    with served(fresh_app) as url, page_run(browser, url) as run:
        run.sign_in_and_wait("chaoyang", web_fixture_data["password_of"]("chaoyang"))
        assert set(run.listed_sites()) == {"BJ-CY-A1", "BJ-CY-W1", "BJ-CY-O1"}
        engine = make_engine(fresh_store_url)
        try:
            with session_factory(engine).begin() as session:
                haidian = session.scalar(select(Region.id).where(Region.code == "110108"))
                session.execute(update(Site).where(Site.code == "BJ-CY-A1").values(region_id=haidian))
        finally:
            engine.dispose()
        run.page.locator('[data-testid="site-item"][data-code="BJ-CY-A1"]').click()
        run.page.locator('[data-testid="site-panel"][data-state="error"]').wait_for()
        message = run.testid("message").inner_text()
        assert message.startswith("未找到：") and "BJ-CY-A1" in message, message
        assert run.testid("login").is_hidden()  # still signed in: only this site is out of reach
        run.assert_stayed_local()
        assert all("404" in error for error in run.errors) and len(run.errors) == 1, run.errors


def test_the_api_documentation_shows_every_operation_from_local_assets(run):
    operations = sum(
        len(methods) for methods in httpx.get(run.base_url + "/api/v1/openapi.json").json()["paths"].values()
    )
    response = run.page.goto(run.base_url + "/api/v1/docs")
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    run.page.wait_for_function(
        f"() => document.querySelectorAll('.opblock').length === {operations}", timeout=WAIT_MS
    )
    assert run.page.locator(".opblock-summary-path").first.inner_text().startswith("/api/v1/")
    run.page.locator("button.authorize").first.wait_for()  # the bearer scheme can be filled in
    run.screenshot(TEST_OUTPUT / "api-docs.png")
    assert run.errors == []  # a CSP refusal would show here
    run.assert_stayed_local()


# ---------------------------------------------------------------- Chinese text without tofu (issue 13)

#: An unassigned code point (U+0378): no font has a glyph for it, so it is drawn as the "tofu" box
#: (.notdef) that a Chinese character becomes in a font without Chinese glyphs.
TOFU = "\u0378"
#: Draws ``text`` and as many tofu characters on a canvas in ``family``; true when the two images
#: differ, i.e. the text was drawn with real glyphs.  Both in ECharts' canvas renderer (the way its
#: charts draw text) and, per string, on a plain 2D canvas.
DRAWN_WITH_GLYPHS = """async ([texts, family, tofu]) => {
    await document.fonts.load('32px "Noto Sans SC"', texts.join(''));
    const plain = (text) => {
        const canvas = document.createElement('canvas');
        canvas.width = 48 * [...text].length + 16; canvas.height = 48;
        const context = canvas.getContext('2d');
        context.font = `32px ${family}`;
        context.fillText(text, 4, 36);
        return canvas.toDataURL();
    };
    const viaECharts = (text) => {
        const box = document.createElement('div');
        box.style.cssText = 'position:absolute;left:-10000px;top:0;width:600px;height:60px';
        document.body.append(box);
        const chart = echarts.init(box, null,
                                   {renderer: 'canvas', width: 600, height: 60, devicePixelRatio: 1});
        chart.setOption({animation: false, title: {
            text, left: 0, top: 0,
            textStyle: {fontFamily: family, fontSize: 32, fontWeight: 'normal', color: '#000'},
        }});
        const image = box.querySelector('canvas').toDataURL();
        chart.dispose(); box.remove();
        return image;
    };
    const out = {};
    for (const text of texts) {
        const boxes = tofu.repeat([...text].length);
        out[text] = plain(text) !== plain(boxes) && viaECharts(text) !== viaECharts(boxes);
    }
    return out;
}"""
#: The texts the page's charts drew (SVG <text> of the map and the chart) that hold non-ASCII
#: characters, with the font family each was drawn in.
CHART_TEXTS = """() => {
    const out = {};
    const selector = '[data-testid=map] svg text, [data-testid=site-chart] svg text';
    for (const element of document.querySelectorAll(selector)) {
        const text = element.textContent;
        if (/[^\\x00-\\x7f]/.test(text)) out[text] = getComputedStyle(element).fontFamily;
    }
    return out;
}"""
PAGE_FONT = '"Noto Sans SC", sans-serif'


def assert_charts_drawn_without_tofu(run: PageRun, *, some: bool = True) -> dict[str, str]:
    """Every non-ASCII text the charts drew names the vendored font and is drawn with real glyphs
    (``some``: there is such text; the China outline of the admin's view has no labels)."""
    texts = run.page.evaluate(CHART_TEXTS)
    if not texts and not some:
        return texts
    assert texts, "the charts drew no Chinese text at all"
    assert {family for family in texts.values()} == {PAGE_FONT}, texts
    drawn = run.page.evaluate(DRAWN_WITH_GLYPHS, [sorted(texts), PAGE_FONT, TOFU])
    assert [text for text, glyphs in drawn.items() if not glyphs] == [], "drawn as tofu"
    return texts


def test_chinese_on_the_charts_is_drawn_in_the_vendored_font_not_as_tofu(run, web_fixture_data):
    run.sign_in_and_wait("bjcity", web_fixture_data["password_of"]("bjcity"))
    run.page.wait_for_function("() => document.querySelector('[data-testid=map]').dataset.fonts === 'loaded'")
    texts = assert_charts_drawn_without_tofu(run)
    assert {"朝阳区", "海淀区", "东城区"} <= set(texts)  # the districts' names on the Beijing outline
    # The detector can fail: this machine has no Chinese system font (Debian's Chromium without
    # fonts-noto-cjk), so the same strings in the browser's default sans-serif are tofu.
    fallback = run.page.evaluate(DRAWN_WITH_GLYPHS, [["朝阳区", "二氧化硫"], "sans-serif", TOFU])
    assert fallback == {"朝阳区": False, "二氧化硫": False}
    assert run.errors == []


def _screenshots(run: PageRun, who: str, language: str, outlet: str | None, names: dict[str, str]) -> None:
    folder = TEST_OUTPUT / "screenshots"
    run.show_latest_data("2016-01-03T23:00:00+08:00")
    assert_charts_drawn_without_tofu(run, some=who != "admin" and language == "zh")
    if who != "admin" and language == "en":  # the districts' names on the outline, in English
        labels = run.page.eval_on_selector_all(
            "[data-testid=map] svg text", "items => items.map(i => i.textContent)"
        )
        assert {"Chaoyang", "Haidian", "Dongcheng"} <= set(labels)
    run.screenshot(folder / f"map-{who}-{language}.png")
    if outlet is None:
        return
    run.page.locator(f'[data-testid="site-item"][data-code="{outlet}"]').click()
    run.page.locator('[data-testid="site-panel"][data-state="loaded"]').wait_for()
    assert list(run.series_option()) == [names[language]]
    assert int(run.testid("site-chart").get_attribute("data-points")) == 12  # 12 hours, not one point
    assert_charts_drawn_without_tofu(run, some=False)
    run.screenshot(folder / f"outlet-chart-{who}-{language}.png")


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(("who", "outlet"), [("admin", None), ("chaoyang", "BJ-CY-O1")])
def test_screenshots_of_the_map_and_an_outlet_chart(run, web_fixture_data, who, outlet, language):
    """Screenshots kept under test-output/screenshots/ (zh and en, admin and district user, an outlet's
    chart): the outlet's legend names the pollutant with its unit from the code tables, not a21026."""
    if language == "en":
        run.page.goto(run.base_url + "/")
        run.page.evaluate("localStorage.setItem('ecowatch.language', 'en')")
    run.sign_in_and_wait(who, web_fixture_data["password_of"](who))
    _screenshots(run, who, language, outlet, {"zh": "二氧化硫 (mg/m³)", "en": "SO2 (mg/m³)"})
    assert run.errors == []


def test_a_phone_width_shows_a_usable_map(browser, base_url, web_fixture_data):
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
        run = PageRun(context.new_page(), base_url)
        run.sign_in_and_wait("chaoyang", web_fixture_data["password_of"]("chaoyang"))
        run.show_latest_data("2016-01-03T23:00:00+08:00")
        box = run.testid("map").bounding_box()
        assert box["width"] >= 360 and box["height"] >= 400, box  # a map, not a strip
        assert (
            run.page.evaluate("document.documentElement.scrollWidth") <= 390
        )  # nothing wider than the phone
        run.screenshot(TEST_OUTPUT / "screenshots" / "map-chaoyang-phone-390.png")
        assert run.errors == []
    finally:
        context.close()


def test_the_time_control_shows_an_earlier_hour(run, web_fixture_data):
    run.sign_in_and_wait("chaoyang", web_fixture_data["password_of"]("chaoyang"))
    run.testid("at-input").fill("2016-01-02T13:00")
    run.testid("at-input").dispatch_event("change")
    run.page.wait_for_function("""() => document.querySelector('[data-testid=as-of]').dataset.at
                                        === '2016-01-02T13:00:00+08:00'
                                        && document.querySelector('[data-testid=map]').dataset.markers""")
    listed = run.listed_sites()
    # At 13:00 on the 2nd: 朝阳农展馆's real-time AQI 91 (yellow); the water section's value of the
    # 1st 12:00 is 25 h old (stale, grey); the outlet has no value yet.
    assert listed == {"BJ-CY-A1": "#FFFF00", "BJ-CY-W1": "#9E9E9E", "BJ-CY-O1": "#9E9E9E"}
    time_of = run.page.eval_on_selector_all(
        '[data-testid="site-item"]',
        """items => Object.fromEntries(items.map(
        i => [i.dataset.code, i.querySelector('[data-testid=site-time]').textContent]))""",
    )
    assert time_of == {"BJ-CY-A1": "01-02 13:00", "BJ-CY-W1": "01-01 12:00 · 过时", "BJ-CY-O1": "无数据"}
    assert run.testid("as-of").inner_text().startswith("历史 2016-01-02 13:00")
    run.testid("at-now").click()
    run.page.wait_for_function(
        "() => document.querySelector('[data-testid=as-of]').textContent.startsWith('现在')"
    )
    assert run.errors == []


@pytest.mark.parametrize("fresh_store_url", ["sqlite"], indirect=True)
def test_a_site_without_coordinates_is_listed_and_says_why_it_is_not_on_the_map(
    browser, store_url, fresh_app, fresh_store_url, web_fixture_data
):
    """Issue 13: the list said 138 sites and the map drew 38 (simulated devices' sites have no place)."""
    from sqlalchemy import select

    from ecowatch.store import make_engine, session_factory
    from ecowatch.store.models import Region, Site

    engine = make_engine(fresh_store_url)
    try:
        with session_factory(engine).begin() as session:
            chaoyang = session.scalar(select(Region).where(Region.code == "110105"))
            session.add(
                Site(
                    code="SIM-NO-PLACE",
                    name="SIM-NO-PLACE",
                    name_en="",
                    kind="air_station",
                    category="urban",
                    region=chaoyang,
                    aliases=[],
                )
            )
    finally:
        engine.dispose()
    with served(fresh_app) as url, page_run(browser, url) as run:
        run.sign_in_and_wait("chaoyang", web_fixture_data["password_of"]("chaoyang"))
        assert run.testid("site-count").inner_text() == "4"
        assert run.testid("map").get_attribute("data-markers") == "3"
        text = run.page.locator(
            '[data-testid="site-item"][data-code="SIM-NO-PLACE"] [data-testid="site-time"]'
        )
        assert text.inner_text() == "无数据 · 无坐标，不在地图上"
        assert run.errors == []
