"""Bibliography: every standard ecowatch implements, cited once by key.

Docstrings cite these keys as ``[HJ633-2012]_``; the full citation lives here only.
"""

from collections.abc import Mapping
from types import MappingProxyType

BIBLIOGRAPHY: Mapping[str, str] = MappingProxyType(
    {
        "GB3095-2012": "GB 3095-2012 环境空气质量标准 (Ambient air quality standards), with amendment No. 1 "
        "(2018). Ministry of Environmental Protection, issued 2012-02-29, in force 2016-01-01.",
        "GB3095-2026": "GB 3095—2026 环境空气质量标准 (Ambient air quality standards). Ministry of Ecology "
        "and Environment, approved 2026-02-12, in force 2026-03-01; transitional limits to 2030-12-31, "
        "final limits from 2031-01-01.",
        "HJ633-2012": "HJ 633-2012 环境空气质量指数（AQI）技术规定（试行） (Technical regulation on ambient "
        "air quality index, on trial). MEP announcement 2012 No. 8, in force 2016-01-01.",
        "HJ633-2026": "HJ 633—2026 环境空气质量指数（AQI）技术规定（试行）. Ministry of Ecology and "
        "Environment, approved 2026-02-14, in force 2026-03-01.",
        "HJ663-2013": "HJ 663-2013 环境空气质量评价技术规范（试行） (Technical regulation for ambient air "
        "quality assessment, on trial). Issued 2013-09-22, in force 2013-10-01.",
        "HJ663-2026": "HJ 663—2026 环境空气质量评价技术规范. Ministry of Ecology and Environment, in force "
        "2026-03-01.",
        "GBT8170-2008": "GB/T 8170-2008 数值修约规则与极限数值的表示和判定 (Rules of rounding off for "
        "numerical values & expression and judgement of limiting values).",
        "DUST-2016": "环办监测〔2016〕120号 受沙尘天气过程影响城市空气质量评价补充规定 (Supplementary rule "
        "on assessing city air quality affected by sand-dust processes). MEP General Office, 2016-12-30, "
        "in force 2017-01-01.",
        "RANKING-2018": "城市环境空气质量排名技术规定 (Technical rule on ranking city ambient air quality), "
        "环办监测〔2018〕19号, superseding 环办〔2014〕64号.",
        "GB3838-2002": "GB 3838-2002 地表水环境质量标准 (Environmental quality standards for surface water). "
        "State Environmental Protection Administration and AQSIQ, issued 2002-04-28, in force 2002-06-01.",
        "WATER-EVAL-2011": "地表水环境质量评价办法（试行） (Method for the evaluation of surface-water "
        "environmental quality, on trial), 环办〔2011〕22号. MEP General Office, 2011-03-09.",
        "TLI-2001": "湖泊（水库）富营养化评价方法及分级技术规定 (Technical rule on the "
        "evaluation and grading of lake and reservoir eutrophication), 中国环境监测总站 "
        "总站生字〔2001〕090号; the trophic method of the 2011 surface-water evaluation method.",
        "CWQI-2017": "城市地表水环境质量排名技术规定（试行） (Technical rule on ranking "
        "cities by surface-water quality, on trial), 环办监测〔2017〕51号. MEP General Office, 2017.",
        "CHANGE-RANKING-2017": "城市环境空气质量变化程度排名方案 (Scheme for ranking cities by the change of "
        "ambient air quality). MEP General Office, 2017-02-12.",
    }
)
