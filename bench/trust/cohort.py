"""The planted cohort of the trust bench: who registers what, with which evidence, when — and which records
are planted fakes. Planning is pure (a seeded random generator, no database); `build` then runs the plan
through the real services.

Planted fakes (a side file holds the labels; nothing in the database says which is which):
- copy: the same agreement photo of another student re-encoded (JPEG quality, resized, cropped 1–3 %,
  PNG↔JPEG, photographed again); the copier types the employer of the copied agreement;
- mismatch: the evidence names another organisation / USCC than the one typed (text-layer PDF or photo;
  another employer, the right name with another code, a look-alike name with its own code);
- classmate: the agreement of a classmate (another roster student of the same class, who has no evidence of
  their own) — photographed or the classmate's PDF;
- cluster: one class where most students are suddenly 灵活就业 at one studio with near-identical wording,
  registered within ~40 minutes and verified within ~15 minutes.

Innocent look-alikes: one big employer for ~20 % of the employed (its own contract template too),
agreements from one national template with different filled-in content (including three students hired by
one small company on the same day for the same job), ordinary 灵活就业 spread over the classes (one studio
employing four students weeks apart), a county branch (分公司, its own USCC; some students type the parent,
some the branch, some an abbreviation of it), typing variants of the employer's name (有限责任公司 / 股份 /
brackets / spaces / full-width), 考研 letters, offers from abroad, plain records. The copied students
themselves (copy_source) are labelled apart: their agreement is genuine, but a copy finding names them
together with their copiers by design (which of the group is the original is for the counselor to find out),
so they are counted neither as fakes nor as innocents and reported on their own line."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from bench.trust.render import AGREEMENT_TERMS, CONTRACT_TERMS, FLEXIBLE_TERMS, LETTER_TERMS, Doc

CLASS_SIZE = 32
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("伟强磊军洋勇杰涛明超辉刚健鹏宇浩凯俊帆博文轩晨静丽敏婷雪琳慧芳颖洁倩欣怡佳悦涵雨梦晴璐瑶琪萱子梓一诗思"
         "嘉若欣可语昊天泽睿宁远航志豪家乐婧妍楠彤蕾菲露")
MAJORS = ["计算机科学与技术", "软件工程", "电子信息工程", "机械设计制造及其自动化", "国际经济与贸易", "会计学", "汉语言文学",
          "工商管理", "土木工程", "环境工程", "数字媒体技术", "英语"]
JOBS = ["软件工程师", "测试工程师", "数据分析师", "产品助理", "销售代表", "运营专员", "财务助理", "行政专员", "硬件工程师",
        "技术支持", "设计助理", "市场专员"]
STREETS = ["张江路", "碧波路", "漕溪北路", "淞沪路", "虹桥路", "江场路", "金桥路", "龙华中路", "文三路", "科苑路", "星湖街"]

# Planted patterns and the checks meant to catch each (recall counts a record flagged by one of these).
PATTERNS = {
    "copy": ("evidence_near_duplicate", "evidence_reuse"),
    "mismatch": ("evidence_mismatch",),
    "classmate": ("evidence_mismatch",),
    "cluster": ("class_cluster", "flexible_share"),
}
PATTERN_TITLES = {
    "copy": "(a) 同一协议照片重新编码后用于其他学生",
    "mismatch": "(b) 材料上的单位/信用代码与填写的不同",
    "classmate": "(c) 同班同学的协议（本人姓名缺失）",
    "cluster": "(d) 一个班级突然集中灵活就业、措辞雷同、几分钟内登记并鉴证",
}


def uscc(region: str, serial: str, kind: str = "91") -> str:
    from quxiang.core.validators import uscc_check_char

    first17 = f"{kind}{region}{serial}"
    return first17 + uscc_check_char(first17)


@dataclass(frozen=True)
class Org:
    name: str
    uscc: str
    region: str  # a county-level code
    address: str
    contact: str
    phone: str
    kind: str = "employer"  # employer | school


@dataclass
class Evidence:
    form: str  # pdf | scan | photo | copy
    doc: Doc | None = None
    source: str = ""  # copy: the student number of the copied record
    how: str = ""  # copy: the re-encoding
    name: str = "协议书"


@dataclass
class Plan:
    number: str
    name: str
    class_index: int
    label: str = "innocent"  # innocent | copy | copy_source | mismatch | classmate | cluster
    variant: str = "plain"
    dtype: str = ""  # "" : no record at all
    org: Org | None = None
    typed_name: str = ""  # as typed (a variant of org.name)
    typed_uscc: str = ""
    programme: str = ""
    evidence: list[Evidence] = field(default_factory=list)
    submit_at: dt.datetime | None = None
    verify_after: dt.timedelta | None = None  # None: not verified yet
    verify_at: dt.datetime | None = None  # set when the sitting is planned
    national_id: str = ""
    origin: str = "310104"
    major: str = ""
    phone: str = ""
    note: str = ""


@dataclass
class Cohort:
    plans: list[Plan]
    classes: list[tuple[str, int]]  # (name, college index)
    colleges: list[str]
    hot_class: int


def _names(rng: random.Random, n: int) -> list[str]:
    seen: set[str] = set()
    out = []
    while len(out) < n:
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        name = rng.choice(SURNAMES) + given
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def _variant(name: str, rng: random.Random) -> tuple[str, str]:
    """How a student may type the employer's name: (typed, variant)."""
    options = []
    if name.endswith("有限公司") and not name.endswith("股份有限公司"):
        options += [("llc", name[:-4] + "有限责任公司"), ("stock", name[:-4] + "股份有限公司")]
    if "（" in name:
        options.append(("brackets", name.replace("（", "(").replace("）", ")")))
    if any("A" <= c <= "Z" for c in name):
        options.append(("fullwidth", "".join(chr(ord(c) + 0xFEE0) if "A" <= c <= "Z" else c for c in name)))
    for city in ("上海", "北京", "杭州", "深圳", "苏州"):
        if name.startswith(city):
            options.append(("spaces", f"{city} {name[len(city):]}"))
            options.append(("ideographic_space", f"{city}\u3000{name[len(city):]}"))
    if not options:
        return name, "plain"
    kind, typed = rng.choice(options)
    return typed, kind


