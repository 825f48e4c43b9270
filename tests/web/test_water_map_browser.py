"""The map's surface-water layer in real headless Chromium (Debian's /usr/bin/chromium, Playwright).

The app runs under uvicorn on a free 127.0.0.1 port over the store of ``test_api_water.py`` (the web
fixture store plus four real sections of the national automatic stations' release, 2021-04-01..05).
Each test signs in through the form as a person would.  Expected colours are the 2011 evaluation
method's (Ⅱ 优 blue, Ⅳ 轻度污染 yellow) and the grey of a stale sample; screenshots of the layer, a
section's panel and the phone width go to ``test-output/screenshots/``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright import sync_api
from test_api_water import FOUR_HOURLY, build_water_store
from test_map_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DRAWN_WITH_GLYPHS,
    PAGE_FONT,
    TEST_OUTPUT,
    TOFU,
    WAIT_MS,
    PageRun,
    served,
)

from conftest import TEST_SECRET_KEY, password_of
from ecowatch.web.app import create_app

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
    ),
    pytest.mark.skipif(not FOUR_HOURLY.exists(), reason=f"{FOUR_HOURLY} is not there"),
]
SCREENSHOTS = TEST_OUTPUT / "screenshots"
LATEST = "2021-04-05T20:00:00+08:00"
#: The main indicators' lines, named from the code tables with their units.
LINES_ZH = ["高锰酸盐指数 CODMn (mg/L)", "氨氮 NH₃-N (mg/L)", "总磷 TP (mg/L)", "溶解氧 DO (mg/L)"]
LINES_EN = [
    "permanganate index CODMn (mg/L)",
    "ammonia nitrogen NH₃-N (mg/L)",
    "total phosphorus TP (mg/L)",
    "dissolved oxygen DO (mg/L)",
]


@pytest.fixture(scope="module")
def water_base_url(tmp_path_factory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('water-map') / 'water.db'}"
    build_water_store(url)
    with served(create_app(url, secret_key=TEST_SECRET_KEY)) as base:
        yield base


@pytest.fixture(scope="module")
def chromium() -> Iterator:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _run(chromium, base_url: str, **context) -> PageRun:
    options = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN", "timezone_id": "UTC"}
    page = chromium.new_context(**(options | context)).new_page()
    page.set_default_timeout(WAIT_MS)
    return PageRun(page, base_url)


@pytest.fixture
def run(chromium, water_base_url) -> Iterator[PageRun]:
    page_run = _run(chromium, water_base_url)
    yield page_run
    page_run.page.context.close()


def sign_in_and_show_latest_water(run: PageRun, user: str = "admin") -> None:
    """Sign in, wait for both layers, then show the map at the sections' latest sample (the note's button:
    today their data, of April 2021, are stale)."""
    run.sign_in_and_wait(user, password_of(user))
    run.page.wait_for_function("() => document.querySelector('[data-testid=map]').dataset.waterMarkers")
    run.testid("water-note").wait_for(state="visible")
    run.testid("at-latest-water").click()
    run.page.wait_for_function(
        """at => document.querySelector('[data-testid=as-of]').dataset.at === at
                && document.querySelector('[data-testid=map]').dataset.waterMarkers""",
        arg=LATEST,
    )


def water_markers(run: PageRun) -> dict[str, dict]:
    """Section code -> colour, stale and class of its marker as the map holds it."""
    return run.page.evaluate("""() => {
        const chart = echarts.getInstanceByDom(document.querySelector('[data-testid=map]'));
        const series = chart.getOption().series.find(s => s.id === 'water');
        return Object.fromEntries(series.data.map(d => [d.code, {
            colour: d.itemStyle.color, stale: d.section.stale, class: d.section.class_zh,
            hatched: (d.symbol || '').startsWith('image://data:image/png'), time: d.section.time}]));
    }""")


def water_marker_point(run: PageRun, code: str) -> tuple[float, float]:
    x, y = run.page.evaluate(
        """code => {
        const chart = echarts.getInstanceByDom(document.querySelector('[data-testid=map]'));
        const series = chart.getOption().series.find(s => s.id === 'water');
        return chart.convertToPixel({geoIndex: 0}, series.data.find(d => d.code === code).value.slice(0, 2));
    }""",
        code,
    )
    box = run.testid("map").bounding_box()
    return box["x"] + x, box["y"] + y


def assert_drawn_with_glyphs(run: PageRun, texts: list[str]) -> None:
    drawn = run.page.evaluate(DRAWN_WITH_GLYPHS, [texts, PAGE_FONT, TOFU])
    assert [text for text, glyphs in drawn.items() if not glyphs] == [], "drawn as tofu"


def test_the_layer_shows_the_sections_in_their_class_colours(run):
    sign_in_and_show_latest_water(run)
    markers = water_markers(run)
    assert sorted(markers) == ["W110021", "W130068", "W310001", "W530015"]
    assert markers["W110021"] | {"time": None} == {
        "colour": "#0000FF",
        "stale": False,
        "class": "Ⅱ",
        "hatched": False,
        "time": None,
    }
    assert (markers["W130068"]["colour"], markers["W130068"]["class"]) == ("#FFFF00", "Ⅳ")
    # 王大桥's last sample is of 2021-04-01 04:00, over 48 h before: grey, hatched, its class kept.
    assert markers["W530015"] == {
        "colour": "#9E9E9E",
        "stale": True,
        "class": "劣Ⅴ",
        "hatched": True,
        "time": "2021-04-01T04:00:00+08:00",
    }
    listed = run.page.eval_on_selector_all(
        '[data-testid="section-item"]', "items => items.map(i => [i.dataset.code, i.dataset.colour])"
    )
    assert dict(listed) == {code: marker["colour"] for code, marker in markers.items()}
    assert run.errors == []
    run.assert_stayed_local()


def test_the_legend_names_the_classes_and_the_stale_rule_without_tofu(run):
    sign_in_and_show_latest_water(run)
    items = run.page.eval_on_selector_all(
        '[data-testid="legend-water"] li', "items => items.map(i => i.textContent)"
    )
    assert items[1:7] == [
        "Ⅰ类 · 优",
        "Ⅱ类 · 优",
        "Ⅲ类 · 良好",
        "Ⅳ类 · 轻度污染",
        "Ⅴ类 · 中度污染",
        "劣Ⅴ类 · 重度污染",
    ]
    stale = run.testid("legend-water-stale-legend").text_content()
    assert "48 小时" in stale
    family = run.page.evaluate(
        "() => getComputedStyle(document.querySelector('[data-testid=legend-water] li')).fontFamily"
    )
    assert family == PAGE_FONT
    assert_drawn_with_glyphs(run, [*items, stale])
    # The layer switches off and on.
    run.testid("layer-water").uncheck()
    run.page.wait_for_function(
        "() => document.querySelector('[data-testid=map]').dataset.waterMarkers === '0'"
    )
    assert run.testid("legend-water").is_hidden()
    run.testid("layer-water").check()
    run.page.wait_for_function(
        "() => document.querySelector('[data-testid=map]').dataset.waterMarkers === '4'"
    )
    assert run.errors == []


def test_a_click_on_a_section_shows_its_samples(run):
    sign_in_and_show_latest_water(run)
    run.screenshot(SCREENSHOTS / "water-layer-admin-zh.png")
    x, y = water_marker_point(run, "W130068")
    run.page.mouse.click(x, y)
    panel = run.page.locator('[data-testid="water-panel"][data-state="loaded"]')
    panel.wait_for()
    assert run.testid("water-title").text_content() == "郭家屯 · 海河流域 · 河北省"
    lines = run.page.evaluate("""() => echarts.getInstanceByDom(
        document.querySelector('[data-testid=water-chart]')).getOption().series.map(s => s.name)""")
    assert lines == LINES_ZH
    rows = run.page.locator('[data-testid="sample-row"]')
    # The 7 days up to 2021-04-05 20:00: every record of the file for 郭家屯 (newest first).
    first = rows.first.locator("td").all_text_contents()
    assert first[:4] == ["2021-04-05 20:00", "Ⅳ", "Ⅳ", "正常"]
    headers = run.page.locator('[data-testid="water-table"] th').all_text_contents()
    assert "高锰酸盐指数 CODMn (mg/L)" in headers
    assert first[headers.index("高锰酸盐指数 CODMn (mg/L)")] == "7.47"
    # NH3-N printed 0.025 by the release: half the limit, below detection (W-detection), shown "<0.05".
    assert first[headers.index("氨氮 NH₃-N (mg/L)")] == "<0.05"
    assert int(run.testid("water-chart").get_attribute("data-points")) > 4 * 20
    texts = run.page.evaluate("""() => [...document.querySelectorAll('[data-testid=water-chart] svg text')]
        .map(e => e.textContent).filter(t => /[^\\x00-\\x7f]/.test(t))""")
    assert set(LINES_ZH) <= set(texts)
    assert_drawn_with_glyphs(run, sorted(set(texts)))
    run.testid("water-panel").scroll_into_view_if_needed()
    run.screenshot(SCREENSHOTS / "water-section-panel-zh.png")
    assert run.errors == []


def test_english_names_the_lines_and_the_classes(chromium, water_base_url):
    run = _run(chromium, water_base_url)
    try:
        run.page.goto(water_base_url + "/")
        run.page.evaluate("localStorage.setItem('ecowatch.language', 'en')")
        sign_in_and_show_latest_water(run)
        run.page.locator('[data-testid="section-item"][data-code="W110021"]').click()
        run.page.locator('[data-testid="water-panel"][data-state="loaded"]').wait_for()
        lines = run.page.evaluate("""() => echarts.getInstanceByDom(document.querySelector(
            '[data-testid=water-chart]')).getOption().series.map(s => s.name)""")
        assert lines == LINES_EN
        legend = run.page.eval_on_selector_all(
            '[data-testid="legend-water-class"]', "items => items.map(i => i.textContent)"
        )
        assert legend[1] == "Class II · excellent" and legend[5] == "Class worse than V · heavily polluted"
        run.screenshot(SCREENSHOTS / "water-layer-admin-en.png")
        assert run.errors == []
    finally:
        run.page.context.close()


def test_a_phone_width_shows_the_layer_and_a_sections_panel(chromium, water_base_url):
    run = _run(
        chromium,
        water_base_url,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    try:
        sign_in_and_show_latest_water(run)
        box = run.testid("map").bounding_box()
        assert box["width"] >= 360 and box["height"] >= 400, box
        run.page.locator('[data-testid="section-item"][data-code="W130068"]').click()
        run.page.locator('[data-testid="water-panel"][data-state="loaded"]').wait_for()
        assert (
            run.page.evaluate("document.documentElement.scrollWidth") <= 390
        )  # nothing wider than the phone
        run.screenshot(SCREENSHOTS / "water-phone-390.png")
        assert run.errors == []
    finally:
        run.page.context.close()
