"""Seed the code tables of SPEC §5: 单位性质, 单位行业, 工作职位类别, 毕业去向类别 and the wizard's 去向类型 tree.

Idempotent (update_or_create on the code / key), so re-running after the office edited a row restores
the seed values of the seeded rows only; rows the office added are left alone. Reverse is a no-op:
the rows may already be referenced by registrations."""

from django.db import migrations

ORG_NATURES = [
    ("10", "机关"),
    ("20", "科研设计单位"),
    ("21", "高等教育单位"),
    ("22", "中初教育单位"),
    ("23", "医疗卫生单位"),
    ("29", "其他事业单位"),
    ("31", "国有企业"),
    ("32", "三资企业"),
    ("39", "其他企业"),
    ("40", "部队"),
    ("55", "农村建制村"),
    ("56", "城镇社区"),
    ("99", "其他"),
]

# GB/T 4754-2017 国民经济行业分类, sections (门类) A–T, plus 军队.
INDUSTRIES = [
    ("A", "农、林、牧、渔业"),
    ("B", "采矿业"),
    ("C", "制造业"),
    ("D", "电力、热力、燃气及水生产和供应业"),
    ("E", "建筑业"),
    ("F", "批发和零售业"),
    ("G", "交通运输、仓储和邮政业"),
    ("H", "住宿和餐饮业"),
    ("I", "信息传输、软件和信息技术服务业"),
    ("J", "金融业"),
    ("K", "房地产业"),
    ("L", "租赁和商务服务业"),
    ("M", "科学研究和技术服务业"),
    ("N", "水利、环境和公共设施管理业"),
    ("O", "居民服务、修理和其他服务业"),
    ("P", "教育"),
    ("Q", "卫生和社会工作"),
    ("R", "文化、体育和娱乐业"),
    ("S", "公共管理、社会保障和社会组织"),
    ("T", "国际组织"),
    ("JD", "军队"),
]

JOB_CATEGORIES = [
    ("10", "公务员"),
    ("11", "科学研究人员"),
    ("13", "工程技术人员"),
    ("17", "农林牧渔业技术人员"),
    ("19", "卫生专业技术人员"),
    ("21", "经济业务人员"),
    ("22", "金融业务人员"),
    ("23", "法律专业人员"),
    ("24", "教学人员"),
    ("25", "文学艺术工作人员"),
    ("26", "体育工作人员"),
    ("27", "新闻出版和文化工作人员"),
    ("29", "其他专业技术人员"),
    ("30", "办事人员和有关人员"),
    ("40", "商业和服务业人员"),
    ("60", "生产和运输设备操作人员"),
    ("80", "军人"),
    ("90", "其他人员"),
]

# 毕业去向类别 (national system, 2023+): (code, name, is_placed).
DESTINATION_CATEGORIES = [
    ("10", "签就业协议形式就业", True),
    ("11", "签劳动合同形式就业", True),
    ("12", "其他录用形式就业", True),
    ("271", "科研助理、管理助理", True),
    ("46", "应征义务兵", True),
    ("502", "国家基层项目-三支一扶", True),
    ("503", "国家基层项目-西部计划", True),
    ("512", "地方基层项目-地方选调生", True),
    ("519", "其他地方基层项目", True),
    ("75", "自主创业", True),
    ("76", "自由职业", True),
    ("801", "境内升学-研究生", True),
    ("802", "境内升学-第二学士学位", True),
    ("85", "境外留学", True),
    ("70", "待就业", False),
    ("71", "暂不就业", False),
]

_AGREEMENT_PROCESS = "登记后请携带协议书到辅导员处办理鉴证盖章手续。"
_ARCHIVE_BY_LETTER = "档案接收信息请按调档函上的信息完整填写。"

# The wizard's tree. Groups: (key, name, sort_order, explanation). Leaves carry everything else.
# Field order of a leaf: key, name, parent, category, implied_nature, org_kind, needs_evidence,
# needs_archive, explanation, evidence_hint.
DESTINATION_GROUPS = [
    ("dispatch", "派遣（签订就业协议书）", 10,
     "签订《上海高校毕业生、毕业研究生就业协议书》后登记。二级去向分为一般单位录用、自主创业、部队录用和公务员录用。"),
    ("further_study", "国内升学", 20, "考取研究生或第二学士学位，收到调档政审函后登记。"),
    ("abroad", "出国（深造或工作）", 30, "收到国外（境外）学校 Offer 或工作签证后登记，所在地区选择“境外”。"),
    ("labour_contract", "直接签订劳动合同就业", 40,
     "不签订协议书、直接与用人单位签订劳动合同就业的毕业生，在签订劳动合同后登记。"),
    ("flexible", "灵活就业", 50, "既不签订协议书也不签订劳动合同、以其他形式就业的毕业生登记。"),
    ("research_assistant", "科研助理、管理助理", 60,
     "受聘为高校、科研院所或企业的科研助理、管理助理（科研项目聘用），签订聘用协议或劳动合同后登记。"),
    ("grassroots", "基层项目", 70, "参加国家或地方基层服务项目（三支一扶、西部计划、选调生等），收到录取或录用通知后登记。"),
    ("awaiting", "待就业", 80, "尚未落实去向、仍在求职的毕业生登记，便于学校跟踪帮扶。"),
    ("not_seeking", "暂不就业", 90, "暂时不打算就业的毕业生登记（如准备升学、出国出境等）。"),
]