def agreement(p: Plan, org: Org, rng: random.Random, *, job: str = "", date: str = "", owner: Plan | None = None) -> Doc:
    """The national 就业协议书 filled in for `owner` (the student the paper is about; p by default)."""
    who = owner or p
    return Doc(
        title="全国普通高等学校毕业生就业协议书", number=f"2027{rng.randint(100000, 999999)}",
        rows=[("甲方", "单位名称", org.name), ("", "统一社会信用代码", org.uscc), ("", "单位地址", org.address),
              ("", "联系人及电话", f"{org.contact} {org.phone}"), ("乙方", "姓名", who.name), ("", "学号", who.number),
              ("", "专业", who.major), ("", "身份证号", who.national_id), ("", "工作岗位", job or rng.choice(JOBS)),
              ("", "月薪", f"{rng.randrange(6000, 16000, 500)}元")],
        terms=rng.sample(AGREEMENT_TERMS, 4), signer=who.name, seal=org.name,
        date=date or f"2026年{rng.randint(9, 11)}月{rng.randint(1, 28)}日",
    )


def contract(p: Plan, org: Org, rng: random.Random) -> Doc:
    return Doc(
        title=f"{org.name}劳动合同书" if rng.random() < 0.5 or org.name.startswith("上海示范科技") else "劳动合同书",
        rows=[("甲方", "用人单位", org.name), ("", "统一社会信用代码", org.uscc), ("", "法定代表人", "陈建国"),
              ("", "地址", org.address), ("乙方", "姓名", p.name), ("", "身份证号", p.national_id),
              ("", "联系电话", p.phone), ("", "工作岗位", rng.choice(JOBS))],
        terms=CONTRACT_TERMS[:4], signer=p.name, seal=org.name,
        date=f"2026年{rng.randint(9, 11)}月{rng.randint(1, 28)}日",
    )


