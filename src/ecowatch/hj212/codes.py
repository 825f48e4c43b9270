"""Code tables of HJ 212: command codes (CN), system codes (ST), result codes, data flags, and the
monitored-factor codes of HJ 212-2017 Annex B with the 2005 → 2017 mapping.

Source: /work/shared/reference/hj212.md §3 (header codes), §4.3 (flags), §5 (factor tables). Codes
are extensible in the standard: unknown codes must be stored, never rejected, so every lookup here is
a plain mapping lookup that may miss.

>>> Command(2051).phrase
'upload minute data'
>>> Command.DATA_ANSWER.value
9014
>>> FACTORS_2017["w01018"].name, FACTORS_2017["w01018"].unit
('化学需氧量', '毫克/升')
>>> CODE_2005_TO_2017["011"], CODE_2005_TO_2017["02"]
('w01018', 'a21026')
>>> DATA_FLAGS_2017["D"]
'instrument fault'
>>> code_label("S02")
CodeLabel(code='S02', name_zh='烟气流速', name_en='flue-gas velocity', unit='m/s')
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

__all__ = [
    "CODE_2005_TO_2017",
    "DATA_FLAGS_2005",
    "DATA_FLAGS_2017",
    "FACTORS_2017",
    "SYSTEM_CODES",
    "UNIT_SYMBOLS",
    "CodeLabel",
    "Command",
    "ExeRtn",
    "Factor",
    "QnRtn",
    "code_label",
    "factor_of",
]


class Command(IntEnum):
    """CN command codes of HJ 212-2017 Table 9, plus the 2005-only and vendor codes of §3.2/§3.3.

    ``phrase`` is the English name (the device → platform meaning where the two directions differ).
    Unknown CNs are legal on the wire; ``Frame.cn`` stays a plain ``int``.
    """

    phrase: str

    def __new__(cls, value: int, phrase: str) -> Command:
        obj = int.__new__(cls, value)
        obj._value_ = value
        obj.phrase = phrase
        return obj

    SET_TIMEOUT_RETRY = 1000, "set timeout and retry count"
    SET_ALARM_TIME_2005 = 1001, "set over-limit alarm time (2005 only)"
    GET_TIME = 1011, "get / upload device time"
    SET_TIME = 1012, "set device time"
    TIME_CALIBRATION_REQUEST = 1013, "time-calibration request"
    GET_ALARM_LIMITS_2005 = 1021, "get pollutant alarm thresholds (2005 only)"
    SET_ALARM_LIMITS_2005 = 1022, "set pollutant alarm thresholds (2005 only)"
    GET_PLATFORM_ADDRESS_2005 = 1031, "get platform address (2005 only)"
    SET_PLATFORM_ADDRESS_2005 = 1032, "set platform address (2005 only)"
    GET_REPORT_TIME_2005 = 1041, "get data report time (2005 only)"
    SET_REPORT_TIME_2005 = 1042, "set data report time (2005 only)"
    GET_RTD_INTERVAL = 1061, "get / upload real-time data interval"
    SET_RTD_INTERVAL = 1062, "set real-time data interval"
    GET_MIN_INTERVAL = 1063, "get / upload minute-data interval"
    SET_MIN_INTERVAL = 1064, "set minute-data interval"
    SET_PASSWORD = 1072, "set device password"
    REALTIME_DATA = 2011, "upload real-time data"
    STOP_REALTIME_DATA = 2012, "stop real-time data"
    RUNNING_STATE = 2021, "upload equipment running state"
    STOP_RUNNING_STATE = 2022, "stop equipment running state"
    DAY_DATA = 2031, "upload daily data"
    DAY_RUNNING_TIME = 2041, "upload equipment running time per day"
    MINUTE_DATA = 2051, "upload minute data"
    HOUR_DATA = 2061, "upload hour data"
    ALARM_RECORDS_2005 = 2071, "get / upload pollutant alarm records (2005 only)"
    ALARM_EVENT_2005 = 2072, "upload alarm event (2005 only)"
    RESTART_TIME = 2081, "upload data-logger boot time"
    CALIBRATE = 3011, "zero / span calibration"
    SAMPLE_NOW = 3012, "immediate sampling"
    CLEAN_BLOWBACK = 3013, "start cleaning / blowback"
    COMPARISON_SAMPLING = 3014, "comparison sampling (2005: set sampling period)"
    OVER_LIMIT_RETENTION = 3015, "over-limit sample retention"
    SET_SAMPLING_PERIOD = 3016, "set sampling period"
    GET_SAMPLING_PERIOD = 3017, "get / upload sampling period"
    GET_SAMPLE_OUTPUT_TIME = 3018, "get / upload sample-output time"
    GET_INSTRUMENT_ID = 3019, "get / upload instrument unique id"
    DEVICE_INFO = 3020, "get / upload device information"
    SET_DEVICE_PARAMETER = 3021, "set device parameter"
    REQUEST_ANSWER = 9011, "request answer"
    EXECUTION_RESULT = 9012, "execution result"
    NOTIFICATION_ANSWER = 9013, "notification answer"
    DATA_ANSWER = 9014, "data answer"
    HEARTBEAT = 9015, "heartbeat (HJ 212-2025; vendor extension in 2017)"
    VENDOR_HEARTBEAT_LOGIN = 9021, "vendor heartbeat / login (not in the standard)"


class QnRtn(IntEnum):
    """Request answer codes carried by 9011 (HJ 212-2017 Table 7)."""

    READY = 1
    REJECTED = 2
    PW_ERROR = 3
    MN_ERROR = 4
    ST_ERROR = 5
    FLAG_ERROR = 6
    QN_ERROR = 7
    CN_ERROR = 8
    CRC_ERROR = 9
    UNKNOWN_ERROR = 100


class ExeRtn(IntEnum):
    """Execution result codes carried by 9012 (HJ 212-2017 Table 6)."""

    SUCCESS = 1
    FAILED_UNKNOWN = 2
    CONDITION_ERROR = 3
    TIMEOUT = 4
    BUSY = 5
    SYSTEM_FAULT = 6
    NO_DATA = 100


#: ST system codes, HJ 212-2017 Table 5 (GB/T 16706-1996), with HJ 212-2025's 44/45.
SYSTEM_CODES: dict[str, str] = {
    "21": "surface-water quality monitoring",
    "22": "ambient air quality monitoring",
    "23": "acoustic environment quality monitoring",
    "24": "groundwater quality monitoring",
    "25": "soil quality monitoring",
    "26": "seawater quality monitoring",
    "27": "volatile organic compound monitoring",
    "31": "air pollution source",
    "32": "surface-water pollution source",
    "33": "groundwater pollution source",
    "34": "marine pollution source",
    "35": "soil pollution source",
    "36": "noise pollution source",
    "37": "vibration pollution source",
    "38": "radioactive pollution source",
    "39": "construction-site dust pollution source",
    "41": "electromagnetic pollution source",
    "44": "power-use monitoring (HJ 212-2025, provisional)",
    "45": "key production working-condition monitoring (HJ 212-2025, provisional)",
    "51": "flue-gas emission process monitoring",
    "52": "wastewater emission process monitoring",
    "91": "system interaction",
}

#: ``xxxxxx-Flag`` meanings, HJ 212-2017 Table 8.
DATA_FLAGS_2017: dict[str, str] = {
    "N": "instrument working normally",
    "F": "instrument stopped",
    "M": "data produced during maintenance",
    "S": "manually entered set value",
    "D": "instrument fault",
    "C": "instrument in calibration",
    "T": "sampled value above the measurement upper limit",
    "B": "communication between instrument and data logger abnormal",
}

#: ``xxx-Flag`` meanings of HJ/T 212-2005 (secondary sources; 0-3 only for air-quality stations).
DATA_FLAGS_2005: dict[str, str] = {
    "P": "power failure",
    "F": "emission source stopped",
    "C": "calibration / check",
    "M": "maintenance",
    "T": "above measurement upper limit",
    "D": "fault",
    "S": "set value",
    "N": "normal",
    "0": "calibration data (air-quality stations)",
    "1": "meteorological parameter (air-quality stations)",
    "2": "abnormal data (air-quality stations)",
    "3": "normal data (air-quality stations)",
}


@dataclass(frozen=True, slots=True)
class Factor:
    """One monitored factor of HJ 212-2017 Annex B (Tables B.1-B.3).

    ``unit`` is the standard's default concentration unit (the protocol carries no units; the
    device registry decides), ``amount_unit`` the unit of ``-Cou``; ``code_2005`` the 原编码 column.
    """

    code: str
    name: str
    medium: str
    unit: str
    amount_unit: str | None
    data_type: str | None
    code_2005: str | None


# Generated from /work/shared/reference/hj212.md §5.1-5.3 and §5.7 (HJ 212-2017 Annex B).
# fmt: off
FACTORS_2017: dict[str, Factor] = {
    'w00000': Factor('w00000', '污水', 'water', '升/秒', '立方米', 'N5.2', 'B01'),
    'w01001': Factor('w01001', 'pH值', 'water', '无量纲', None, 'N2.2', '001'),
    'w01002': Factor('w01002', '色度', 'water', '[色]度', None, 'N3.2', '002'),
    'w01006': Factor('w01006', '溶解性总固体', 'water', '毫克/升', '千克', 'N4', None),
    'w01009': Factor('w01009', '溶解氧', 'water', '毫克/升', None, 'N3.1', None),
    'w01010': Factor('w01010', '水温', 'water', '摄氏度', None, 'N3.1', None),
    'w01012': Factor('w01012', '悬浮物', 'water', '毫克/升', '千克', 'N4', '003'),
    'w01014': Factor('w01014', '电导率', 'water', '微西[门子]/厘米', None, 'N3.1', None),
    'w01017': Factor('w01017', '五日生化需氧量', 'water', '毫克/升', '千克', 'N5.1', '010'),
    'w01018': Factor('w01018', '化学需氧量', 'water', '毫克/升', '千克', 'N5.1', '011'),
    'w01019': Factor('w01019', '高锰酸盐指数', 'water', '毫克/升', '千克', 'N3.1', None),
    'w01020': Factor('w01020', '总有机碳', 'water', '毫克/升', '千克', 'N3.1', '015'),
    'w02003': Factor('w02003', '粪大肠菌群', 'water', '个/升', None, 'N9', '550'),
    'w02006': Factor('w02006', '细菌总数', 'water', '个/升', None, 'N9', None),
    'w03001': Factor('w03001', '总α放射性', 'water', '贝可[勒尔]/升', None, 'N3.1', '570'),
    'w03002': Factor('w03002', '总β放射性', 'water', '贝可[勒尔]/升', None, 'N3.1', '571'),
    'w19001': Factor('w19001', '表面活性剂', 'water', '毫克/升', '千克', 'N3.2', None),
    'w19002': Factor('w19002', '阴离子表面活性剂', 'water', '毫克/升', '千克', 'N3.2', '520'),
    'w20012': Factor('w20012', '钡', 'water', '毫克/升', '千克', 'N3.3', '039'),
    'w20023': Factor('w20023', '硼', 'water', '毫克/升', '千克', 'N3.3', '037'),
    'w20038': Factor('w20038', '钴', 'water', '毫克/升', '千克', 'N3.4', '040'),
    'w20061': Factor('w20061', '钼', 'water', '毫克/升', '千克', 'N3.4', '038'),
    'w20089': Factor('w20089', '铊', 'water', '纳克/升', '毫克', 'N4', '041'),
    'w20092': Factor('w20092', '锡', 'water', '毫克/升', '千克', 'N3.1', '036'),
    'w20111': Factor('w20111', '总汞', 'water', '微克/升', '克', 'N3.2', '020'),
    'w20113': Factor('w20113', '烷基汞', 'water', '纳克/升', '毫克', 'N4', '021'),
    'w20115': Factor('w20115', '总镉', 'water', '微克/升', '克', 'N3.1', '022'),
    'w20116': Factor('w20116', '总铬', 'water', '毫克/升', '千克', 'N3.3', '023'),
    'w20117': Factor('w20117', '六价铬', 'water', '微克/升', '克', 'N2.3', '024'),
    'w20119': Factor('w20119', '总砷', 'water', '微克/升', '克', 'N2.3', '026'),
    'w20120': Factor('w20120', '总铅', 'water', '微克/升', '克', 'N4', '027'),
    'w20121': Factor('w20121', '总镍', 'water', '毫克/升', '千克', 'N3.2', '028'),
    'w20122': Factor('w20122', '总铜', 'water', '毫克/升', '千克', 'N3.2', '029'),
    'w20123': Factor('w20123', '总锌', 'water', '毫克/升', '千克', 'N3.3', '030'),
    'w20124': Factor('w20124', '总锰', 'water', '毫克/升', '千克', 'N3.3', '031'),
    'w20125': Factor('w20125', '总铁', 'water', '毫克/升', '千克', 'N3.3', '032'),
    'w20126': Factor('w20126', '总银', 'water', '毫克/升', '千克', 'N3.3', '033'),
    'w20127': Factor('w20127', '总铍', 'water', '微克/升', '克', 'N3.3', '034'),
    'w20128': Factor('w20128', '总硒', 'water', '微克/升', '克', 'N4.2', '035'),
    'w20138': Factor('w20138', '铜', 'water', '毫克/升', '千克', 'N3.3', None),
    'w20139': Factor('w20139', '锌', 'water', '毫克/升', '千克', 'N3.3', None),
    'w20140': Factor('w20140', '硒', 'water', '毫克/升', '千克', 'N3.3', None),
    'w20141': Factor('w20141', '砷', 'water', '毫克/升', '千克', 'N3.3', None),
    'w20142': Factor('w20142', '汞', 'water', '微克/升', '克', 'N3.3', None),
    'w20143': Factor('w20143', '镉', 'water', '微克/升', '克', 'N3.3', None),
    'w20144': Factor('w20144', '铅', 'water', '毫克/升', '千克', 'N3.3', None),
    'w21001': Factor('w21001', '总氮', 'water', '毫克/升', '千克', 'N4.2', '065'),
    'w21003': Factor('w21003', '氨氮', 'water', '毫克/升', '千克', 'N4.2', '060'),
    'w21004': Factor('w21004', '凯氏氮', 'water', '毫克/升', '千克', 'N3.1', '062'),
    'w21006': Factor('w21006', '亚硝酸盐', 'water', '毫克/升', '千克', 'N2.3', '063'),
    'w21007': Factor('w21007', '硝酸盐', 'water', '毫克/升', '千克', 'N2.3', '064'),
    'w21011': Factor('w21011', '总磷', 'water', '毫克/升', '千克', 'N3.2', '101'),
    'w21016': Factor('w21016', '氰化物', 'water', '毫克/升', '千克', 'N3.3', '070'),
    'w21017': Factor('w21017', '氟化物', 'water', '毫克/升', '千克', 'N4.2', '072'),
    'w21019': Factor('w21019', '硫化物', 'water', '毫克/升', '千克', 'N3.3', '071'),
    'w21022': Factor('w21022', '氯化物', 'water', '毫克/升', '千克', 'N3.1', '090'),
    'w21038': Factor('w21038', '硫酸盐', 'water', '毫克/升', '千克', 'N6', None),
    'w22001': Factor('w22001', '石油类', 'water', '毫克/升', '千克', 'N3.2', '080'),
    'w23002': Factor('w23002', '挥发酚', 'water', '毫克/升', '千克', 'N3.4', '110'),
    'w25043': Factor('w25043', '苯并[α]芘', 'water', '微克/升', '克', 'N3.1', '540'),
    'w33001': Factor('w33001', '六六六', 'water', '纳克/升', '毫克', 'N4', '350'),
    'w33007': Factor('w33007', '滴滴涕', 'water', '纳克/升', '毫克', 'N4', '351'),
    'w99001': Factor('w99001', '有机氮', 'water', '毫克/升', '千克', 'N3.1', '061'),
    'a00000': Factor('a00000', '废气', 'air', '立方米/秒', '立方米', 'N6.1', 'B02'),
    'a01001': Factor('a01001', '温度', 'air', '摄氏度', None, 'N3.1', None),
    'a01002': Factor('a01002', '湿度', 'air', '%', None, 'N3.1', None),
    'a01006': Factor('a01006', '气压', 'air', '千帕', None, 'N5.3', None),
    'a01007': Factor('a01007', '风速', 'air', '米/秒', None, 'N4.1', None),
    'a01008': Factor('a01008', '风向', 'air', '[角]度', None, 'N4', None),
    'a01010': Factor('a01010', '林格曼黑度', 'air', '无量纲', None, 'N1', '37'),
    'a01011': Factor('a01011', '烟气流速', 'air', '米/秒', None, 'N5.2', 'S02'),
    'a01012': Factor('a01012', '烟气温度', 'air', '摄氏度', None, 'N3.1', 'S03'),
    'a01013': Factor('a01013', '烟气压力', 'air', '千帕', None, 'N5.3', 'S08'),
    'a01014': Factor('a01014', '烟气湿度', 'air', '%', None, 'N3.1', 'S05'),
    'a01015': Factor('a01015', '制冷温度', 'air', '摄氏度', None, 'N3.1', 'S06'),
    'a01016': Factor('a01016', '烟道截面积', 'air', '平方米', None, 'N4.2', 'S07'),
    'a01017': Factor('a01017', '烟气动压', 'air', '千帕', None, 'N5.3', 'S04'),
    'a01901': Factor('a01901', '垃圾焚烧炉膛内焚烧平均温度', 'air', '摄氏度', None, 'N4.1', None),
    'a01902': Factor('a01902', '垃圾焚烧炉膛内DCS温度', 'air', '摄氏度', None, 'N4.1', None),
    'a05001': Factor('a05001', '二氧化碳', 'air', '毫克/立方米', '千克', 'N3.3', '30'),
    'a05002': Factor('a05002', '甲烷', 'air', '纳克/立方米', '克', 'N4.1', None),
    'a05008': Factor('a05008', '三氯一氟甲烷', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a05009': Factor('a05009', '二氯二氟甲烷', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a05013': Factor('a05013', '三氯三氟乙烷', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a19001': Factor('a19001', '氧气含量', 'air', '%', None, 'N3.1', 'S01'),
    'a20007': Factor('a20007', '砷', 'air', '纳克/立方米', '克', 'N1.6', None),
    'a20016': Factor('a20016', '铍及其化合物', 'air', '毫克/立方米', '千克', 'N4.4', '36'),
    'a20025': Factor('a20025', '镉及其化合物', 'air', '毫克/立方米', '千克', 'N3.4', '33'),
    'a20026': Factor('a20026', '镉', 'air', '纳克/立方米', '克', 'N3.3', None),
    'a20043': Factor('a20043', '铅及其化合物', 'air', '毫克/立方米', '千克', 'N2.4', '32'),
    'a20044': Factor('a20044', '铅', 'air', '纳克/立方米', '克', 'N3.3', None),
    'a20057': Factor('a20057', '汞及其化合物', 'air', '毫克/立方米', '千克', 'N4.4', '31'),
    'a20058': Factor('a20058', '汞', 'air', '纳克/立方米', '克', 'N3.2', None),
    'a20063': Factor('a20063', '镍及其化合物', 'air', '毫克/立方米', '千克', 'N3.3', '35'),
    'a20091': Factor('a20091', '锡及其化合物', 'air', '毫克/立方米', '千克', 'N4.3', '34'),
    'a21001': Factor('a21001', '氨（氨气）', 'air', '纳克/立方米', '克', 'N4.3', '10'),
    'a21002': Factor('a21002', '氮氧化物', 'air', '毫克/立方米', '千克', 'N5.1', '03'),
    'a21003': Factor('a21003', '一氧化氮', 'air', '毫克/立方米', '千克', 'N4.1', None),
    'a21004': Factor('a21004', '二氧化氮', 'air', '毫克/立方米', '千克', 'N4.1', None),
    'a21005': Factor('a21005', '一氧化碳', 'air', '毫克/立方米', '千克', 'N3.3', '04'),
    'a21017': Factor('a21017', '氰化物', 'air', '毫克/立方米', '千克', 'N3.3', '07'),
    'a21018': Factor('a21018', '氟化物', 'air', '毫克/立方米', '千克', 'N2.3', '06'),
    'a21022': Factor('a21022', '氯气', 'air', '毫克/立方米', '千克', 'N4.3', '11'),
    'a21024': Factor('a21024', '氯化氢', 'air', '毫克/立方米', '千克', 'N4.3', '08'),
    'a21026': Factor('a21026', '二氧化硫', 'air', '毫克/立方米', '千克', 'N5.2', '02'),
    'a21028': Factor('a21028', '硫化氢', 'air', '毫克/立方米', '千克', 'N3.2', '05'),
    'a23001': Factor('a23001', '酚类', 'air', '毫克/立方米', '千克', 'N3.3', '27'),
    'a24003': Factor('a24003', '二氯甲烷', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24004': Factor('a24004', '三氯甲烷', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24005': Factor('a24005', '四氯甲烷', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24006': Factor('a24006', '二溴一氯甲烷', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24007': Factor('a24007', '一溴二氯甲烷', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24008': Factor('a24008', '溴甲烷', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24009': Factor('a24009', '三溴甲烷', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24015': Factor('a24015', '氯乙烷', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24016': Factor('a24016', '1,1-二氯乙烷', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24017': Factor('a24017', '1,2-二氯乙烷', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24018': Factor('a24018', '1,1,1-三氯乙烷', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24019': Factor('a24019', '1,1,2-三氯乙烷', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24020': Factor('a24020', '1,1,2,2-四氯乙烷', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24027': Factor('a24027', '1,2-二氯丙烷', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24034': Factor('a24034', '1,2-二溴乙烷', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24036': Factor('a24036', '环己烷', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24042': Factor('a24042', '正己烷', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24043': Factor('a24043', '正庚烷', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24046': Factor('a24046', '氯乙烯', 'air', '毫克/立方米', '千克', 'N4.3', '29'),
    'a24047': Factor('a24047', '1,1-二氯乙烯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24049': Factor('a24049', '三氯乙烯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24050': Factor('a24050', '四氯乙烯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24053': Factor('a24053', '丙烯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24054': Factor('a24054', '1,3-二氯丙烯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24072': Factor('a24072', '1,4-二恶烷', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24078': Factor('a24078', '1,3-丁二烯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24087': Factor('a24087', '碳氢化合物', 'air', '毫克/立方米', '千克', 'N5.2', '25'),
    'a24088': Factor('a24088', '非甲烷总烃', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24099': Factor('a24099', '氯甲烷', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24110': Factor('a24110', '反式-1,2-二氯乙烯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24111': Factor('a24111', '顺式-1,2-二氯乙烯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24112': Factor('a24112', '反式-1,3-二氯丙烯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a24113': Factor('a24113', '六氯-1,3-丁二烯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a25002': Factor('a25002', '苯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a25003': Factor('a25003', '甲苯', 'air', '毫克/立方米', '千克', 'N4.2', '17'),
    'a25004': Factor('a25004', '乙苯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a25005': Factor('a25005', '二甲苯', 'air', '毫克/立方米', '千克', 'N4.2', '18'),
    'a25006': Factor('a25006', '1,2-二甲基苯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a25007': Factor('a25007', '1,3-二甲基苯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a25008': Factor('a25008', '1,4-二甲基苯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a25010': Factor('a25010', '氯苯', 'air', '毫克/立方米', '千克', 'N4.3', '23'),
    'a25011': Factor('a25011', '1,2-二氯苯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a25012': Factor('a25012', '1,3-二氯苯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a25013': Factor('a25013', '1,4-二氯苯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a25014': Factor('a25014', '1-乙基-4-甲基苯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a25015': Factor('a25015', '1,2,4-三氯苯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a25019': Factor('a25019', '1,2,4-三甲基苯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a25020': Factor('a25020', '1,2,3-三甲基苯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a25021': Factor('a25021', '1,3,5-三甲基苯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a25023': Factor('a25023', '硝基苯', 'air', '毫克/立方米', '千克', 'N3.4', '22'),
    'a25038': Factor('a25038', '乙烯基苯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a25044': Factor('a25044', '苯并[a]芘', 'air', '毫克/立方米', '千克', 'N4.3', '20'),
    'a25072': Factor('a25072', '四氢呋喃', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a26001': Factor('a26001', '苯胺类', 'air', '毫克/立方米', '千克', 'N4.3', '21'),
    'a29017': Factor('a29017', '乙酸乙酯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a29026': Factor('a29026', '乙酸乙烯酯', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a30001': Factor('a30001', '甲醇', 'air', '毫克/立方米', '千克', 'N4.3', '28'),
    'a30008': Factor('a30008', '异丙醇', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a30022': Factor('a30022', '硫醇', 'air', '毫克/立方米', '千克', 'N4.3', '13'),
    'a31001': Factor('a31001', '甲醛', 'air', '毫克/立方米', '千克', 'N3.3', '19'),
    'a31002': Factor('a31002', '乙醛', 'air', '毫克/立方米', '千克', 'N3.4', '26'),
    'a31024': Factor('a31024', '丙酮', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a31025': Factor('a31025', '2-丁酮', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a31030': Factor('a31030', '甲基异丁基甲酮', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a34001': Factor('a34001', '总悬浮颗粒物TSP', 'air', '纳克/立方米', '克', 'N4.3', None),
    'a34002': Factor('a34002', '可吸入颗粒物PM10', 'air', '纳克/立方米', '克', 'N3.3', None),
    'a34004': Factor('a34004', '细微颗粒物PM2.5', 'air', '纳克/立方米', '克', 'N3.3', None),
    'a34005': Factor('a34005', '亚微米颗粒物PM1.0', 'air', '纳克/立方米', '克', 'N3.3', None),
    'a34011': Factor('a34011', '降尘', 'air', '吨/平方千米•月', None, None, None),
    'a34013': Factor('a34013', '烟尘', 'air', '毫克/立方米', '千克', 'N4', '01'),
    'a34017': Factor('a34017', '炭黑尘', 'air', '毫克/立方米', '千克', 'N4', None),
    'a34038': Factor('a34038', '沥青烟', 'air', '毫克/立方米', '千克', 'N4.3', '09'),
    'a34039': Factor('a34039', '硫酸雾', 'air', '毫克/立方米', '千克', 'N4.3', '14'),
    'a34040': Factor('a34040', '铬酸雾', 'air', '毫克/立方米', '千克', 'N2.3', '15'),
    'a99010': Factor('a99010', '丙烯腈', 'air', '毫克/立方米', '千克', 'N7.3', None),
    'a99049': Factor('a99049', '光气', 'air', '毫克/立方米', '千克', 'N3.3', '24'),
    'a99051': Factor('a99051', '二硫化碳', 'air', '毫克/立方米', '千克', 'N4.3', '12'),
    'LA': Factor('LA', 'A权声级', "noise", '分贝', None, 'N3.1', None),
    'L5': Factor('L5', '累计百分声级L5', "noise", '分贝', None, 'N3.1', None),
    'L10': Factor('L10', '累计百分声级L10', "noise", '分贝', None, 'N3.1', None),
    'L50': Factor('L50', '累计百分声级L50', "noise", '分贝', None, 'N3.1', None),
    'L90': Factor('L90', '累计百分声级L90', "noise", '分贝', None, 'N3.1', None),
    'L95': Factor('L95', '累计百分声级L95', "noise", '分贝', None, 'N3.1', None),
    'Leq': Factor('Leq', '等效声级', "noise", '分贝', None, 'N3.1', None),
    'Ldn': Factor('Ldn', '昼夜等效声级', "noise", '分贝', None, 'N3.1', None),
    'Ld': Factor('Ld', '昼间等效声级', "noise", '分贝', None, 'N3.1', None),
    'Ln': Factor('Ln', '夜间等效声级', "noise", '分贝', None, 'N3.1', None),
    'LMx': Factor('LMx', '最大的瞬时声级', "noise", '分贝', None, 'N3.1', None),
    'LMn': Factor('LMn', '最小的瞬时声级', "noise", '分贝', None, 'N3.1', None),
}

CODE_2005_TO_2017: dict[str, str] = {
    '001': 'w01001',  # pH值
    '002': 'w01002',  # 色度
    '003': 'w01012',  # 悬浮物
    '01': 'a34013',  # 烟尘
    '010': 'w01017',  # 五日生化需氧量
    '011': 'w01018',  # 化学需氧量
    '015': 'w01020',  # 总有机碳
    '02': 'a21026',  # 二氧化硫
    '020': 'w20111',  # 总汞
    '021': 'w20113',  # 烷基汞
    '022': 'w20115',  # 总镉
    '023': 'w20116',  # 总铬
    '024': 'w20117',  # 六价铬
    '026': 'w20119',  # 总砷
    '027': 'w20120',  # 总铅
    '028': 'w20121',  # 总镍
    '029': 'w20122',  # 总铜
    '03': 'a21002',  # 氮氧化物
    '030': 'w20123',  # 总锌
    '031': 'w20124',  # 总锰
    '032': 'w20125',  # 总铁
    '033': 'w20126',  # 总银
    '034': 'w20127',  # 总铍
    '035': 'w20128',  # 总硒
    '036': 'w20092',  # 锡
    '037': 'w20023',  # 硼
    '038': 'w20061',  # 钼
    '039': 'w20012',  # 钡
    '04': 'a21005',  # 一氧化碳
    '040': 'w20038',  # 钴
    '041': 'w20089',  # 铊
    '05': 'a21028',  # 硫化氢
    '06': 'a21018',  # 氟化物
    '060': 'w21003',  # 氨氮
    '061': 'w99001',  # 有机氮
    '062': 'w21004',  # 凯氏氮
    '063': 'w21006',  # 亚硝酸盐
    '064': 'w21007',  # 硝酸盐
    '065': 'w21001',  # 总氮
    '07': 'a21017',  # 氰化物
    '070': 'w21016',  # 氰化物
    '071': 'w21019',  # 硫化物
    '072': 'w21017',  # 氟化物
    '08': 'a21024',  # 氯化氢
    '080': 'w22001',  # 石油类
    '09': 'a34038',  # 沥青烟
    '090': 'w21022',  # 氯化物
    '10': 'a21001',  # 氨（氨气）
    '101': 'w21011',  # 总磷
    '11': 'a21022',  # 氯气
    '110': 'w23002',  # 挥发酚
    '12': 'a99051',  # 二硫化碳
    '13': 'a30022',  # 硫醇
    '14': 'a34039',  # 硫酸雾
    '15': 'a34040',  # 铬酸雾
    '17': 'a25003',  # 甲苯
    '18': 'a25005',  # 二甲苯
    '19': 'a31001',  # 甲醛
    '20': 'a25044',  # 苯并[a]芘
    '21': 'a26001',  # 苯胺类
    '22': 'a25023',  # 硝基苯
    '23': 'a25010',  # 氯苯
    '24': 'a99049',  # 光气
    '25': 'a24087',  # 碳氢化合物
    '26': 'a31002',  # 乙醛
    '27': 'a23001',  # 酚类
    '28': 'a30001',  # 甲醇
    '29': 'a24046',  # 氯乙烯
    '30': 'a05001',  # 二氧化碳
    '31': 'a20057',  # 汞及其化合物
    '32': 'a20043',  # 铅及其化合物
    '33': 'a20025',  # 镉及其化合物
    '34': 'a20091',  # 锡及其化合物
    '35': 'a20063',  # 镍及其化合物
    '350': 'w33001',  # 六六六
    '351': 'w33007',  # 滴滴涕
    '36': 'a20016',  # 铍及其化合物
    '37': 'a01010',  # 林格曼黑度
    '520': 'w19002',  # 阴离子表面活性剂
    '540': 'w25043',  # 苯并[α]芘
    '550': 'w02003',  # 粪大肠菌群
    '570': 'w03001',  # 总α放射性
    '571': 'w03002',  # 总β放射性
    'B01': 'w00000',  # 污水
    'B02': 'a00000',  # 废气
    'S01': 'a19001',  # 氧气含量
    'S02': 'a01011',  # 烟气流速 (flue-gas velocity, not SO2: that is 02)
    'S03': 'a01012',  # 烟气温度
    'S04': 'a01017',  # 烟气动压
    'S05': 'a01014',  # 烟气湿度
    'S06': 'a01015',  # 制冷温度
    'S07': 'a01016',  # 烟道截面积
    'S08': 'a01013',  # 烟气压力
}
# fmt: on

# The 2005 codes S02 and S07 are in the 原编码 column of HJ 212-2017 Table B.2 (a01011 烟气流速, a01016
# 烟道截面积; reference §5.2) although the 2005 code list the mapping was first taken from (§5.6/§5.7)
# leaves them out.  S02 is the flue-gas velocity: the sulphur dioxide of 2005 is 02.

#: Symbols of the units the Annex B tables write out in Chinese (毫克/立方米 -> mg/m³), for charts and
#: English text; a unit missing here is shown as the table writes it.
UNIT_SYMBOLS: dict[str, str] = {
    "毫克/立方米": "mg/m³",
    "微克/立方米": "µg/m³",
    "纳克/立方米": "ng/m³",
    "毫克/升": "mg/L",
    "微克/升": "µg/L",
    "纳克/升": "ng/L",
    "立方米/秒": "m³/s",
    "升/秒": "L/s",
    "立方米": "m³",
    "升": "L",
    "米/秒": "m/s",
    "摄氏度": "°C",
    "千帕": "kPa",
    "%": "%",
    "平方米": "m²",
    "无量纲": "",
    "千克": "kg",
    "克": "g",
    "毫克": "mg",
    "吨": "t",
    "分贝": "dB",
    "个/升": "count/L",
    "[角]度": "°",
    "[色]度": "colour degree",
    "微西[门子]/厘米": "µS/cm",
    "贝可[勒尔]/升": "Bq/L",
}

#: English names of the factors an outlet or a water section commonly reports (HJ 212-2017 Tables
#: B.1/B.2, translated); others fall back to the Chinese name.
_NAMES_EN: dict[str, str] = {
    "a00000": "flue-gas flow",
    "a34013": "smoke dust",
    "a21026": "SO2",
    "a21002": "NOx",
    "a21005": "CO",
    "a21003": "NO",
    "a21004": "NO2",
    "a21024": "HCl",
    "a21018": "fluoride",
    "a05001": "CO2",
    "a19001": "O2",
    "a01011": "flue-gas velocity",
    "a01012": "flue-gas temperature",
    "a01013": "flue-gas pressure",
    "a01014": "flue-gas humidity",
    "a01015": "cooling temperature",
    "a01016": "flue cross-section",
    "a01017": "flue-gas dynamic pressure",
    "a01010": "Ringelmann blackness",
    "a24088": "non-methane hydrocarbons",
    "w00000": "wastewater flow",
    "w01001": "pH",
    "w01002": "colour",
    "w01009": "dissolved oxygen",
    "w01010": "water temperature",
    "w01012": "suspended solids",
    "w01014": "conductivity",
    "w01017": "BOD5",
    "w01018": "COD",
    "w01019": "permanganate index",
    "w01020": "TOC",
    "w21001": "total nitrogen",
    "w21003": "ammonia nitrogen",
    "w21011": "total phosphorus",
    "w22001": "petroleum",
}

#: Suffixes of a stored code (``a00000-Cou``) and what they add to the name (HJ 212-2017 Table 4:
#: Cou the total over the interval, in the factor's amount unit; Zs* the value converted to the
#: reference oxygen content, 折算).
_SUFFIXES = {"Cou": ("累计", "total"), "ZsRtd": ("折算", "converted"), "ZsAvg": ("折算", "converted")}


@dataclass(frozen=True, slots=True)
class CodeLabel:
    """How a stored factor code is shown: names from Annex B and the unit as a symbol."""

    code: str
    name_zh: str
    name_en: str
    unit: str


def factor_of(code: str) -> Factor | None:
    """The Annex B factor of a 2017 code, or of a 2005 code through the 原编码 mapping (None if unknown).

    >>> factor_of("02").code, factor_of("a21026").name
    ('a21026', '二氧化硫')
    """
    factor = FACTORS_2017.get(code)
    if factor is None and code in CODE_2005_TO_2017:
        factor = FACTORS_2017.get(CODE_2005_TO_2017[code])
    return factor


def code_label(code: str) -> CodeLabel:
    """Names and unit of a stored code: a 2017 or 2005 factor code, optionally with a suffix
    (``a00000-Cou`` is the flue-gas total in m³).  An unknown code keeps its code as its name.

    >>> code_label("a00000-Cou")
    CodeLabel(code='a00000-Cou', name_zh='废气 累计', name_en='flue-gas flow total', unit='m³')
    >>> code_label("x99")
    CodeLabel(code='x99', name_zh='x99', name_en='x99', unit='')
    """
    base, _, suffix = code.partition("-")
    factor = factor_of(base)
    if factor is None:
        return CodeLabel(code, code, code, "")
    name_zh, name_en = factor.name, _NAMES_EN.get(factor.code, factor.name)
    unit = factor.unit
    if suffix in _SUFFIXES:
        extra_zh, extra_en = _SUFFIXES[suffix]
        name_zh, name_en = f"{name_zh} {extra_zh}", f"{name_en} {extra_en}"
        if suffix == "Cou":
            unit = factor.amount_unit or ""
    return CodeLabel(code, name_zh, name_en, UNIT_SYMBOLS.get(unit, unit))