DESTINATION_LEAVES = [
    # 派遣（签订就业协议书）
    ("dispatch_general", "一般单位录用", "dispatch", "10", None, "employer", True, True,
     "签订《上海高校毕业生、毕业研究生就业协议书》后登记，适用于除自主创业、部队、公务员以外的所有单位。"
     "上海单位须填写“单位信息登记号”；往年录用过我校毕业生的单位可通过统一社会信用代码匹配单位信息。"
     + _AGREEMENT_PROCESS,
     "协议书第一联；网签学生上传电子协议书 PDF"),
    ("dispatch_startup", "自主创业", "dispatch", "75", None, "employer", True, True,
     "与自己创办的企业签订协议书的情况。登记流程同一般单位录用。" + _AGREEMENT_PROCESS,
     "与自己创办单位签订的协议书"),
    ("dispatch_military", "部队录用", "dispatch", "46", "40", "employer", True, True,
     "应征入伍（参军）或与部队单位签订协议书的情况。登记流程同一般单位录用。",
     "参军入伍凭证（入伍通知书）或与部队单位签订的协议书"),
    ("dispatch_civil_service", "公务员录用", "dispatch", "10", "10", "employer", True, True,
     "与考取的公务员单位签订协议书，或由公务员录用单位直接出具录用公函的情况。登记流程同一般单位录用。",
     "与公务员单位签订的协议书或公务员单位出具的正式录用公函"),
    # 国内升学
    ("study_master", "考研", "further_study", "801", None, "school", True, True,
     "考取境内研究生，收到调档政审函后登记。录取学校请填写学校全称及统一社会信用代码（可向录取学校获取，"
     "或在全国组织机构统一社会信用代码数据服务中心网站 www.cods.org.cn 查询）。" + _ARCHIVE_BY_LETTER,
     "调档政审函"),
    ("study_second_degree", "考双", "further_study", "802", None, "school", True, True,
     "考取第二学士学位，收到调档政审函后登记。录取学校请填写学校全称及统一社会信用代码。" + _ARCHIVE_BY_LETTER,
     "调档政审函"),
    # 出国（深造或工作）
    ("abroad_study", "出国深造", "abroad", "85", None, "abroad", True, True,
     "收到国外（境外）学校录取 Offer 后登记。所在地区选择“境外”，并选择留学国家（地区）。"
     "无特殊情况，生源地主管单位及档案信息直接点击“匹配”填写。",
     "录取 Offer"),
    ("abroad_work", "出国工作", "abroad", "12", None, "abroad", True, True,
     "取得国外（境外）工作签证后登记。所在地区选择“境外”，并选择工作所在国家（地区）。"
     "无特殊情况，生源地主管单位及档案信息直接点击“匹配”填写。",
     "工作签证（或境外单位录用通知及签证）"),
    # 直接签订劳动合同就业 (a top-level leaf)
    ("labour_contract", None, None, "11", None, "employer", True, True,
     "不签订协议书、直接与用人单位签订劳动合同就业的毕业生，在签订劳动合同后登记。后续流程同“派遣（签订就业协议书）”。",
     "劳动合同扫描件（第一页信息页及最后一页签字盖章页）"),
    # 灵活就业
    ("flexible_other", "其他录用形式就业", "flexible", "12", None, "employer", True, True,
     "不签协议书也不签劳动合同，由用人单位以其他形式录用（如用人单位证明、聘用函等）的毕业生登记。",
     "灵活就业登记表"),
    ("flexible_freelance", "自由职业", "flexible", "76", None, "none", True, True,
     "不依托用人单位、以个人身份从事自由职业（如自由撰稿、独立设计、网络创作等）的毕业生登记，无需填写单位信息。",
     "灵活就业登记表"),
    # 科研助理、管理助理 (a top-level leaf)
    ("research_assistant", None, None, "271", None, "employer", True, True,
     "受聘为高校、科研院所或企业的科研助理、管理助理（科研项目聘用），签订聘用协议或劳动合同后登记。",
     "聘用协议或劳动合同（含信息页及签字盖章页）"),
    # 基层项目
    ("grassroots_sanzhiyifu", "三支一扶", "grassroots", "502", None, "employer", True, True,
     "入选“三支一扶”计划（支教、支农、支医和帮扶乡村振兴），收到录取通知后登记，服务单位填写派驻单位。",
     "三支一扶录取通知书或服务协议"),
    ("grassroots_west", "西部计划", "grassroots", "503", None, "employer", True, True,
     "入选大学生志愿服务西部计划，收到录取通知后登记，服务单位填写派驻单位。",
     "西部计划录取通知书或服务协议"),
    ("grassroots_xuandiao", "地方选调生", "grassroots", "512", None, "employer", True, True,
     "考取地方选调生，收到录用通知后登记。",
     "选调生录用通知书或录用公函"),
    ("grassroots_local_other", "其他地方基层项目", "grassroots", "519", None, "employer", True, True,
     "参加其他地方基层服务项目（如社区工作者、乡村振兴协理员等地方项目），收到录用通知后登记。",
     "基层项目录用通知书或服务协议"),
    # 待就业 (not placed)
    ("awaiting_job_hunting", "求职中", "awaiting", "70", None, "none", False, False,
     "尚未签约、正在求职。落实去向后请及时变更登记。", ""),
    ("awaiting_signing", "签约中", "awaiting", "70", None, "none", False, False,
     "已有意向单位、正在办理签约手续。签约完成后请及时变更登记。", ""),
    ("awaiting_exam", "拟参加公招考试", "awaiting", "70", None, "none", False, False,
     "准备参加公务员、事业单位等公开招录考试。录用后请及时变更登记。", ""),
    ("awaiting_startup", "拟创业", "awaiting", "70", None, "none", False, False,
     "正在筹备创业、尚未注册企业。创业落实后请及时变更登记。", ""),
    # 暂不就业 (not placed)
    ("not_seeking_study", "不就业拟升学", "not_seeking", "71", None, "none", False, False,
     "暂不就业，准备继续报考研究生或第二学士学位等。收到录取后请及时变更登记。", ""),
    ("not_seeking_abroad", "拟出国出境", "not_seeking", "71", None, "none", False, False,
     "暂不就业，正在申请出国（出境）留学或工作。收到 Offer 或签证后请及时变更登记。", ""),
    ("not_seeking_other", "暂不就业", "not_seeking", "71", None, "none", False, False,
     "因其他原因暂不就业（如身体原因、家庭原因等）。", ""),
]