def flexible_form(p: Plan, org: Org | None, work: str, income: str, rng: random.Random, *, date: str = "") -> Doc:
    rows = [("学生", "姓名", p.name), ("", "学号", p.number), ("", "专业", p.major), ("", "就业形式", "灵活就业")]
    if org is not None:
        rows += [("单位", "工作单位", org.name), ("", "统一社会信用代码", org.uscc), ("", "工作地点", org.address)]
    rows += [("", "工作内容", work), ("", "月收入", income)]
    return Doc(title="毕业生灵活就业登记表", rows=rows, terms=FLEXIBLE_TERMS[:2], signer=p.name,
               date=date or f"2026年{rng.randint(9, 11)}月{rng.randint(1, 28)}日")


def admission_letter(p: Plan, school: Org, rng: random.Random) -> Doc:
    return Doc(
        title="硕士研究生调档函", number=f"YJS2027{rng.randint(1000, 9999)}",
        rows=[("考生", "考生姓名", p.name), ("", "考生编号", f"10246{rng.randint(10**9, 10**10 - 1)}"),
              ("", "录取学校", school.name), ("", "统一社会信用代码", school.uscc),
              ("", "录取专业", rng.choice(MAJORS)), ("", "学习方式", "全日制")],
        terms=LETTER_TERMS, seal=school.name, date=f"2026年{rng.randint(10, 12)}月{rng.randint(1, 28)}日",
    )


def offer_letter(p: Plan, school: str) -> Doc:
    return Doc(title="OFFER OF ADMISSION", rows=[],
               terms=[f"Student ID {p.number}", f"We are pleased to offer you admission to {school}.",
                      "Master of Science, Fall 2027. Please confirm your acceptance by 30 April 2027."])


# --- the plan ------------------------------------------------------------------------------------------------


