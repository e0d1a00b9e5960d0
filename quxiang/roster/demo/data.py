"""The demo school's fixed data: its colleges and majors, the name and number pools, the organisation directory.

Plain constants only; `build` turns them into specs with a seeded generator."""

from __future__ import annotations

from quxiang.roster.models import EducationLevel

DEMO_GRADUATION_YEAR = 2027
DEMO_SEED = 2026
STUDENT_COUNT = 300
STAFF_PASSWORD = "Quxiang2026!"
MIN_PROVINCES = 24
MIN_ID_ENDING_X = 4

# --- the school's structure ------------------------------------------------------------------

COLLEGES = [
    ("01", "机械工程学院"),
    ("02", "光电信息与计算机工程学院"),
    ("03", "管理学院"),
    ("04", "外语学院"),
    ("05", "材料与化学学院"),
]

# (college, major code, name, level, class abbreviation, number of classes)
MAJORS = [
    ("01", "080202", "机械设计制造及其自动化", EducationLevel.BACHELOR, "机设", 2),
    ("01", "080207", "车辆工程", EducationLevel.BACHELOR, "车辆", 2),
    ("02", "080901", "计算机科学与技术", EducationLevel.BACHELOR, "计科", 2),
    ("02", "080701", "电子信息工程", EducationLevel.BACHELOR, "电信", 2),
    ("02", "080705", "光电信息科学与工程", EducationLevel.BACHELOR, "光电", 2),
    ("03", "120201K", "工商管理", EducationLevel.BACHELOR, "工商", 2),
    ("03", "120102", "信息管理与信息系统", EducationLevel.BACHELOR, "信管", 2),
    ("04", "050201", "英语", EducationLevel.BACHELOR, "英语", 2),
    ("04", "050207", "日语", EducationLevel.BACHELOR, "日语", 2),
    ("05", "080401", "材料科学与工程", EducationLevel.BACHELOR, "材料", 2),
    ("05", "081301", "化学工程与工艺", EducationLevel.BACHELOR, "化工", 2),
    ("01", "080200", "机械工程", EducationLevel.MASTER, "机械研", 1),
    ("02", "081200", "计算机科学与技术", EducationLevel.MASTER, "计算机研", 1),
    ("03", "120200", "工商管理", EducationLevel.MASTER, "工管研", 1),
    ("04", "055101", "英语笔译", EducationLevel.MASTER, "翻译研", 1),
    ("05", "080500", "材料科学与工程", EducationLevel.MASTER, "材料研", 1),
    ("01", "080200", "机械工程", EducationLevel.DOCTOR, "机械博", 1),
    ("02", "081200", "计算机科学与技术", EducationLevel.DOCTOR, "计算机博", 1),
]

STUDENTS_BY_LEVEL = {EducationLevel.BACHELOR: 240, EducationLevel.MASTER: 48, EducationLevel.DOCTOR: 12}
STUDY_YEARS = {EducationLevel.BACHELOR: 4, EducationLevel.MASTER: 3, EducationLevel.DOCTOR: 4}
BIRTH_YEARS = {
    EducationLevel.BACHELOR: (2000, 2004),
    EducationLevel.MASTER: (1997, 2001),
    EducationLevel.DOCTOR: (1992, 1998),
}

# 生源地: province prefix → weight. Shanghai is the largest group, as at a Shanghai university.
# fmt: off
ORIGIN_WEIGHTS = {
    "31": 70, "33": 20, "32": 20, "34": 18, "41": 15, "37": 14, "36": 12, "42": 10, "43": 10, "51": 10,
    "50": 8, "35": 8, "13": 8, "44": 6, "14": 6, "61": 6, "52": 6, "62": 5, "53": 5, "45": 5,
    "23": 4, "22": 4, "21": 4, "65": 4, "15": 3, "46": 2, "64": 2, "63": 2, "11": 2, "12": 2,
    "54": 1,
}
# fmt: on
REQUIRED_ORIGINS = ["330114", "330114", "653228"]  # a county created in 2021; a county created in 2024

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
SURNAME_WEIGHTS = [100 / (10 + i) for i in range(len(SURNAMES))]
COMPOUND_SURNAMES = ["欧阳", "司马", "上官", "诸葛"]
GIVEN_MALE = (
    "伟强磊军洋勇杰涛明超辉刚健鹏宇浩凯俊帆博文轩晨阳豪睿泽航鑫斌峰毅昊然翔哲宁铭逸瑞天嘉志家成思远新旭晗"
)
GIVEN_FEMALE = "静丽敏婷雪琳慧芳颖洁倩欣怡佳悦涵雨梦晴璐瑶琪萱诗彤妍婧思可心月嘉宁蕾菲薇雯晓文若语馨舒瑾"
# fmt: off
MOBILE_PREFIXES = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155",
    "156", "157", "158", "159", "166", "173", "177", "180", "181", "182", "183", "185", "186", "187",
    "188", "189", "191", "198", "199",
]
# fmt: on

