"""The surface-water section registry (断面名录): code, name, basin, river or lake, province and city.

The packaged registry ``water/data/sections.csv`` is built from the national automatic stations'
section list by :mod:`ecowatch.water.registry_build` (decisions W-code, W-derive). Columns:

``code``
    our stable section code ``W`` + the province's 2-digit GB/T 2260 prefix + a 4-digit sequence
    (``W310001``): the published data carry no code (decision W-code).
``name``, ``province``, ``basin``
    as the release publishes them; (province, name) identifies a section in the release.
``province_code``, ``city_code``, ``city``
    GB/T 2260 codes resolved through :mod:`ecowatch.shapes.regions`; ``city`` is the official name of
    the city-level division (empty where the release names no city).
``river``
    the river or lake as the release names it (empty where it gives none).
``waterbody``, ``waterbody_basis``
    ``river`` or ``lake`` (GB 3838-2002 Table 1: lakes and reservoirs take the lake TP limits) and how
    that was decided: ``classes`` (the published classes), ``name`` (the name's keywords),
    ``default`` (river, nothing else known) or ``user`` (a correction).
``lon``, ``lat``, ``target_class``
    empty: the public data carry no coordinates nor targets; a corrected registry may give them.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from ecowatch.errors import InputError
from ecowatch.standards import StandardsError, Waterbody, WaterClass

__all__ = [
    "BASES",
    "REGISTRY_COLUMNS",
    "Section",
    "SectionRegistry",
    "read_registry",
    "section_key",
    "write_registry",
]

REGISTRY_COLUMNS: tuple[str, ...] = (
    "code",
    "name",
    "province_code",
    "province",
    "basin",
    "city_code",
    "city",
    "river",
    "waterbody",
    "waterbody_basis",
    "lon",
    "lat",
    "target_class",
)
"""The columns of a registry file, in order (an imported correction may leave out any but ``code``)."""

BASES: tuple[str, ...] = ("classes", "name", "default", "user")
"""How a section's waterbody was decided (see the module docstring)."""

_CODE_RE = re.compile(r"^W\d{6}$")


@dataclass(frozen=True, slots=True)
class Section:
    """One monitoring section (断面) of the registry."""

    code: str
    name: str
    province_code: str
    province: str
    basin: str
    city_code: str | None
    city: str | None
    river: str | None
    waterbody: Waterbody
    waterbody_basis: str
    lon: float | None = None
    lat: float | None = None
    target_class: WaterClass | None = None

    def row(self) -> dict[str, str]:
        """The section as a registry CSV row (text cells)."""
        return {
            "code": self.code,
            "name": self.name,
            "province_code": self.province_code,
            "province": self.province,
            "basin": self.basin,
            "city_code": self.city_code or "",
            "city": self.city or "",
            "river": self.river or "",
            "waterbody": self.waterbody.value,
            "waterbody_basis": self.waterbody_basis,
            "lon": "" if self.lon is None else repr(self.lon),
            "lat": "" if self.lat is None else repr(self.lat),
            "target_class": "" if self.target_class is None else self.target_class.label,
        }


def section_key(province: str, name: str) -> tuple[str, str]:
    """How the release identifies a section: its province and its name, NFKC-normalised and stripped.

    >>> section_key("上海市 ", "广北滨河路(桥）")
    ('上海市', '广北滨河路(桥)')
    """
    return (
        unicodedata.normalize("NFKC", province).strip(),
        unicodedata.normalize("NFKC", name).strip(),
    )


class SectionRegistry:
    """The sections by code, and by (province, name) as the release names them."""

    def __init__(self, sections: Iterable[Section]) -> None:
        self._by_code: dict[str, Section] = {}
        self._by_key: dict[tuple[str, str], Section] = {}
        self._by_name: dict[str, list[Section]] = {}
        for section in sections:
            if section.code in self._by_code:
                raise ValueError(f"section code {section.code} given twice")
            self._by_code[section.code] = section
            self._by_key[section_key(section.province, section.name)] = section
            self._by_name.setdefault(section_key("", section.name)[1], []).append(section)

    @classmethod
    def default(cls) -> SectionRegistry:
        """The packaged registry, read once per process."""
        return _default()

    def __iter__(self) -> Iterator[Section]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def get(self, code: str) -> Section | None:
        return self._by_code.get(code)

    def find(self, province: str, name: str) -> Section | None:
        """The section the release calls ``name`` in ``province`` (full province name), or None."""
        return self._by_key.get(section_key(province, name))

    def resolve(self, text: str) -> Section | None:
        """A section by its code, or by its name when only one section has it.

        >>> registry = SectionRegistry.default()
        >>> registry.resolve("古北口").province, registry.resolve(registry.resolve("古北口").code).name
        ('北京市', '古北口')
        """
        word = text.strip()
        if (section := self._by_code.get(word)) is not None:
            return section
        named = self._by_name.get(section_key("", word)[1], [])
        return named[0] if len(named) == 1 else None

    def named(self, name: str) -> list[Section]:
        """Every section called ``name`` (several provinces may have one)."""
        return list(self._by_name.get(section_key("", name)[1], []))

    def with_changes(self, sections: Iterable[Section]) -> SectionRegistry:
        """This registry with ``sections`` added or replacing those of the same code."""
        merged = dict(self._by_code)
        for section in sections:
            merged[section.code] = section
        return SectionRegistry(merged.values())