def seed(apps, schema_editor):
    OrgNature = apps.get_model("reference", "OrgNature")
    Industry = apps.get_model("reference", "Industry")
    JobCategory = apps.get_model("reference", "JobCategory")
    DestinationCategory = apps.get_model("reference", "DestinationCategory")
    DestinationType = apps.get_model("reference", "DestinationType")

    for model, rows in ((OrgNature, ORG_NATURES), (Industry, INDUSTRIES), (JobCategory, JOB_CATEGORIES)):
        for index, (code, name) in enumerate(rows, start=1):
            model.objects.update_or_create(code=code, defaults={"name": name, "sort_order": index * 10})

    for index, (code, name, is_placed) in enumerate(DESTINATION_CATEGORIES, start=1):
        DestinationCategory.objects.update_or_create(
            code=code, defaults={"name": name, "is_placed": is_placed, "sort_order": index * 10}
        )

    group_sort = {key: sort_order for key, _name, sort_order, _explanation in DESTINATION_GROUPS}
    group_names = {key: name for key, name, _sort_order, _explanation in DESTINATION_GROUPS}
    leaf_keys = {row[0] for row in DESTINATION_LEAVES}
    group_objects = {}
    for key, name, sort_order, explanation in DESTINATION_GROUPS:
        if key in leaf_keys:
            continue  # a top-level leaf, created below with its full definition
        group_objects[key], _ = DestinationType.objects.update_or_create(
            key=key,
            defaults={
                "name": name,
                "parent": None,
                "category": None,
                "implied_nature": None,
                "explanation": explanation,
                "evidence_hint": "",
                "org_kind": "none",
                "needs_evidence": False,
                "needs_archive": False,
                "sort_order": sort_order,
            },
        )

    position_in_group = {}
    for (key, name, parent, category, nature, org_kind, needs_evidence, needs_archive,
         explanation, evidence_hint) in DESTINATION_LEAVES:
        if parent is None:
            name = group_names[key]
            sort_order = group_sort[key]
        else:
            position_in_group[parent] = position_in_group.get(parent, 0) + 1
            sort_order = position_in_group[parent] * 10
        DestinationType.objects.update_or_create(
            key=key,
            defaults={
                "name": name,
                "parent": group_objects[parent] if parent else None,
                "category_id": category,
                "implied_nature_id": nature,
                "explanation": explanation,
                "evidence_hint": evidence_hint,
                "org_kind": org_kind,
                "needs_evidence": needs_evidence,
                "needs_archive": needs_archive,
                "sort_order": sort_order,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("reference", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