def plan_cohort(*, students: int, seed: int, regions: dict[str, str], start: dt.datetime,
                origins: list[str] | None = None) -> Cohort:
    """regions: a few county-level codes by role (sh_pudong, sh_xuhui, sh_yangpu, sh_minhang, sh_chongming,
    sh_city, bj, hz, sz, sz2) that exist in the Region table; origins: 生源地 codes with an authority."""
    from quxiang.testing.factories import make_national_id

    rng = random.Random(seed)
    origins = origins or ["310104"]
    n_classes = max(6, round(students / CLASS_SIZE))
    # One big college (40 % of the classes, the hot class in it) and three smaller ones.
    big = max(3, round(n_classes * 0.4))
    colleges = ["信息工程学院", "经济管理学院", "人文学院", "机械工程学院"]
    college_of = [0] * big + [1 + i % 3 for i in range(n_classes - big)]
    classes = [(f"{'信工经管人文机械'[2 * c:2 * c + 2]}23{i + 1:02d}", c) for i, c in enumerate(college_of)]
    hot = 1  # the second class of the big college
    names = _names(rng, students)
    plans: list[Plan] = []
    for i in range(students):
        cls = i % n_classes
        origin = rng.choice(origins)
        p = Plan(number=f"2390{i + 1:06d}", name=names[i], class_index=cls, major=MAJORS[cls % len(MAJORS)],
                 phone=f"139{rng.randint(10**7, 10**8 - 1):08d}", origin=origin,
                 national_id=make_national_id(region=origin, birth=f"2004{i % 12 + 1:02d}{i // 12 % 28 + 1:02d}",
                                              seq=i, sex="M" if i % 2 else "F"))
        plans.append(p)
    by_class: dict[int, list[Plan]] = {}
    for p in plans:
        by_class.setdefault(p.class_index, []).append(p)

    def counter(prefix: str):
        n = 0
        while True:
            n += 1
            yield f"{prefix}{n:04d}"

    serials = counter("MA1TB")
    sh = [regions["sh_pudong"], regions["sh_xuhui"], regions["sh_yangpu"], regions["sh_minhang"]]

    def employer(name: str, region: str, city: str = "上海市") -> Org:
        street = rng.choice(STREETS)
        return Org(name, uscc(region, next(serials)), region, f"{city}{street}{rng.randint(1, 999)}号",
                   rng.choice(["王经理", "李老师", "张女士", "刘先生", "陈主管", "人事部 赵女士"]),
                   f"021-{rng.randint(50000000, 69999999)}")

    big_employer = employer("上海示范科技有限公司", regions["sh_pudong"])
    employers = [employer(n, rng.choice(sh)) for n in (
        "上海申联智能科技有限公司", "上海浦江物流有限公司", "上海博远信息技术有限公司", "上海华信会计师事务所有限公司",
        "上海东方教育培训有限公司", "上海星河AI科技有限公司", "上海汇丰电子（集团）有限公司", "上海澄明环保工程有限公司",
        "上海蓝鲸网络科技有限公司", "上海长风建设工程有限公司", "上海金桥机电设备有限公司", "上海新程国际贸易有限公司",
        "上海明德医疗器械有限公司", "上海启航文化传媒有限公司", "上海瑞丰食品有限公司", "上海协同软件股份有限公司",
        "华东医药（上海）有限公司", "上海宏远汽车零部件有限公司", "上海嘉禾商业管理有限公司", "上海鼎盛数据服务有限公司")]
    employers += [employer("北京远方物流有限责任公司", regions["bj"], "北京市"),
                  employer("北京中科智联信息技术有限公司", regions["bj"], "北京市"),
                  employer("杭州云栖数据股份有限公司", regions["hz"], "杭州市"),
                  employer("杭州西溪电子商务有限公司", regions["hz"], "杭州市"),
                  employer("深圳前海金融服务有限公司", regions["sz"], "深圳市"),
                  employer("深圳南山微电子有限公司", regions["sz"], "深圳市"),
                  employer("苏州工业园区精密电子有限公司", regions["sz2"], "苏州市"),
                  employer("苏州吴中智能装备有限公司", regions["sz2"], "苏州市")]
    parent = employer("中国移动通信集团上海有限公司", regions["sh_city"])
    branch = employer("中国移动通信集团上海有限公司崇明分公司", regions["sh_chongming"])
    lookalike = employer("上海示范信息科技有限公司", regions["sh_minhang"])  # typed by a faker; exists nowhere else
    small = employer("上海小微软件有限公司", regions["sh_xuhui"])
    schools = [Org(n, uscc(r, s, "12"), r, a, "研究生院", "021-65642222", kind="school") for n, r, s, a in (
        ("复旦大学", regions["sh_yangpu"], "425006117", "上海市邯郸路220号"),
        ("上海交通大学", regions["sh_minhang"], "425008112", "上海市东川路800号"),
        ("同济大学", regions["sh_yangpu"], "425006125", "上海市四平路1239号"),
        ("华东师范大学", regions["sh_minhang"], "425006133", "上海市中山北路3663号"),
        ("浙江大学", regions["hz"], "470095016", "杭州市余杭塘路866号"))]
    studio = Org("上海星火新媒体工作室", uscc(regions["sh_minhang"], "MA1XH0001", "92"), regions["sh_minhang"],
                 "上海市闵行区文汇路300弄5号", "王经理", "13761230001")
    innocent_studio = Org("上海青禾设计工作室", uscc(regions["sh_yangpu"], "MA1QH0001", "92"), regions["sh_yangpu"],
                          "上海市杨浦区国定路335号", "周老师", "13611110002")

    def sh_day(days: float, hour: float) -> dt.datetime:
        return start + dt.timedelta(days=int(days), hours=hour)

    def normal_times(p: Plan) -> None:
        p.submit_at = sh_day(rng.uniform(0, 80), rng.uniform(8, 22.5)) + dt.timedelta(minutes=rng.randint(0, 59))
        p.verify_after = None if rng.random() < 0.07 else dt.timedelta(hours=rng.uniform(5, 96))

    free = [p for p in plans]
    rng.shuffle(free)

    def take(pred=lambda p: True) -> Plan:
        for j, p in enumerate(free):
            if pred(p):
                return free.pop(j)
        raise RuntimeError("cohort too small for the plan")

    # (d) the hot class: ~62 % of it at one studio, near-identical wording, within minutes.
    hot_members = [p for p in by_class[hot]]
    cluster_n = round(len(hot_members) * 0.62)
    cluster_day = sh_day(52, 10.0)
    for j, p in enumerate(hot_members[:cluster_n]):
        free.remove(p)
        p.label, p.variant, p.dtype, p.org = "cluster", "studio", "flexible_other", studio
        p.typed_name = ["上海星火新媒体工作室", "上海星火新媒体工作室（个人）", "上海 星火新媒体工作室"][j % 3]
        p.typed_uscc = studio.uscc
        p.note = ["上海市闵行区文汇路300弄5号", "闵行区文汇路300弄5号", "上海市闵行区文汇路 300 弄 5 号"][j % 3]
        p.evidence = [Evidence("pdf", flexible_form(p, studio, "新媒体运营，短视频拍摄与剪辑", "4000元", rng,
                                                    date="2026年10月28日"), name="灵活就业登记表")]
        p.submit_at = cluster_day + dt.timedelta(minutes=2 * j + rng.uniform(0, 1.5))
        p.verify_at = cluster_day + dt.timedelta(hours=3, minutes=0.6 * j)

    # (a) copy rings: a source's photographed agreement, re-encoded for three others each.
    n_rings = max(2, students // 55)
    hows = ["jpeg_quality", "resize", "crop", "format_swap", "rephoto"]
    k = 0
    for _r in range(n_rings):
        source = take()
        org = rng.choice([big_employer, *employers[:12]])
        source.label, source.variant, source.dtype, source.org = "copy_source", "photo", "dispatch_general", org
        source.typed_name, source.typed_uscc = org.name, org.uscc
        form = rng.choice(["scan", "photo"])
        source.evidence = [Evidence(form, agreement(source, org, rng), name="就业协议书")]
        normal_times(source)
        for _c in range(3):
            copier = take(lambda p, s=source: p is not s)
            how = hows[k % len(hows)]
            k += 1
            copier.label, copier.variant, copier.dtype, copier.org = "copy", how, "dispatch_general", org
            copier.typed_name, _v = _variant(org.name, rng) if rng.random() < 0.3 else (org.name, "")
            copier.typed_uscc = org.uscc
            copier.evidence = [Evidence("copy", source=source.number, how=how, name=rng.choice(["协议书", "IMG_2031", "扫描件"]))]
            copier.note = f"copy of {source.number} ({form})"
            normal_times(copier)

    # (b) evidence naming another organisation / code than the one typed.
    n_mismatch = max(6, students // 25)
    for j in range(n_mismatch):
        p = take()
        p.label, p.dtype = "mismatch", "dispatch_general"
        kind = ["other_org_pdf", "other_org_image", "other_org_pdf", "other_org_image", "other_uscc_pdf",
                "lookalike_name_pdf", "other_org_pdf", "other_org_image"][j % 8]
        typed_org, paper_org = rng.sample([big_employer, *employers], 2)
        if kind == "other_uscc_pdf":  # the employer's right name typed with a code that is not its own
            typed_org = Org(paper_org.name, uscc(paper_org.region, next(serials)), paper_org.region,
                            paper_org.address, paper_org.contact, paper_org.phone)
        if kind == "lookalike_name_pdf":
            typed_org, paper_org = lookalike, big_employer
        p.variant, p.org = kind, typed_org
        p.typed_name, p.typed_uscc = typed_org.name, typed_org.uscc
        doc = agreement(p, paper_org, rng)
        p.evidence = [Evidence("pdf" if kind.endswith("pdf") else rng.choice(["scan", "photo"]), doc)]
        p.note = f"paper says {paper_org.name} {paper_org.uscc}"
        normal_times(p)

    # (c) a classmate's agreement; the classmate has no evidence of their own (unregistered or 考研 later).
    n_classmate = max(4, students // 45)
    lenders: set[str] = set()
    for j in range(n_classmate):
        p = take(lambda q: q.class_index != hot)
        mate = take(lambda q, c=p.class_index: q.class_index == c)
        lenders.add(mate.number)
        mate.variant = "lender_no_record"
        org = rng.choice([big_employer, *employers])
        p.label, p.variant, p.dtype, p.org = "classmate", ["image", "image", "pdf"][j % 3], "dispatch_general", org
        p.typed_name, p.typed_uscc = org.name, org.uscc
        doc = agreement(p, org, rng, owner=mate)
        p.evidence = [Evidence("pdf" if p.variant == "pdf" else rng.choice(["scan", "photo"]), doc)]
        p.note = f"agreement of classmate {mate.number} {mate.name}"
        normal_times(p)

    # --- innocents -------------------------------------------------------------------------------------
    # County branch: typed as the parent (the paper is the branch's, with its own code), as the branch, or
    # as an abbreviation of the branch with the branch's code.
    for j in range(max(3, students // 80)):
        p = take()
        p.dtype = "labour_contract" if j % 4 == 3 else "dispatch_general"
        if j % 3 == 0:
            p.variant, p.org, p.typed_name, p.typed_uscc = "branch_typed_parent", parent, parent.name, parent.uscc
        elif j % 3 == 1:
            p.variant, p.org, p.typed_name, p.typed_uscc = "branch", branch, branch.name, branch.uscc
        else:
            p.variant, p.org, p.typed_name, p.typed_uscc = "branch_abbreviated", branch, "中国移动崇明分公司", branch.uscc
        doc = contract(p, branch, rng) if p.dtype == "labour_contract" else agreement(p, branch, rng)
        p.evidence = [Evidence("pdf" if j % 2 else "scan", doc)]
        normal_times(p)
    # One small company hiring three on the same day for the same job (one template, same employer lines).
    for _j in range(3):
        p = take()
        p.variant, p.dtype, p.org, p.typed_name, p.typed_uscc = "same_day_hire", "dispatch_general", small, small.name, small.uscc
        p.evidence = [Evidence(rng.choice(["pdf", "scan"]), agreement(p, small, rng, job="测试工程师", date="2026年10月9日"))]
        normal_times(p)
    # One studio employing four students, registered weeks apart.
    for j in range(4):
        p = take(lambda q: q.class_index != hot)
        p.variant, p.dtype, p.org = "studio_over_weeks", "flexible_other", innocent_studio
        p.typed_name, p.typed_uscc, p.note = innocent_studio.name, innocent_studio.uscc, innocent_studio.address
        p.evidence = [Evidence("pdf", flexible_form(p, innocent_studio, "平面设计与品牌视觉", "5000元", rng), name="灵活就业登记表")]
        normal_times(p)
        p.submit_at = sh_day(8 + 17 * j, 15.0)
    works = ["网店经营（服装）", "自由撰稿", "家教辅导", "短视频创作", "独立插画", "摄影约拍", "小程序外包开发", "翻译兼职",
             "社区团购团长", "健身私教", "宠物美容", "手工饰品网店"]
    weights = {"none": 3, "awaiting_job_hunting": 4, "study_master": 13, "abroad_study": 3, "flexible_other": 3,
               "flexible_freelance": 1, "labour_contract": 10, "dispatch_general": 63}
    kinds, ws = list(weights), list(weights.values())
    image_share = 0.12
    for p in list(free):
        if p.number in lenders:
            continue
        kind = rng.choices(kinds, ws)[0]
        if p.class_index == hot and kind.startswith("flexible"):
            kind = "dispatch_general"  # the hot class's own innocents are the usual mix without flexible
        if kind == "none":
            continue
        p.dtype = kind
        normal_times(p)
        image = rng.random() < image_share
        form = rng.choice(["scan", "photo"]) if image else "pdf"
        if kind == "awaiting_job_hunting":
            p.variant = "awaiting"
            continue
        if kind == "study_master":
            school = rng.choice(schools)
            p.variant, p.org, p.typed_name, p.typed_uscc = "study_master", school, school.name, school.uscc
            p.evidence = [Evidence(form, admission_letter(p, school, rng), name="调档函")]
            continue
        if kind == "abroad_study":
            school = rng.choice(["哥伦比亚大学|Columbia University", "帝国理工学院|Imperial College London",
                                 "新加坡国立大学|National University of Singapore", "墨尔本大学|The University of Melbourne"])
            cn, en = school.split("|")
            p.variant, p.typed_name, p.note = "abroad", cn, en
            p.evidence = [Evidence("pdf", offer_letter(p, en), name="Offer")]
            continue
        if kind == "flexible_freelance":
            p.variant = "freelance"
            p.evidence = [Evidence("pdf", flexible_form(p, None, rng.choice(works), f"{rng.randrange(3000, 9000, 500)}元", rng),
                                   name="灵活就业登记表")]
            continue
        if kind == "flexible_other":
            shop = Org(f"{rng.choice(['上海', '杨浦区', '闵行区', '徐汇区'])}{rng.choice(['小林', '青木', '禾苗', '远山', '拾光', '知行'])}"
                       f"{rng.choice(['工作室', '商行', '文化工作室', '网店', '教育咨询中心'])}",
                       uscc(rng.choice(sh), next(serials), "92"), rng.choice(sh),
                       f"上海市{rng.choice(STREETS)}{rng.randint(1, 500)}号", rng.choice(["店主", "负责人"]),
                       f"137{rng.randint(10**7, 10**8 - 1)}")
            p.variant, p.org, p.typed_name, p.typed_uscc, p.note = "flexible", shop, shop.name, shop.uscc, shop.address
            p.evidence = [Evidence("pdf", flexible_form(p, shop, rng.choice(works), f"{rng.randrange(3000, 9000, 500)}元", rng),
                                   name="灵活就业登记表")]
            continue
        # Employed: the big employer takes ~20 %, the rest spread with a skew.
        org = big_employer if rng.random() < 0.2 else employers[min(int(rng.expovariate(1 / 8)), len(employers) - 1)]
        p.org = org
        p.variant = "big_employer" if org is big_employer else "employed"
        if rng.random() < 0.22:
            p.typed_name, v = _variant(org.name, rng)
            p.variant += f"+typed_{v}"
        else:
            p.typed_name = org.name
        p.typed_uscc = org.uscc
        doc = contract(p, org, rng) if kind == "labour_contract" else agreement(p, org, rng)
        p.evidence = [Evidence(form, doc, name="劳动合同" if kind == "labour_contract" else "就业协议书")]
    # A few verified at the counselor's desk within a minute of submitting (alone: innocent).
    desk = [p for p in plans if p.label == "innocent" and p.dtype == "dispatch_general" and p.verify_after][:3]
    for j, p in enumerate(desk):
        p.verify_after = dt.timedelta(seconds=40)
        p.submit_at = sh_day(20 + 9 * j, 11)
    return Cohort(plans=plans, classes=classes, colleges=colleges, hot_class=hot)


def schedule_verifications(cohort: Cohort, rng: random.Random) -> None:
    """Counselors verify at sittings (every 3 days per class, 14:00, 40–120 s per record), the first
    sitting at least `verify_after` after submission; the desk cases and the hot class keep their times."""
    by_class: dict[int, list[Plan]] = {}
    for p in cohort.plans:
        if p.dtype and p.verify_at is None and p.verify_after is not None:
            by_class.setdefault(p.class_index, []).append(p)
    for cls, items in by_class.items():
        sittings: dict[dt.datetime, list[Plan]] = {}
        for p in items:
            ready = p.submit_at + p.verify_after
            if p.verify_after < dt.timedelta(minutes=5):
                p.verify_at = ready
                continue
            day = ready.replace(hour=6, minute=0, second=0, microsecond=0)  # 14:00 Beijing time = 06:00 UTC
            while day < ready or (day.toordinal() + cls) % 3:
                day += dt.timedelta(days=1)
            sittings.setdefault(day, []).append(p)
        for day, members in sittings.items():
            at = day
            for p in sorted(members, key=lambda q: q.submit_at):
                at += dt.timedelta(seconds=rng.uniform(40, 120))
                p.verify_at = at