@functools.cache
def _default() -> SectionRegistry:
    text = resources.files("ecowatch.water").joinpath("data/sections.csv").read_text(encoding="utf-8")
    return SectionRegistry(read_registry(io.StringIO(text), label="sections.csv (packaged)"))


def _float(text: str, label: str, line: int, field: str, low: float, high: float) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{text!r} is not a number", file=label, line=line, field=field) from None
    if not low <= value <= high:
        raise InputError(f"{text} is outside {low:g}..{high:g}", file=label, line=line, field=field)
    return value


def read_registry(source: str | Path | io.StringIO, *, label: str | None = None) -> list[Section]:
    """Every section of a full registry file (all of :data:`REGISTRY_COLUMNS`), checked.

    Raises :class:`~ecowatch.errors.InputError` naming the file, line and field of the first problem.
    """
    if isinstance(source, io.StringIO):
        text, name = source.getvalue(), label or "<registry>"
    else:
        path = Path(source)
        name = label or str(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"cannot read the registry ({error})", file=name) from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in REGISTRY_COLUMNS if column not in (reader.fieldnames or ())]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=name, line=1)
    out = []
    for line, row in enumerate(reader, start=2):
        cells = {column: (row.get(column) or "").strip() for column in REGISTRY_COLUMNS}
        out.append(section_from_cells(cells, name, line))
    return out


def section_from_cells(cells: dict[str, str], label: str, line: int) -> Section:
    """A :class:`Section` from the text cells of one registry row (every column given)."""
    code = cells["code"]
    if not _CODE_RE.match(code):
        raise InputError(f"{code!r} is not a section code W + 6 digits", file=label, line=line, field="code")
    for required in ("name", "province_code", "province", "basin"):
        if not cells[required]:
            raise InputError("empty", file=label, line=line, field=required)
    try:
        waterbody = Waterbody(cells["waterbody"])
    except ValueError:
        raise InputError(
            f"{cells['waterbody']!r} is neither 'river' nor 'lake'", file=label, line=line, field="waterbody"
        ) from None
    if cells["waterbody_basis"] not in BASES:
        raise InputError(
            f"{cells['waterbody_basis']!r} is not one of {', '.join(BASES)}",
            file=label,
            line=line,
            field="waterbody_basis",
        )
    target: WaterClass | None = None
    if cells["target_class"]:
        try:
            target = WaterClass.from_published(cells["target_class"])
        except StandardsError as error:
            raise InputError(str(error), file=label, line=line, field="target_class") from None
    return Section(
        code=code,
        name=cells["name"],
        province_code=cells["province_code"],
        province=cells["province"],
        basin=cells["basin"],
        city_code=cells["city_code"] or None,
        city=cells["city"] or None,
        river=cells["river"] or None,
        waterbody=waterbody,
        waterbody_basis=cells["waterbody_basis"],
        lon=_float(cells["lon"], label, line, "lon", 73.0, 136.0),
        lat=_float(cells["lat"], label, line, "lat", 3.0, 54.0),
        target_class=target,
    )


def write_registry(sections: Iterable[Section], path: str | Path) -> None:
    """Write ``sections`` as a registry file (UTF-8, ``\\n`` line ends), in code order."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=REGISTRY_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for section in sorted(sections, key=lambda s: s.code):
            writer.writerow(section.row())


def corrected(section: Section, **changes: object) -> Section:
    """``section`` with ``changes``; a changed waterbody gets the basis ``user``."""
    if "waterbody" in changes and changes["waterbody"] != section.waterbody:
        changes["waterbody_basis"] = "user"
    return replace(section, **changes)  # type: ignore[arg-type]
