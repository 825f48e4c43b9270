"""The map page's server side: the page, the static assets and their provenance, the legend.

No browser here (``test_map_browser.py`` drives Chromium); these run through the ASGI app on both
backends, and check the vendored files against ``static/PROVENANCE.md``.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from ecowatch.standards import AQI_LEVELS
from ecowatch.web.pages import CONTENT_SECURITY_POLICY, STATIC_DIR, map_legend

VENDOR = STATIC_DIR / "vendor"
PROVENANCE = STATIC_DIR / "PROVENANCE.md"
CHECKSUM_ROW = re.compile(r"^\| `(vendor/[^`]+)` \| `([0-9a-f]{64})` \|$", re.MULTILINE)
#: The whole set of vendored files may not grow past this [bytes] ("a few MB at most"): the map's
#: 3.8 MB and Swagger UI's 1.9 MB.
VENDOR_BUDGET_BYTES = 6 * 1024 * 1024


def _vendored_files() -> set[str]:
    return {path.relative_to(STATIC_DIR).as_posix() for path in VENDOR.rglob("*") if path.is_file()}


def test_the_page_is_served_with_a_policy_that_allows_only_this_server(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY and "connect-src 'self'" in CONTENT_SECURITY_POLICY
    assert 'data-testid="login-form"' in response.text and 'data-testid="map"' in response.text
    # Every script and stylesheet of the page is a path on this server.
    references = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert references and all(
        ref.startswith("/static/") or ref in ("data:,", "/api/v1/docs", "/cases") for ref in references
    ), references


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/static/map.js", "text/javascript"),
        ("/static/i18n.js", "text/javascript"),
        ("/static/session.js", "text/javascript"),
        ("/static/map.css", "text/css"),
        ("/static/vendor/echarts/echarts.min.js", "text/javascript"),
        ("/static/vendor/echarts-map/china.json", "application/json"),
        ("/static/vendor/noto-sans-sc/noto-sans-sc-400.css", "text/css"),
        ("/static/vendor/noto-sans-sc/files/noto-sans-sc-119-400-normal.woff2", "font/woff2"),
    ],
)
def test_static_assets_are_served_with_their_type(client, path, content_type):
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers["content-type"].split(";")[0] == content_type
    assert response.content == (STATIC_DIR / path.removeprefix("/static/")).read_bytes()


@pytest.mark.parametrize(
    "path", ["/static/../pages/__init__.py", "/static/%2e%2e/pages/__init__.py", "/static/vendor/missing.js"]
)
def test_nothing_outside_the_static_folder_is_served(client, path):
    response = client.get(path)
    assert response.status_code == 404, path
    assert b"router" not in response.content


def test_the_legend_is_the_six_hj633_levels(client):
    body = client.get("/map/legend.json").json()
    assert body == map_legend()
    assert [
        (lv["level"], lv["lower"], lv["upper"], lv["colour"], lv["category_zh"]) for lv in body["levels"]
    ] == [
        (1, 0, 50, "#00E400", "优"),
        (2, 51, 100, "#FFFF00", "良"),
        (3, 101, 150, "#FF7E00", "轻度污染"),
        (4, 151, 200, "#FF0000", "中度污染"),
        (5, 201, 300, "#99004C", "重度污染"),
        (6, 301, None, "#7E0023", "严重污染"),
    ]
    assert [lv["colour"] for lv in body["levels"]] == [level.colour_hex for level in AQI_LEVELS]
    assert (body["reporting_colour"], body["no_data_colour"]) == ("#2E7D32", "#9E9E9E")


def test_provenance_lists_every_vendored_file_with_its_sha256():
    listed = dict(CHECKSUM_ROW.findall(PROVENANCE.read_text(encoding="utf-8")))
    assert set(listed) == _vendored_files()
    for name, digest in listed.items():
        assert hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest() == digest, name


@pytest.mark.parametrize(
    ("folder", "licence_marker"),
    [
        ("echarts", "Apache License"),
        ("echarts-map", "Apache License"),
        ("noto-sans-sc", "SIL OPEN FONT LICENSE Version 1.1"),
    ],
)
def test_each_vendored_package_ships_its_licence(folder, licence_marker):
    assert licence_marker in (VENDOR / folder / "LICENSE").read_text(encoding="utf-8")


def test_the_font_css_names_only_vendored_woff2_slices():
    css = (VENDOR / "noto-sans-sc" / "noto-sans-sc-400.css").read_text(encoding="utf-8")
    urls = re.findall(r"url\(([^)]+)\)", css)
    assert len(urls) == 101
    assert all(url.startswith("./files/") and url.endswith(".woff2") for url in urls)
    assert {Path(url).name for url in urls} == {
        path.name for path in (VENDOR / "noto-sans-sc" / "files").iterdir()
    }


def test_the_vendored_assets_stay_within_budget():
    total = sum(path.stat().st_size for path in VENDOR.rglob("*") if path.is_file())
    assert total <= VENDOR_BUDGET_BYTES, f"vendor/ holds {total} bytes"


def test_the_static_folder_is_inside_the_package_so_wheels_carry_it():
    import ecowatch

    package = Path(ecowatch.__file__).resolve().parent
    assert STATIC_DIR.is_relative_to(package)
    assert (STATIC_DIR / "map.js").is_file() and (package / "web" / "pages" / "index.html").is_file()


@pytest.mark.parametrize("path", ["/nowhere", "/map/nothing", "/static/vendor/missing.js"])
def test_an_unknown_page_is_an_html_404_linking_to_the_map_and_the_api_documentation(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert 'data-testid="not-found"' in response.text
    assert 'href="/"' in response.text and 'href="/api/v1/docs"' in response.text


@pytest.mark.parametrize("path", ["/api/v1/nowhere", "/api/v2/sites"])
def test_an_unknown_api_path_stays_a_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": "Not Found"}


def test_the_map_links_to_the_api_documentation(client):
    page = client.get("/").text
    assert re.search(r'<a [^>]*href="/api/v1/docs"[^>]*data-testid="api-docs-link"', page)
