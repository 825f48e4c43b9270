"""Constants and fillers of the registry tests (a module of its own: ``conftest`` is ambiguous across
test folders).

Enterprise codes are fictional, their check characters worked out by hand from GB 32100-2015
Annex B (weights 3^(i-1) mod 31); the published codes of two real companies test the check itself.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ecowatch.store.models import Region, RegionLevel, Site, SiteKind
from ecowatch.store.sites import upsert_region

#: Fictional enterprises with valid codes: (code, region).
ENT_CY, ENT_HD, ENT_SJZ = "91110105MA01TEXT1J", "91110108MA01TEXT21", "91130102MA01TEXT3M"
ENT_CY2 = "91110105MA01TEXT4U"

REGIONS = (
    ("110000", "北京市", RegionLevel.province, None),
    ("110100", "北京", RegionLevel.city, "110000"),
    ("110105", "朝阳区", RegionLevel.county, "110100"),
    ("110108", "海淀区", RegionLevel.county, "110100"),
    ("130000", "河北省", RegionLevel.province, None),
    ("130100", "石家庄", RegionLevel.city, "130000"),
    ("130102", "长安区", RegionLevel.county, "130100"),
)


def fill_regions(session: Session) -> dict[str, Region]:
    regions: dict[str, Region] = {}
    for code, name, level, parent in REGIONS:
        regions[code] = upsert_region(
            session=session,
            code=code,
            name=name,
            level=level,
            parent=regions.get(parent) if parent else None,
            actor="test",
        )
    session.add(
        Site(
            code="BJ-CY-A1",
            name="朝阳农展馆",
            kind=SiteKind.air_station.value,
            category="urban",
            region=regions["110105"],
            lon=116.46,
            lat=39.94,
            aliases=[],
        )
    )
    session.flush()
    return regions
