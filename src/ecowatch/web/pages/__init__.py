"""The pages ecowatch serves itself (the map), with every asset they need vendored under web/static.

``/`` is the map page: plain HTML and JavaScript modules, no build step.  It signs in with
``POST /api/v1/auth/token`` and draws ``GET /api/v1/sites/status`` and
``GET /api/v1/sites/{code}/series`` with Apache ECharts.  ``/static/...`` serves ``web/static``
(the page's scripts and the vendored assets listed in ``static/PROVENANCE.md``), and
``/map/legend.json`` the map's legend, built from the standards' own tables so the page repeats
none of them.  ``/api/v1/docs`` is the interactive API documentation (Swagger UI, vendored too, on
``/api/v1/openapi.json``).  ``/cases``, ``/cases/board``, ``/cases/overdue``, ``/cases/stats``,
``/cases/notifications`` and ``/cases/{code}`` are the closed-loop cases pages (one HTML file,
``cases.html``, and ``static/cases.js``), on ``/api/v1/cases`` with the names of ``/cases/labels.json``.

The page loads nothing from outside (DESIGN.md: no internet at the user's site); its
Content-Security-Policy says so to the browser as well, so a stray external URL fails loudly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from ecowatch.standards import AQI_LEVELS
from ecowatch.web.api.cases import CASE_LABELS
from ecowatch.web.api.water import water_legend
from ecowatch.web.status import NO_DATA_COLOUR, REPORTING_COLOUR

__all__ = ["CASES_HTML", "CONTENT_SECURITY_POLICY", "STATIC_DIR", "map_legend", "not_found_page", "router"]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
INDEX_HTML = Path(__file__).resolve().parent / "index.html"
API_DOCS_HTML = Path(__file__).resolve().parent / "api-docs.html"
NOT_FOUND_HTML = Path(__file__).resolve().parent / "not-found.html"
CASES_HTML = Path(__file__).resolve().parent / "cases.html"

#: Only this server: scripts, styles, fonts, the boundary files and API calls.  Inline styles stay
#: allowed because ECharts positions its tooltip through the style attribute.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)

router = APIRouter(include_in_schema=False)
router.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


def _page(path: Path, status_code: int = 200, view: str | None = None) -> HTMLResponse:
    # Read per request: the files are small, and an edited page shows without a restart.
    text = path.read_text(encoding="utf-8")
    if view is not None:  # the cases pages: one file, the view named on its body
        text = text.replace('<body data-page="list">', f'<body data-page="{view}">', 1)
    return HTMLResponse(
        text,
        status_code=status_code,
        headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-cache"},
    )


def not_found_page() -> HTMLResponse:
    """The HTML 404 page (links to the map and the API documentation), for paths outside ``/api``."""
    return _page(NOT_FOUND_HTML, status_code=404)


@router.get("/", response_class=HTMLResponse)
def map_page() -> HTMLResponse:
    """The map page (a sign-in form first, then the map)."""
    return _page(INDEX_HTML)


@router.get("/api/v1/docs", response_class=HTMLResponse)
def api_docs() -> HTMLResponse:
    """The interactive API documentation."""
    return _page(API_DOCS_HTML)


def map_legend() -> dict[str, Any]:
    """The legend of the map: the six AQI levels, the status colours of the other sites and (``water``)
    the surface-water classes (:func:`ecowatch.web.api.water.water_legend`).

    The levels, categories and colours are :data:`ecowatch.standards.AQI_LEVELS` ([HJ633-2012]_ 表2
    and 附录A; the 2026 edition keeps them); ``lower`` and ``upper`` bound each level's AQI range
    (``upper`` null for the open top level).
    """
    levels = []
    lower = 0
    for level in AQI_LEVELS:
        levels.append(
            {
                "level": level.number,
                "lower": lower,
                "upper": level.upper,
                "colour": level.colour_hex,
                "category_zh": level.category_zh,
                "category_en": level.category_en,
                "roman_zh": level.roman_zh,
            }
        )
        lower = (level.upper or 0) + 1
    return {
        "levels": levels,
        "reporting_colour": REPORTING_COLOUR,
        "no_data_colour": NO_DATA_COLOUR,
        "water": water_legend(),
    }


@router.get("/map/legend.json")
def legend() -> dict[str, Any]:
    """The map's legend (public: it is the standard's table, not anyone's data)."""
    return map_legend()


# -- the closed-loop cases pages (issue 16) ---------------------------------------------------------


@router.get("/cases", response_class=HTMLResponse)
def cases_list_page() -> HTMLResponse:
    """The cases in the user's scope, with filters (batch, region, state, kind, overdue)."""
    return _page(CASES_HTML, view="list")


@router.get("/cases/labels.json")
def cases_labels() -> dict[str, Any]:
    """The names of the cases' states, actions, kinds and escalation steps, Chinese and English (public:
    words, not anyone's data)."""
    return CASE_LABELS


@router.get("/cases/board", response_class=HTMLResponse)
def cases_board_page() -> HTMLResponse:
    """The cases in scope by state."""
    return _page(CASES_HTML, view="board")


@router.get("/cases/overdue", response_class=HTMLResponse)
def cases_overdue_page() -> HTMLResponse:
    """The overdue cases in scope, with their days overdue and escalation steps."""
    return _page(CASES_HTML, view="overdue")


@router.get("/cases/stats", response_class=HTMLResponse)
def cases_stats_page() -> HTMLResponse:
    """A batch's statistics, its itemised lists per region and lead unit, and its monthly trend."""
    return _page(CASES_HTML, view="stats")


@router.get("/cases/notifications", response_class=HTMLResponse)
def cases_notifications_page() -> HTMLResponse:
    """The signed-in user's notifications of escalation steps."""
    return _page(CASES_HTML, view="notifications")


@router.get("/cases/{code}", response_class=HTMLResponse)
def case_page(code: str) -> HTMLResponse:
    """One case: its facts, nodes, escalations, timeline and the moves the signed-in user may make (the
    page asks the API; an unknown code or one outside the scope is told there)."""
    return _page(CASES_HTML, view="case")