# --- the organisation directory --------------------------------------------------------------

# (name, USCC kind, region, nature, industry, street address)
# USCC kind: "91" enterprise (registered with 市场监管), "12" public institution (事业单位).
ORGANISATIONS = [
    ("上海申联智能科技有限公司", "91", "310115", "39", "I", "张江路 665 号 3 幢 501 室"),
    ("上海浦江重工装备有限公司", "91", "310112", "31", "C", "江川路 1800 号"),
    ("上海汇星光电科技有限公司", "91", "310110", "39", "C", "国定东路 200 号 4 号楼 12 层"),
    ("上海长扬汽车零部件有限公司", "91", "310114", "32", "C", "安亭镇墨玉南路 888 号"),
    ("上海云帆信息技术有限公司", "91", "310104", "39", "I", "漕溪北路 398 号 15 楼"),
    ("上海东浦商业银行股份有限公司", "91", "310115", "31", "J", "世纪大道 1168 号"),
    ("上海申城建设工程集团有限公司", "91", "310106", "31", "E", "共和新路 3088 号"),
    ("上海华锐新材料有限公司", "91", "310116", "39", "C", "金山工业区亭卫公路 6558 号"),
    ("上海海湾国际物流有限公司", "91", "310115", "32", "G", "洋山港区同顺大道 200 号"),
    ("上海明致管理咨询有限公司", "91", "310101", "39", "L", "南京东路 300 号 21 楼"),
    ("杭州钱江数智科技有限公司", "91", "330114", "39", "I", "下沙街道文泽路 166 号"),
    ("深圳南海通信技术有限公司", "91", "440305", "39", "I", "粤海街道科技南十二路 18 号"),
    ("苏州吴越精密机械有限公司", "91", "320506", "32", "C", "吴中经济开发区东吴南路 58 号"),
    ("北京中科示范软件有限公司", "91", "110108", "39", "I", "中关村大街 99 号 8 层"),
    ("宁波港联国际贸易有限公司", "91", "330206", "39", "F", "新碶街道明州路 500 号"),
    ("合肥蓝天新能源科技有限公司", "91", "340104", "39", "C", "望江西路 860 号"),
    ("南京江宁智能装备有限公司", "91", "320115", "31", "C", "秣陵街道将军大道 159 号"),
    ("成都天府数据服务有限公司", "91", "510107", "39", "I", "天府大道北段 1700 号"),
    ("上海智能制造研究院", "12", "310115", "20", "M", "金科路 2999 号"),
    ("申江大学", "12", "310104", "21", "P", "漕宝路 1288 号"),
    ("京华大学", "12", "110108", "21", "P", "学院路 38 号"),
]
SCHOOL_ORGANISATION = ("__SCHOOL__", "12", "310110", "21", "P", "军工路 600 号")

# fmt: off
POSTCODES = {
    "310115": "201203", "310112": "200240", "310110": "200433", "310114": "201805", "310104": "200030",
    "310106": "200072", "310116": "201506", "310101": "200001", "330114": "310018", "440305": "518057",
    "320506": "215104", "110108": "100080", "330206": "315800", "340104": "230031", "320115": "211100",
    "510107": "610041",
}
# fmt: on
AREA_CODES = {"31": "021", "33": "0571", "44": "0755", "32": "0512", "11": "010", "34": "0551", "51": "028"}
AREA_CODE_BY_CITY = {"3302": "0574", "3201": "025"}

