"""The unified social credit code (统一社会信用代码) of GB 32100-2015, checked: pure, no I/O.

The code is 18 characters (GB 32100-2015 §4, Figure 1):

=======  ====================================================================
 1       registration authority (登记管理部门代码): 1-9, A-N, Y
 2       kind of organisation under that authority (机构类别代码)
 3-8     administrative division of the registering office (GB/T 2260, 6 digits)
 9-17    the organisation's identifier (主体标识码, the GB 11714 organisation code)
 18      check character (校验码), §5 and Annex B
=======  ====================================================================

drawn from the 31 characters ``0-9`` and the capitals without I, O, S, V, Z (§4.2, Table 1).
"""

from __future__ import annotations

import re

__all__ = ["CHARACTERS", "WEIGHTS", "check_character", "credit_code_problem"]

#: The code's characters in the order of their values 0-30 (GB 32100-2015 Table 1).
CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: Weight of each of the first 17 positions: 3^(i-1) mod 31 (GB 32100-2015 Annex B, Table B.1).
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_VALUE = {character: value for value, character in enumerate(CHARACTERS)}
_DIVISION = re.compile(r"^\d{6}$")


def check_character(first17: str) -> str:
    """The check character of the first 17 characters (GB 32100-2015 Annex B, formula B.1).

    C18 = 31 − MOD(Σ Ci·Wi, 31), written as the character of that value (31 is written ``0``).

    >>> check_character("91440300708461136")  # 深圳市腾讯计算机系统有限公司, as published
    'T'
    """
    total = sum(_VALUE[character] * weight for character, weight in zip(first17, WEIGHTS, strict=True))
    return CHARACTERS[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Why ``code`` is not a well-formed unified social credit code, or None when it is.

    Checks the length, the character set, the 6-digit division of positions 3-8 and the check
    character (GB 32100-2015 §4, §5).  Lower-case letters are refused: the code is written in
    capitals (normalise before calling if the input may be lower case).

    >>> credit_code_problem("914403001922038216") is None  # 华为技术有限公司
    True
    >>> credit_code_problem("914403001922038217")
    'check character is 7, GB 32100-2015 Annex B gives 6 for the first 17 characters'
    """
    if len(code) != 18:
        return f"must be 18 characters (GB 32100-2015 §4), got {len(code)}"
    wrong = sorted({character for character in code if character not in _VALUE})
    if wrong:
        return (
            f"character(s) {', '.join(repr(c) for c in wrong)} are not used in the code "
            "(0-9 and capitals without I, O, S, V, Z: GB 32100-2015 Table 1)"
        )
    if not _DIVISION.match(code[2:8]):
        return f"positions 3-8 must be the 6-digit division code of the registering office, got {code[2:8]!r}"
    expected = check_character(code[:17])
    if code[17] != expected:
        return (
            f"check character is {code[17]}, GB 32100-2015 Annex B gives {expected} "
            "for the first 17 characters"
        )
    return None
