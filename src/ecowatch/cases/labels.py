"""Names of the cases' closed sets as people read them: Chinese first, English beside it.

The states follow the 销号 practice [Huangshan2022]_, the steps the ladder of the sources (预警, 通报,
约谈, 挂牌督办, 移交问责) [Issue16]_; a step of a batch's own ladder keeps its own name.

>>> label(STATE_NAMES, "pre_examined")
'已预审 pre-examined'
>>> label(STEP_NAMES, "yellow_card")
'yellow_card'
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["ACTION_NAMES", "KIND_NAMES", "STATE_NAMES", "STEP_NAMES", "label"]

STATE_NAMES: Mapping[str, str] = {
    "registered": "已登记 registered",
    "assigned": "已交办 assigned",
    "rectifying": "整改中 rectifying",
    "submitted": "已提交 submitted",
    "pre_examined": "已预审 pre-examined",
    "closed": "已销号 closed",
}
KIND_NAMES: Mapping[str, str] = {
    "rectification": "整改任务 rectification",
    "typical": "典型案例 typical",
    "petition": "信访件 petition",
    "enforcement": "执法 enforcement",
    "alert": "预警转办 alert",
}
ACTION_NAMES: Mapping[str, str] = {
    "assign": "交办 assign",
    "start": "开始整改 start",
    "submit": "提交销号 submit",
    "preexamine": "预审 pre-examine",
    "close": "销号 close",
    "return": "退回 return",
    "reopen": "重新整改 reopen",
}
STEP_NAMES: Mapping[str, str] = {
    "warning": "预警 warning",
    "notice": "通报 notice",
    "interview": "约谈 interview",
    "listed": "挂牌督办 listed",
    "accountability": "移交问责 accountability",
}


def label(names: Mapping[str, str], value: str | None) -> str:
    """``value``'s name in ``names``, or the value itself (empty for None)."""
    if value is None:
        return ""
    return names.get(value, value)
