"""Parse and build one complete HJ 212 frame (editions 2005, 2017 and 2025, SM4-encrypted or not).

Wire format (reference §1.1)::

    "##" | LLLL (4 decimal digits) | data segment (LLLL bytes) | CCCC (4 hex digits) | "\\r\\n"

The data segment is ``QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;][RF=…;]CP=&&<data area>&&``.
The header is parsed as ``key=value`` pairs *by name* up to the first ``CP=&&`` (field order, key
case and stray ``,`` separators vary in the field, §2.1). The data area runs from the first ``CP=&&``
to the final ``&&`` of the segment (§4.1).

``parse_frame`` raises :class:`FrameError` with a precise message for structural problems; a CRC
mismatch is *not* an exception: the frame is returned with ``crc_ok=False`` (the decoder turns it into
a ``FrameRejected`` whose reason is :func:`crc_problem`). ``build_frame`` always writes the canonical
field order, an upper-case CRC and ``\\r\\n``.

HJ 212-2025 encrypted data areas (Part B4) are decrypted with ``parse_frame(raw, key_for=...)``
before the CRC check and written with ``build_frame(frame, key=...)``; see :mod:`ecowatch.hj212.sm4`.

Speed: a typical minute/hour frame takes a fast path (one header regex, the data area split by
string operations, a lane-folded CRC; bench/hj212.py); every other shape takes the general path,
which gives the same result or the precise error (property-tested).

>>> raw = (b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
...        b"Flag=5;CP=&&RtdInterval=30&&1C80\\r\\n")
>>> f = parse_frame(raw)
>>> f.version, f.cn, f.ack_requested, f.cp.params["RtdInterval"], f.crc_ok
('2017', 1062, True, 30, True)
>>> build_frame(f) == raw
True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from operator import itemgetter
from typing import Literal, NamedTuple

from ecowatch.hj212.codes import Command
from ecowatch.hj212.crc import format_crc, hj212_crc16, hj212_crc16_many, identify_crc_variant
from ecowatch.hj212.errors import BuildError, FrameError
from ecowatch.hj212.sm4 import decrypt_cp, encrypt_cp

__all__ = [
    "Cp",
    "Frame",
    "KeyLookup",
    "Value",
    "Version",
    "build_frame",
    "crc_problem",
    "data_area_bounds",
    "make_cp",
    "make_frame",
    "parse_cp",
    "parse_frame",
    "parse_frames",
    "version_of_flag",
]

Version = Literal["2005", "2017", "2025"]
Value = int | float | str
#: ``key_for(mn)``: the device's 16-byte SM4 key, or ``None`` when none is known (HJ 212-2025 §6.4.3);
#: or its keys, current first, when a rotation (CN=1014) may leave frames encrypted with an older one.
KeyLookup = Callable[[str], "bytes | Sequence[bytes] | None"]

#: Flag version bits V5..V0 → edition (§2.2; 000010 = 2025 per HJ 212-2025 Table 3, Part B2).
_VERSIONS: dict[int, Version] = {0: "2005", 1: "2017", 2: "2025"}
_VERSION_BITS: dict[str, int] = {v: k for k, v in _VERSIONS.items()}

#: Smallest possible frame: "##" + "0000" + CRC + CRLF.
_MIN_FRAME = 12
#: The length field has four decimal digits: a data segment can never exceed 9999.
MAX_SEGMENT = 9999

# CP fields whose values are kept as text even when they look numeric (timestamps, passwords,
# identifiers, flags: "0".."3" are 2005 air-station flags, not numbers).
_STRING_FIELDS = frozenset({"Flag", "EFlag", "SN", "PolId", "InfoId", "NewPW", "PW", "QN", "MN"})
# "…Time" fields are timestamps (kept as text) except these durations/counts (§4.2).
_NUMERIC_TIME_FIELDS = frozenset({"OverTime", "CTime", "Stime", "Ctime"})
# N14.2 with sign and point is at most 18 characters (§4.2); longer digit runs stay text (and
# int() of thousands of digits would be slow or raise).
_MAX_NUMBER_CHARS = 24
_INT = re.compile(r"[+-]?\d+\Z")
_FLOAT = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+)\Z")
# One CP field: anything up to ";" or ",", except that "//…//" log texts are opaque (§4.1).
_CP_FIELD = re.compile(r"(?:[^;,/]|/(?!/)|//.*?//)*", re.S)
_HEADER_SPLIT = re.compile(r"[;,]")
_HEADER_KEYS = {
    "QN": "QN",
    "ST": "ST",
    "CN": "CN",
    "PW": "PW",
    "MN": "MN",
    "FLAG": "Flag",
    "PNUM": "PNUM",
    "PNO": "PNO",
}
_CODE_2017 = re.compile(r"[a-z]\d{5}\Z")
_FORBIDDEN_HEADER = re.compile(r"[;,&\r\n]")


def _convert(name: str, value: str) -> Value:
    if (
        len(value) > _MAX_NUMBER_CHARS
        or name in _STRING_FIELDS
        or (name.endswith("Time") and name not in _NUMERIC_TIME_FIELDS)
    ):
        return value
    if _INT.match(value):
        return int(value)
    if _FLOAT.match(value):
        return float(value)
    return value


@dataclass(frozen=True, slots=True)
class Cp:
    """The data area ``CP=&&…&&``.

    ``text`` is the raw text between ``CP=&&`` and the final ``&&`` and is what ``build_frame``
    writes; the other attributes are derived from it. ``codes`` maps a factor code to its suffixes
    (``{"w01018": {"Rtd": 40.1, "Flag": "N"}}``); ``params`` holds fields without a code
    (``PolId``, ``SystemTime``, ``QnRtn``, a 2005 reply's ``QN``, a bare ``Flag``). Values are
    ``int``/``float`` where numeric, else the text as sent; flags, times and ids stay text.
    Tokens without ``=`` are kept in ``unparsed``. (Dict-valued: equal-comparable, not hashable.)
    """

    text: str
    data_time: str | None = None
    params: Mapping[str, Value] = field(default_factory=dict)
    codes: Mapping[str, Mapping[str, Value]] = field(default_factory=dict)
    unparsed: tuple[str, ...] = ()


# Hot-path constructor of Cp, as _new_frame is of Frame (see there): a third of a µs per frame.
_set_cp_text, _set_cp_data_time, _set_cp_params, _set_cp_codes, _set_cp_unparsed = (
    Cp.__dict__[f.name].__set__ for f in fields(Cp)
)


def _new_cp(text: str, data_time: str | None, codes: dict[str, dict[str, Value]]) -> Cp:
    """``Cp(text, data_time, {}, codes, ())``, faster."""
    cp = object.__new__(Cp)
    _set_cp_text(cp, text)
    _set_cp_data_time(cp, data_time)
    _set_cp_params(cp, {})
    _set_cp_codes(cp, codes)
    _set_cp_unparsed(cp, ())
    return cp


def _cp_tokens(text: str) -> list[str]:
    if "//" not in text:
        return _HEADER_SPLIT.split(text)
    tokens = []
    pos, end = 0, len(text)
    while True:
        m = _CP_FIELD.match(text, pos)
        assert m is not None  # the pattern matches the empty string
        pos = m.end()
        if pos < end and text[pos] not in ";,":
            tokens.append(text[m.start() :])  # unterminated "//" log text: keep the rest whole
            break
        tokens.append(m.group())
        if pos >= end:
            break
        pos += 1
    return tokens


# Fast path of parse_cp, built from C-speed string operations (count, split, replace, translate).
# It takes the shape of nearly every data frame: "[DataTime=…;]code-Suffix=value,…;…" — one "=" and
# one "-" per key, each code's items together, no key twice, ASCII without blanks or "//" log text,
# values that are numbers or data flags. Anything else returns None and _parse_cp_general decides;
# both give the same result (property-tested).
#
# Kept by the separator scan: the separators, ASCII blanks, "/" and every non-ASCII byte, so that
# blanks (which the general path strips from keys), "//" log texts and non-ASCII text break the "=",
# ";"/"," alternation.
_CP_SCAN_DELETE = bytes(b for b in range(128) if b not in b";,=/ \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f")
_NOT_KEY_SEPARATORS = bytes(b for b in range(256) if b not in b"-=")
_KEY_SEPARATORS = b"-=" * 5000  # a data segment of 9999 characters holds < 5000 items
# Characters of numbers (§4.2). Over this alphabet float() and int() accept exactly those numbers (no
# exponent, inf, nan, "_", blanks or "+" can be spelled), so they convert without a regex per value.
_NUMBER_CHARS = b"0123456789.-"


def _is_text_field(name: str) -> bool:
    return name in _STRING_FIELDS or (name.endswith("Time") and name not in _NUMERIC_TIME_FIELDS)


_Builder = Callable[[Sequence[Value], Sequence[str]], dict[str, dict[str, Value]]]


class _Layout(NamedTuple):
    """What a device's key sequence ("a21026-Avg=a21026-Flag=…") fixes about every frame that uses it:
    which values are numbers and which text (§4.2), and a builder of the nested ``codes`` dict from
    the converted numbers and the texts."""

    numeric_values: Callable[[Sequence[str]], Sequence[str]]
    text_values: Callable[[Sequence[str]], Sequence[str]]
    build: _Builder


# A device sends the same keys in every frame, so the work that depends only on the keys (splitting
# them into code and suffix, classifying suffixes, shaping the dicts) is done once per key sequence.
# Bounded because keys come from peers. Analysing a sequence costs more than the general path's parse
# of the whole segment, so a sequence that will not be remembered (past the cap, or longer than any
# data frame's) takes the general path instead (bench/hj212_layouts.py prints both).
# A sequence that is not the fast path's shape is remembered as None, so that it is analysed once too.
_LAYOUTS: dict[str, _Layout | None] = {}
_LAYOUTS_CAP = 2048
_LAYOUT_MAX_KEYS = 128
# Code-generated builders (a nested dict display is faster than building the dicts in a comprehension:
# bench/hj212_layouts.py measures both), one per shape of a layout: the group sizes and which slots
# are text. At most one per remembered layout, so bounded by _LAYOUTS_CAP. The generated source holds
# only generated identifiers and integers; the codes and suffixes reach it as closure values, never as
# source text.
_BUILDER_FACTORIES: dict[tuple[tuple[int, ...], ...], Callable[..., _Builder]] = {}


def _picker(positions: list[int]) -> Callable[[Sequence[str]], Sequence[str]]:
    if len(positions) > 1:
        return itemgetter(*positions)
    if positions:
        only = positions[0]
        return lambda values: (values[only],)
    return lambda values: ()


def _builder_factory(shape: tuple[tuple[int, ...], ...]) -> Callable[..., _Builder]:
    """``factory(code, suffix, …, code, suffix, …)`` → ``build(numbers, texts)`` for a layout shape;
    a slot ``i >= 0`` is ``numbers[i]``, ``i < 0`` is ``texts[-1 - i]``."""
    params: list[str] = []
    groups: list[str] = []
    for g, slots in enumerate(shape):
        params.append(f"c{g}")
        items = []
        for k, slot in enumerate(slots):
            params.append(f"k{g}_{k}")
            items.append(f"k{g}_{k}: " + (f"n[{slot}]" if slot >= 0 else f"t[{-1 - slot}]"))
        groups.append(f"c{g}: {{{', '.join(items)}}}")
    source = (
        f"def factory({', '.join(params)}):\n"
        f"    def build(n, t):\n"
        f"        return {{{', '.join(groups)}}}\n"
        f"    return build\n"
    )
    namespace: dict[str, Callable[..., _Builder]] = {}
    exec(compile(source, "<hj212 CP layout>", "exec"), namespace)
    return namespace["factory"]


def _new_layout(joined: str, count: int) -> _Layout | None:
    """The layout of ``count`` keys joined by "=", or ``None`` if it is not the fast path's shape."""
    if joined.encode().translate(None, _NOT_KEY_SEPARATORS) != _KEY_SEPARATORS[: 2 * count - 1]:
        return None  # a key without "-" or with two: the general path sorts it out
    split_keys = joined.replace("-", "=").split("=")
    code_of = split_keys[0::2]
    names = split_keys[1::2]
    if "" in code_of or len(set(zip(code_of, names, strict=True))) != count:
        return None
    numeric_at = [i for i, name in enumerate(names) if not _is_text_field(name)]
    text_at = [i for i, name in enumerate(names) if _is_text_field(name)]
    slot_of = {i: n for n, i in enumerate(numeric_at)} | {i: -1 - n for n, i in enumerate(text_at)}
    groups: list[tuple[str, tuple[str, ...], tuple[int, ...]]] = []
    start = 0
    for i in range(1, count + 1):
        if i == count or code_of[i] != code_of[start]:
            groups.append((code_of[start], tuple(names[start:i]), tuple(slot_of[j] for j in range(start, i))))
            start = i
    if len({code for code, _, _ in groups}) != len(groups):
        return None  # a code's items apart
    shape = tuple(slots for _, _, slots in groups)
    factory = _BUILDER_FACTORIES.get(shape)
    if factory is None:
        factory = _BUILDER_FACTORIES[shape] = _builder_factory(shape)
    build = factory(*[key for code, names, _ in groups for key in (code, *names)])
    return _Layout(_picker(numeric_at), _picker(text_at), build)


def _parse_cp_fast(text: str) -> Cp | None:
    separators = text.encode().translate(None, _CP_SCAN_DELETE)
    if (
        not len(separators) & 1
        or separators[::2].count(b"=") != (len(separators) + 1) >> 1
        or separators[1::2].translate(None, b";,")
    ):
        return None  # not "=" and ";"/"," in turn (one "=" per item), or blanks, "/" or non-ASCII text
    parts = text.replace(",", "=").replace(";", "=").split("=")
    keys = parts[0::2]
    values = parts[1::2]
    data_time = None
    if keys[0] == "DataTime":
        data_time = values[0]
        del keys[0], values[0]
        if not keys:
            return _new_cp(text, data_time, {})
    joined = "=".join(keys)
    try:
        layout = _LAYOUTS[joined]
    except KeyError:
        if len(_LAYOUTS) >= _LAYOUTS_CAP or len(keys) > _LAYOUT_MAX_KEYS:
            return None  # a layout analysed for one frame only: the general path is cheaper
        layout = _LAYOUTS[joined] = _new_layout(joined, len(keys))
    if layout is None:
        return None  # remembered as not the fast path's shape
    numeric = layout.numeric_values(values)
    digits = "".join(numeric)
    if (
        digits.encode().translate(None, _NUMBER_CHARS)
        or max(map(len, numeric), default=0) > _MAX_NUMBER_CHARS
    ):
        return None  # text fields keep any value, as in the general path; these would not be numbers
    try:
        if digits.count(".") == len(numeric):
            # One "." per value on average, and float() rejects two: every value is a decimal.
            numbers: Sequence[Value] = list(map(float, numeric))
        else:
            numbers = [float(value) if "." in value else int(value) for value in numeric]
    except ValueError:
        return None  # a lone "-" or "." where a number belongs: text, per the general path
    return _new_cp(text, data_time, layout.build(numbers, layout.text_values(values)))


_LEADING_DATA_TIME = re.compile(r"DataTime=([^;,]*)")


def _cp_with_data_time(text: str) -> Cp:
    """``Cp(text)`` with its ``data_time`` only (``values=False``): read off directly when DataTime
    leads and is the only one, as data frames send it; otherwise the whole parse decides."""
    if "DataTime" not in text:
        return _new_cp(text, None, {})
    if "//" not in text and text.count("DataTime") == 1:
        found = _LEADING_DATA_TIME.match(text)
        if found is not None:
            return _new_cp(text, found.group(1), {})
    return parse_cp(text)


def parse_cp(text: str) -> Cp:
    """Parse a data area (the text between ``CP=&&`` and ``&&``).

    Values are numbers where the field is numeric (§4.2): an integer of at most 24 characters
    becomes ``int``, a decimal ``float``; flags, ``…Time`` stamps, ids and passwords stay text.

    >>> cp = parse_cp("DataTime=20160801080000;w01018-Avg=40.1,w01018-Flag=N;i11001-Info=//a;b,c//")
    >>> cp.data_time, cp.codes["w01018"], cp.codes["i11001"]["Info"]
    ('20160801080000', {'Avg': 40.1, 'Flag': 'N'}, '//a;b,c//')
    """
    if text:
        fast = _parse_cp_fast(text)
        if fast is not None:
            return fast
    return _parse_cp_general(text)


def _parse_cp_general(text: str) -> Cp:
    data_time = None
    params: dict[str, Value] = {}
    codes: dict[str, dict[str, Value]] = {}
    unparsed: list[str] = []
    for token in _cp_tokens(text):
        key, eq, value = token.partition("=")
        if not eq:
            if token.strip():
                unparsed.append(token)
            continue
        key = key.strip()
        if key == "DataTime":
            data_time = value
            continue
        code, dash, suffix = key.rpartition("-")
        if dash and code:
            codes.setdefault(code, {})[suffix] = _convert(suffix, value)
        else:
            params[key] = _convert(key, value)
    return Cp(text, data_time, params, codes, tuple(unparsed))


def _render_value(value: Value) -> str:
    if isinstance(value, bool):
        raise BuildError(f"CP value must be int, float or str, not bool: {value!r}")
    return repr(value) if isinstance(value, float) else str(value)


def make_cp(
    data_time: str | None = None,
    params: Mapping[str, Value] | None = None,
    codes: Mapping[str, Mapping[str, Value]] | None = None,
) -> Cp:
    """Render a data area from structured values (one ``;`` group per code) and parse it back.

    >>> make_cp("20160801080000", {}, {"w01018": {"Rtd": 40.1, "Flag": "N"}}).text
    'DataTime=20160801080000;w01018-Rtd=40.1,w01018-Flag=N'
    """
    groups = []
    if data_time is not None:
        groups.append(f"DataTime={data_time}")
    groups.extend(f"{k}={_render_value(v)}" for k, v in (params or {}).items())
    for code, suffixes in (codes or {}).items():
        groups.append(",".join(f"{code}-{s}={_render_value(v)}" for s, v in suffixes.items()))
    text = ";".join(groups)
    _check_cp_text(text)
    cp = parse_cp(text)
    if (
        cp.data_time != data_time
        or cp.params != dict(params or {})
        or cp.codes != {k: dict(v) for k, v in (codes or {}).items()}
    ):
        raise BuildError(f"CP values do not survive encoding (separator or '=' in a name/value?): {text!r}")
    return cp


def _check_cp_text(text: str) -> None:
    if "&&" in text or "\r" in text or "\n" in text:
        raise BuildError(f"CP text must not contain '&&', CR or LF: {text!r}")
    if text.startswith("{0x"):
        raise BuildError("CP text starting with '{0x' would read as SM4 ciphertext")


@dataclass(frozen=True, slots=True)
class Frame:
    """One HJ 212 frame.

    ``qn``/``flag``/``pnum``/``pno`` are ``None`` when the field is absent (2005 devices send no
    QN and often no Flag). ``extra`` keeps unknown header fields in order (e.g. 2025's ``RF=1``).
    ``raw`` is the frame as received (or as built); ``length_field`` the declared data-segment
    length; ``length_in_chars`` is true when that length matched the character count and not the
    byte count (§1.2); ``crc_field`` the four CRC digits as sent; ``crc_ok`` whether they match the
    HJ 212 CRC of the (decrypted) data segment.

    HJ 212-2025 encrypted frames (Part B4): ``encrypted`` is true and ``plain_segment`` holds the
    decrypted data segment (what the CRC covers); ``cp`` is parsed from the plaintext. The standard's
    own Annex A.2 examples declare the *plaintext* length while sending the longer ciphertext, so for
    encrypted frames the length field is not trusted: ``sent_length`` records the data segment's
    byte count as sent whenever it differs from ``length_field`` (``None`` when they agree), and
    :attr:`length_note` says so in words.

    .. versionchanged:: issue 6 — ``encrypted``, ``plain_segment`` and ``sent_length`` added.
    """

    version: Version
    qn: str | None
    st: str
    cn: int
    pw: str
    mn: str
    flag: int | None
    pnum: int | None
    pno: int | None
    cp: Cp
    extra: tuple[tuple[str, str], ...] = ()
    raw: bytes = b""
    length_field: int = 0
    crc_field: str = ""
    crc_ok: bool = True
    length_in_chars: bool = False
    encrypted: bool = False
    plain_segment: bytes | None = None
    sent_length: int | None = None

    @property
    def ack_requested(self) -> bool:
        """Flag bit A (bit 0): the receiver must answer. No Flag field → False (§2.2)."""
        return self.flag is not None and bool(self.flag & 1)

    @property
    def split(self) -> bool:
        """Flag bit D (bit 1): PNUM/PNO present. Without Flag: whether PNUM/PNO were sent (S06)."""
        if self.flag is None:
            return self.pnum is not None or self.pno is not None
        return bool(self.flag & 2)

    @property
    def command(self) -> Command | None:
        """``cn`` as a known :class:`Command`, or ``None`` for codes outside the tables."""
        try:
            return Command(self.cn)  # type: ignore[call-arg]  # a lookup by value, not Command.__new__
        except ValueError:
            return None

    @property
    def data_segment(self) -> bytes:
        """The bytes the CRC covers: the data segment as sent, or decrypted for SM4 frames."""
        return self.raw[6:-6] if self.plain_segment is None else self.plain_segment

    @property
    def length_note(self) -> str | None:
        """``None`` when the length field counts what was sent, else what it disagrees with."""
        if self.sent_length is None:
            return None
        what = (
            "decrypted data segment"
            if self.plain_segment is not None and self.length_field == len(self.plain_segment)
            else "data segment"
        )
        return (
            f"length field {self.length_field:04d} but {self.sent_length} bytes of "
            f"{'SM4-encrypted ' if self.encrypted else ''}data segment were sent"
            + (f" (it counts the {what})" if what != "data segment" else "")
        )


# Hot-path constructor of Frame. The frozen dataclass __init__ sets each of the 19 slots through
# object.__setattr__; calling the slot descriptors' setters directly does the same in half the time
# (about 1 µs of a 22 µs decode, bench/hj212.py). The result is an ordinary, equal, frozen Frame.
_new_object = object.__new__
(
    _set_version,
    _set_qn,
    _set_st,
    _set_cn,
    _set_pw,
    _set_mn,
    _set_flag,
    _set_pnum,
    _set_pno,
    _set_cp,
    _set_extra,
    _set_raw,
    _set_length_field,
    _set_crc_field,
    _set_crc_ok,
    _set_length_in_chars,
    _set_encrypted,
    _set_plain_segment,
    _set_sent_length,
) = (Frame.__dict__[f.name].__set__ for f in fields(Frame))


def _new_frame(
    version: Version,
    qn: str | None,
    st: str,
    cn: int,
    pw: str,
    mn: str,
    flag: int | None,
    pnum: int | None,
    pno: int | None,
    cp: Cp,
    extra: tuple[tuple[str, str], ...],
    raw: bytes,
    length_field: int,
    crc_field: str,
    crc_ok: bool,
    length_in_chars: bool,
    encrypted: bool,
    plain_segment: bytes | None,
    sent_length: int | None,
) -> Frame:
    frame = _new_object(Frame)
    _set_version(frame, version)
    _set_qn(frame, qn)
    _set_st(frame, st)
    _set_cn(frame, cn)
    _set_pw(frame, pw)
    _set_mn(frame, mn)
    _set_flag(frame, flag)
    _set_pnum(frame, pnum)
    _set_pno(frame, pno)
    _set_cp(frame, cp)
    _set_extra(frame, extra)
    _set_raw(frame, raw)
    _set_length_field(frame, length_field)
    _set_crc_field(frame, crc_field)
    _set_crc_ok(frame, crc_ok)
    _set_length_in_chars(frame, length_in_chars)
    _set_encrypted(frame, encrypted)
    _set_plain_segment(frame, plain_segment)
    _set_sent_length(frame, sent_length)
    return frame


def version_of_flag(flag: int) -> Version | None:
    """Edition encoded in Flag's version bits, or ``None`` for unknown bits."""
    return _VERSIONS.get((flag >> 2) & 0x3F)


def _guess_version(qn: str | None, cp: Cp) -> Version:
    # No Flag field: 2005 devices never send one. A frame with a QN whose factor codes all look like
    # 2017 codes (letter + 5 digits, e.g. S06's a01006) is a 2017 device that omits Flag.
    if qn is None or not cp.codes:
        return "2005"
    return "2017" if all(_CODE_2017.match(code) for code in cp.codes) else "2005"


def _int_field(name: str, value: str, maximum: int) -> int:
    if len(value) > 5 or not value.isascii() or not value.isdigit() or int(value) > maximum:
        raise FrameError(f"field {name} is not an integer 0-{maximum}: {value!r}")
    return int(value)


_HEX_DIGITS = b"0123456789abcdefABCDEF"
# The header as nearly every device sends it, in the standard's order (§2.1). Values exclude "&" so
# the "CP=&&" matched is the segment's first one; anything else takes the general path by name.
# 2005 devices send neither QN nor Flag (§2.1), so both are optional here too.
_HEADER_CANONICAL = re.compile(
    r"(?:QN=([^;,&]*);)?ST=([^;,&]*);CN=([0-9]{4});PW=([^;,&]*);MN=([^;,&]*);(?:Flag=([0-9]{1,3});)?"
    r"(?:PNUM=([0-9]{1,4});PNO=([0-9]{1,4});)?CP=&&"
)
_MN_FIELD = re.compile(rb"(?:^|[;,])[ ]*MN[ ]*=([^;,]*)")
_ENCRYPTED_CP = b"CP=&&{0"


def _decrypt_segment(
    seg: bytes, cp_at: int, key_for: KeyLookup | None, sent_crc: int
) -> tuple[bytes, int | None]:
    """The plaintext data segment of an SM4-encrypted one (HJ 212-2025 §6.4.2, Annex A.2), and its CRC
    when it was computed here.

    With several keys (current first), the first whose plaintext has the CRC the frame carries is
    taken: a device may still send with its previous key for a while after a rotation. When none
    fits, the current key's plaintext is returned, and the CRC check names the mismatch.
    """
    found = _MN_FIELD.search(seg, 0, cp_at)
    if found is None:
        raise FrameError("SM4-encrypted CP but field MN missing (the key is looked up by MN)")
    mn = found.group(1).decode("utf-8", "replace")
    looked_up = key_for(mn) if key_for is not None else None
    keys = (looked_up,) if isinstance(looked_up, bytes) else tuple(looked_up or ())
    if not keys:
        raise FrameError(f"SM4-encrypted CP from MN={mn}: no key for this MN")
    end = seg.rfind(b"&&")
    if end < cp_at + 5:
        raise FrameError("CP not closed by '&&'")
    first: bytes | None = None
    for key in keys:
        try:
            plain = seg[: cp_at + 5] + decrypt_cp(seg[cp_at + 5 : end], key) + seg[end:]
        except FrameError as exc:
            raise FrameError(f"{exc} (MN={mn})") from None
        if len(keys) == 1:
            return plain, None
        crc = hj212_crc16(plain)
        if crc == sent_crc:
            return plain, crc
        first = first if first is not None else plain
    assert first is not None  # keys is not empty
    return first, None


def parse_frame(raw: bytes, *, key_for: KeyLookup | None = None, values: bool = True) -> Frame:
    """Parse one complete frame ``##LLLL<segment>CCCC\\r\\n``; raise :class:`FrameError` if invalid.

    ``key_for(mn)`` returns the device's SM4 key for HJ 212-2025 encrypted frames (Part B4): the CP
    is decrypted *before* the CRC check, because the CRC covers the plaintext (Annex A.2). An
    encrypted frame without a key is a :class:`FrameError` naming the MN. The length field of an
    encrypted frame is not trusted (the standard's own examples declare the plaintext length):
    any value is accepted and a disagreement is recorded in :attr:`Frame.sent_length`.

    ``values=False`` lets the parser leave the data area as text: ``cp.text`` and ``cp.data_time`` are
    right as always, but ``params`` and ``codes`` may be empty (``parse_cp(frame.cp.text)`` gives
    them); everything else, the CRC check included, is as usual.  For a relay that journals frames and
    parses their values later (the gateway: the values are about 60 % of a typical frame's parse).
    Frames without a Flag field, whose edition is told from their codes, and headers out of the
    standard's order come parsed whole.

    .. versionchanged:: issue 6 — ``key_for``; SM4-encrypted frames are decoded; ``values``.
    """
    return _parse_frame(raw, key_for, None, values)


def parse_frames(
    raws: Sequence[bytes], *, key_for: KeyLookup | None = None, values: bool = True
) -> list[Frame | FrameError]:
    """:func:`parse_frame` of many frames, with their CRCs computed in one NumPy batch
    (:func:`~ecowatch.hj212.crc.hj212_crc16_many`); each item is the frame or the error it raised.

    Worth it from a few dozen frames (a capture file, a busy read); results equal parse_frame's.
    """
    known = hj212_crc16_many([raw[6:-6] for raw in raws])
    results: list[Frame | FrameError] = []
    for raw, crc in zip(raws, known, strict=True):
        try:
            results.append(_parse_frame(raw, key_for, crc, values))
        except FrameError as exc:
            results.append(exc)
    return results


def _parse_frame(raw: bytes, key_for: KeyLookup | None, known_crc: int | None, values: bool = True) -> Frame:
    """parse_frame; ``known_crc`` is the CRC of ``raw[6:-6]`` when the caller computed it already."""
    if len(raw) < _MIN_FRAME:
        raise FrameError(f"frame too short: {len(raw)} bytes, at least {_MIN_FRAME} needed")
    if raw[:2] != b"##":
        raise FrameError(f"frame does not start with '##': {raw[:2]!r}")
    if raw[-2:] != b"\r\n":
        raise FrameError(f"frame does not end with CR LF: {raw[-2:]!r}")
    length_text = raw[2:6]
    if not length_text.isdigit():
        raise FrameError(f"length field {length_text.decode('ascii', 'replace')!r} is not 4 decimal digits")
    crc_bytes = raw[-6:-2]
    if crc_bytes.translate(None, _HEX_DIGITS):
        raise FrameError(f"CRC field {crc_bytes.decode('ascii', 'replace')!r} is not 4 hex digits")
    seg = raw[6:-6]
    cp_at = seg.find(_ENCRYPTED_CP)
    if cp_at >= 0 and seg[cp_at + 7 : cp_at + 8] in (b"x", b"X"):
        plain, plain_crc = _decrypt_segment(seg, cp_at, key_for, int(crc_bytes, 16))
        encrypted = True
    else:
        plain, plain_crc = seg, None
        encrypted = False
    try:
        text = plain.decode("utf-8")
    except UnicodeDecodeError as exc:
        if encrypted:
            raise FrameError(
                f"data segment is not valid UTF-8 after SM4 decryption at byte {exc.start} (wrong key?)"
            ) from None
        raise FrameError(f"data segment is not valid UTF-8 at byte {exc.start}") from None
    length_field = int(length_text)
    length_in_chars = False
    sent_length = None
    if length_field != len(seg):
        if encrypted:
            sent_length = len(seg)
            length_in_chars = length_field != len(plain) and length_field == len(text)
        elif length_field == len(text):
            length_in_chars = True
        else:
            chars = f" ({len(text)} characters)" if len(text) != len(seg) else ""
            raise FrameError(
                f"length field {length_text.decode()} but data segment is {len(seg):04d} bytes{chars}"
            )
    crc_field = crc_bytes.decode("ascii")
    if encrypted:
        known_crc = plain_crc if plain_crc is not None else hj212_crc16(plain)
    elif known_crc is None:
        known_crc = hj212_crc16(plain)
    crc_ok = known_crc == int(crc_field, 16)
    wire = (
        raw,
        length_field,
        crc_field,
        crc_ok,
        length_in_chars,
        encrypted,
        plain if encrypted else None,
        sent_length,
    )
    frame = _parse_canonical(text, wire, values)
    if frame is None:
        frame = _parse_segment(text, wire)
    return frame


#: The Frame fields that come from the wire rather than the data segment, in Frame's order (raw …
#: sent_length), handed from parse_frame to the two segment parsers.
_Wire = tuple[bytes, int, str, bool, bool, bool, "bytes | None", "int | None"]


def _parse_canonical(text: str, wire: _Wire, values: bool = True) -> Frame | None:
    """The fast path of :func:`_parse_segment` for a header in the standard's order; ``None`` when
    the header is anything else (the general path then gives the result or the precise error)."""
    header = _HEADER_CANONICAL.match(text)
    if header is None or text[-2:] != "&&":
        return None
    cp_start = header.end()
    if len(text) - 2 < cp_start:
        return None
    qn, st, cn, pw, mn, flag_text, pnum, pno = header.groups()
    cp_text = text[cp_start:-2]
    if values or flag_text is None:
        cp = (_parse_cp_fast(cp_text) if cp_text else None) or _parse_cp_general(cp_text)  # parse_cp, inlined
    else:
        cp = _cp_with_data_time(cp_text)
    if flag_text is None:
        flag = None
        version = _guess_version(qn, cp)
    else:
        flag = int(flag_text)
        found = _VERSIONS.get(flag >> 2) if flag <= 255 else None
        if found is None:
            return None
        version = found
    return _new_frame(
        version,
        qn,
        st,
        int(cn),
        pw,
        mn,
        flag,
        int(pnum) if pnum is not None else None,
        int(pno) if pno is not None else None,
        cp,
        (),
        *wire,
    )


def data_area_bounds(text: str) -> tuple[int, int]:
    """Where the data area is in a data segment, or in a whole frame as text (the CRC after the final
    ``&&`` is hex): from after the first ``CP=&&`` to the final ``&&``; :class:`FrameError` when
    there is none.

    >>> text = "QN=1;ST=22;CN=2011;PW=1;MN=M;Flag=5;CP=&&DataTime=20160801080000&&"
    >>> start, end = data_area_bounds(text)
    >>> text[start:end]
    'DataTime=20160801080000'
    """
    cp_at = text.find("CP=&&")
    if cp_at < 0:
        raise FrameError("field CP missing (no 'CP=&&' in the data segment)")
    end = text.rfind("&&")
    if end < cp_at + 5:
        raise FrameError("CP not closed by '&&'")
    return cp_at + 5, end


def _parse_segment(text: str, wire: _Wire) -> Frame:
    start, end = data_area_bounds(text)
    cp_at = start - 5
    cp = parse_cp(text[start:end])
    header: dict[str, str] = {}
    extra: list[tuple[str, str]] = []
    for token in _HEADER_SPLIT.split(text[:cp_at] + ";" + text[end + 2 :]):
        if not token.strip():
            continue
        key, eq, value = token.partition("=")
        if not eq:
            raise FrameError(f"header field without '=': {token!r}")
        key = key.strip()
        name = _HEADER_KEYS.get(key.upper())
        if name is None:
            extra.append((key, value))
        elif name in header:
            raise FrameError(f"field {name} appears twice")
        else:
            header[name] = value
    for name in ("ST", "CN", "PW", "MN"):
        if name not in header:
            raise FrameError(f"field {name} missing")
    cn_text = header["CN"]
    if len(cn_text) != 4 or not cn_text.isascii() or not cn_text.isdigit():
        raise FrameError(f"field CN is not 4 digits: {cn_text!r}")
    flag = _int_field("Flag", header["Flag"], 255) if "Flag" in header else None
    pnum = _int_field("PNUM", header["PNUM"], 9999) if "PNUM" in header else None
    pno = _int_field("PNO", header["PNO"], 9999) if "PNO" in header else None
    qn = header.get("QN")
    if flag is None:
        version = _guess_version(qn, cp)
    else:
        found = version_of_flag(flag)
        if found is None:
            raise FrameError(f"Flag={flag} has unknown version bits {(flag >> 2) & 0x3F:06b}")
        version = found
    return Frame(
        version=version,
        qn=qn,
        st=header["ST"],
        cn=int(cn_text),
        pw=header["PW"],
        mn=header["MN"],
        flag=flag,
        pnum=pnum,
        pno=pno,
        cp=cp,
        extra=tuple(extra),
        raw=wire[0],
        length_field=wire[1],
        crc_field=wire[2],
        crc_ok=wire[3],
        length_in_chars=wire[4],
        encrypted=wire[5],
        plain_segment=wire[6],
        sent_length=wire[7],
    )


def crc_problem(frame: Frame) -> str | None:
    """``None`` if the CRC matches, else e.g. ``bad CRC: got 2D61, computed F441 (matches CRC-16/MODBUS)``."""
    if frame.crc_ok:
        return None
    seg = frame.data_segment
    reason = f"bad CRC: got {frame.crc_field}, computed {format_crc(hj212_crc16(seg))}"
    variant = identify_crc_variant(seg, frame.crc_field)
    if variant == "modbus":
        reason += " (matches CRC-16/MODBUS)"
    elif variant == "modbus_le":
        reason += " (matches CRC-16/MODBUS low-byte-first)"
    if frame.encrypted:
        reason += f" over the SM4-decrypted data segment (wrong key for MN={frame.mn}?)"
    return reason


def _check_header_value(name: str, value: str) -> None:
    if _FORBIDDEN_HEADER.search(value) or "CP=&&" in value:
        raise BuildError(f"field {name} must not contain ';', ',', '&', CR or LF: {value!r}")


def _render_segment(frame: Frame) -> str:
    parts = []
    if frame.qn is not None:
        parts.append(f"QN={frame.qn}")
    if not 0 <= frame.cn <= 9999:
        raise BuildError(f"CN must be 0-9999, got {frame.cn}")
    parts += [f"ST={frame.st}", f"CN={frame.cn:04d}", f"PW={frame.pw}", f"MN={frame.mn}"]
    if frame.flag is not None:
        if not 0 <= frame.flag <= 255:
            raise BuildError(f"Flag must be 0-255, got {frame.flag}")
        if version_of_flag(frame.flag) != frame.version:
            raise BuildError(f"Flag={frame.flag} does not encode version {frame.version}")
        parts.append(f"Flag={frame.flag}")
    for name, number in (("PNUM", frame.pnum), ("PNO", frame.pno)):
        if number is not None:
            if not 0 <= number <= 9999:
                raise BuildError(f"{name} must be 0-9999, got {number}")
            parts.append(f"{name}={number}")
    for key, value in frame.extra:
        if key.upper() in _HEADER_KEYS or key.upper() == "CP" or not key or "=" in key:
            raise BuildError(f"extra header key {key!r} is reserved or invalid")
        _check_header_value(key, key)
        _check_header_value(key, value)
        parts.append(f"{key}={value}")
    for name, value in (("QN", frame.qn or ""), ("ST", frame.st), ("PW", frame.pw), ("MN", frame.mn)):
        _check_header_value(name, value)
    if not frame.st or not frame.mn:
        raise BuildError("fields ST and MN must not be empty")
    _check_cp_text(frame.cp.text)
    parts.append(f"CP=&&{frame.cp.text}&&")
    return ";".join(parts)


def build_frame(frame: Frame, *, key: bytes | None = None) -> bytes:
    """Encode ``frame`` from its fields (canonical order, fresh length and upper-case CRC, CRLF).

    ``raw``, ``length_field``, ``crc_field`` and ``crc_ok`` of the argument are ignored;
    ``length_in_chars`` selects a character-count length field (§1.2).

    With ``key`` (16 bytes) the data area is SM4-encrypted as HJ 212-2025 Annex A.2 shows: the CRC
    is computed over the plaintext first, then whole 16-byte blocks of the CP are encrypted and the
    remainder stays plaintext. The length field counts the *plaintext* data segment, as the
    standard's Annex A.2 examples do, unless ``frame`` was parsed from a device that declares the
    length sent (``frame.encrypted`` and no ``sent_length``), which is then reproduced.

    .. versionchanged:: issue 6 — ``key``.
    """
    text = _render_segment(frame)
    seg = text.encode("utf-8")
    length = len(text) if frame.length_in_chars else len(seg)
    if length > MAX_SEGMENT:
        raise BuildError(f"data segment is {length} long; the 4-digit length field allows {MAX_SEGMENT}")
    crc = format_crc(hj212_crc16(seg)).encode("ascii")
    if key is None:
        if frame.encrypted:
            raise BuildError(f"frame from MN={frame.mn} was SM4-encrypted; pass key= to build it")
        return b"##%04d%s%s\r\n" % (length, seg, crc)
    cp_at = seg.index(b"CP=&&") + 5
    wire = seg[:cp_at] + encrypt_cp(seg[cp_at:-2], key) + b"&&"
    if len(wire) > MAX_SEGMENT:
        raise BuildError(
            f"SM4-encrypted data segment is {len(wire)} bytes; a receiver framing it allows {MAX_SEGMENT}"
        )
    if frame.encrypted and frame.sent_length is None:
        length = len(wire)
    return b"##%04d%s%s\r\n" % (length, wire, crc)


def make_frame(
    *,
    st: str,
    cn: int,
    pw: str,
    mn: str,
    cp: Cp | str,
    qn: str | None = None,
    flag: int | None = None,
    pnum: int | None = None,
    pno: int | None = None,
    extra: tuple[tuple[str, str], ...] = (),
    version: Version | None = None,
    length_in_chars: bool = False,
    key: bytes | None = None,
) -> Frame:
    """Create a valid :class:`Frame` (with ``raw`` etc. filled in) from field values.

    The version comes from ``flag``; without a Flag field it is inferred the way ``parse_frame``
    does, and an explicit ``version`` that a Flag-less frame cannot carry is a :class:`BuildError`.
    ``key`` SM4-encrypts the data area (HJ 212-2025, see :func:`build_frame`).

    .. versionchanged:: issue 6 — ``key``.
    """
    cp_obj = parse_cp(cp) if isinstance(cp, str) else cp
    if flag is not None:
        derived = version_of_flag(flag) if 0 <= flag <= 255 else None
        if derived is None:
            raise BuildError(f"Flag={flag} encodes no known version")
    else:
        derived = _guess_version(qn, cp_obj)
    if version is not None and version != derived:
        raise BuildError(f"version {version} cannot be encoded (the fields give {derived})")
    draft = Frame(
        derived, qn, st, cn, pw, mn, flag, pnum, pno, cp_obj, tuple(extra), length_in_chars=length_in_chars
    )
    raw = build_frame(draft, key=key)
    return parse_frame(raw, key_for=None if key is None else lambda mn: key)
