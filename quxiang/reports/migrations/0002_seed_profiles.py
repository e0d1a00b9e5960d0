"""Seed the export profiles (issue 14): the national profile (全国高校毕业生毕业去向登记, field codes as the header
row, the Chinese names on a 说明 sheet) and a provincial profile derived from it (codes and Chinese names as two
header rows, dates with dashes, plus the archive fields and the Shanghai 单位信息登记号).

Field codes, widths and code tables follow the public sources listed in docs/decisions.md "Export profiles
(issue 14)"; where they disagree the choice is written there and in the profile's 说明. Codes marked
“未经公开资料确认” there are the office's to check against the loader's own code list before the first upload.

Idempotent: a profile that already exists (same key, year and version) is left as the office edited it.
Reverse is a no-op."""

from django.db import migrations

YEAR = 2027
REQ_EMPLOYER = "10,11"  # 签就业协议 / 签劳动合同: the employer's details are required
REQ_NAMED_UNIT = "10,11,12,271,46,502,503,512,519,75,801,802"  # a named unit or school
REQ_ABROAD = "85"

# (code, Chinese name, source, width, fixed width, code table, date format, required for, fixer or "").
# A name column beside its code column (BYQX, DWXZ, …) is not "required" itself: it comes with the code, and
# one missing value is reported once, on the code.
NATIONAL_FIELDS = [
    ("YXDM", "院校代码", "school_code", 5, True, "", "", "*", ""),
    ("YXMC", "院校名称", "school_name", 40, False, "", "", "*", ""),
    ("YXLSBMDM", "院校隶属部门代码", "authority_code", 3, False, "", "", "*", ""),
    ("YXLSBM", "院校隶属部门", "authority_name", 40, False, "", "", "*", ""),
    ("XH", "学号", "student_number", 20, False, "", "", "*", ""),
    ("KSH", "考生号", "exam_number", 18, False, "", "", "*", ""),
    ("XM", "姓名", "name", 40, False, "", "", "*", ""),
    ("SFZH", "身份证号", "national_id", 18, True, "", "", "*", ""),
    ("XBDM", "性别代码", "gender", 1, True, "gender", "", "*", ""),
    ("CSRQ", "出生日期", "birth_date", 8, True, "", "%Y%m%d", "*", ""),
    ("MZDM", "民族代码", "ethnicity", 2, True, "ethnicity", "", "*", ""),
    ("ZZMMDM", "政治面貌代码", "political_status", 2, True, "political", "", "*", ""),
    ("XLDM", "学历代码", "education_level", 2, True, "education", "", "*", ""),
    ("ZYDM", "专业代码", "major_code", 8, False, "", "", "*", ""),
    ("ZYMC", "专业名称", "major_name", 60, False, "", "", "*", ""),
    ("PYFSDM", "培养方式代码", "training_mode", 1, True, "training_mode", "", "*", ""),
    ("XXXS", "学习形式", "study_form", 10, False, "", "", "", ""),
    ("SYSZDDM", "生源所在地代码", "origin_region_code", 6, True, "region", "", "*", ""),
    ("SYSZD", "生源所在地", "origin_region_name", 60, False, "", "", "*", ""),
    ("CXSY", "城乡生源", "urban_rural", 10, False, "", "", "", ""),
    ("RXNY", "入学年月", "enrolled_on", 6, True, "", "%Y%m", "", ""),
    ("BYRQ", "毕业日期", "graduation_date", 8, True, "", "%Y%m%d", "", ""),
    ("BYQXDM", "毕业去向代码", "category_code", 3, False, "category", "", "*", ""),
    ("BYQX", "毕业去向", "category_name", 40, False, "", "", "", ""),
    ("QYRQ", "签约日期", "signed_on", 8, True, "", "%Y%m%d", REQ_EMPLOYER, ""),
    ("DWMC", "单位名称", "org_name", 100, False, "", "", REQ_NAMED_UNIT, ""),
    ("TYSHXYDM", "统一社会信用代码", "org_uscc", 18, True, "", "", REQ_EMPLOYER, ""),
    ("DWXZDM", "单位性质代码", "org_nature_code", 2, True, "org_nature", "", REQ_EMPLOYER, ""),
    ("DWXZ", "单位性质", "org_nature_name", 40, False, "", "", "", ""),
    ("DWHYDM", "单位行业代码", "org_industry_code", 2, False, "industry", "", REQ_EMPLOYER, ""),
    ("DWHY", "单位行业", "org_industry_name", 60, False, "", "", "", ""),
    ("DWSZDDM", "单位所在地代码", "org_region_code", 6, True, "region", "", REQ_EMPLOYER, ""),
    ("DWSZD", "单位所在地", "org_region_name", 60, False, "", "", "", ""),
    ("DWDZ", "单位地址", "org_address", 100, False, "", "", "", ""),
    ("GZZWLBDM", "工作职位类别代码", "job_category_code", 2, True, "job_category", "", REQ_EMPLOYER, ""),
    ("GZZWLB", "工作职位类别", "job_category_name", 40, False, "", "", "", ""),
    ("LXGJDQ", "留学国家（地区）", "abroad_country", 40, False, "", "", REQ_ABROAD, ""),
    ("LXYXZWMC", "留学院校中文名称", "abroad_school", 100, False, "", "", REQ_ABROAD, ""),
    ("LXYXWWMC", "留学院校外文名称", "abroad_school_original", 200, False, "", "", REQ_ABROAD, ""),
    ("LXZYZWMC", "留学专业中文名称", "abroad_programme", 100, False, "", "", REQ_ABROAD, ""),
    ("LXZYWWMC", "留学专业外文名称", "abroad_programme_original", 200, False, "", "", "", ""),
]

# The provincial profile: the national fields with dashed dates, then the archive and Shanghai fields.
_DASHED = {"%Y%m%d": "%Y-%m-%d", "%Y%m": "%Y-%m"}
_DASHED_WIDTH = {"%Y%m%d": 10, "%Y%m": 7}
PROVINCIAL_EXTRA = [
    ("DWDJH", "单位信息登记号", "org_shanghai_reg_no", 20, False, "", "", "", ""),
    ("DAZJDWMC", "档案转寄单位名称", "archive_unit", 100, False, "", "", REQ_EMPLOYER, ""),
    ("DAZJDWDZ", "档案转寄单位地址", "archive_address", 100, False, "", "", REQ_EMPLOYER, ""),
    ("DAZJDWYB", "档案转寄单位邮编", "archive_postcode", 6, True, "", "", REQ_EMPLOYER, ""),
]


def provincial_fields():
    out = []
    for code, name, source, width, fixed, table, fmt, req, fixer in NATIONAL_FIELDS:
        if fmt:
            width, fmt = _DASHED_WIDTH[fmt], _DASHED[fmt]
        out.append((code, name, source, width, fixed, table, fmt, req, fixer))
    return out + PROVINCIAL_EXTRA


GENDER = [("男", "1"), ("女", "2")]  # GB/T 2261.1-2003

# GB/T 3304-1991 (names as in the standard after the 1986/1987 renames: 毛南族, 德昂族).
ETHNICITY = [
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族",
    "满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族",
    "佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族",
    "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族", "阿昌族", "普米族",
    "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族", "保安族", "裕固族", "京族", "塔塔尔族",
    "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
]
ETHNICITY_CODES = [(name, f"{i:02d}") for i, name in enumerate(ETHNICITY, start=1)] + [
    ("毛难族", "36"), ("崩龙族", "46"),  # the names before the renames, still seen in old rosters
    ("其他", "97"), ("外国血统中国籍人士", "98"),
]

# GB/T 4762-1984 (short forms as schools write them; the standard's full names map to the same codes).
POLITICAL = [
    ("中共党员", "01"), ("中国共产党党员", "01"), ("中共预备党员", "02"), ("中国共产党预备党员", "02"),
    ("共青团员", "03"), ("中国共产主义青年团团员", "03"), ("民革党员", "04"), ("民革会员", "04"),
    ("民盟盟员", "05"), ("民建会员", "06"), ("民进会员", "07"), ("农工党党员", "08"), ("致公党党员", "09"),
    ("九三学社社员", "10"), ("台盟盟员", "11"), ("无党派人士", "12"), ("无党派民主人士", "12"), ("群众", "13"),
]

# 学历代码 of the employment system: NOT confirmed by a public source (see docs/decisions.md).
EDUCATION = [("博士", "01"), ("硕士", "11"), ("本科", "31")]
# 培养方式代码: NOT confirmed by a public source (see docs/decisions.md).
TRAINING_MODE = [("非定向", "1"), ("定向", "2"), ("委培", "3"), ("自筹", "4")]

CODES = {"gender": GENDER, "ethnicity": ETHNICITY_CODES, "political": POLITICAL, "education": EDUCATION,
         "training_mode": TRAINING_MODE}

NATIONAL_NOTES = (
    "全国高校毕业生毕业去向登记系统导入格式（本校整理）。第一行为字段代码，中文名称见“说明”工作表；"
    "所有单元格为文本，代码保留前导零（民族代码 01）。日期 YYYYMMDD，入学年月 YYYYMM。"
    "依据与取舍见 docs/decisions.md“Export profiles (issue 14)”；学历代码、培养方式代码等未经公开资料确认，"
    "首次上报前请与上报系统的代码表核对。"
)
PROVINCIAL_NOTES = (
    "省级就业系统格式（由国家格式派生，供本校按省里的模板调整）：第一行字段代码、第二行中文名称；"
    "日期写作 YYYY-MM-DD；另含单位信息登记号（上海单位）和档案转寄信息。"
)


def _create(apps, *, key, name, header_mode, notes, fields):
    ExportProfile = apps.get_model("reports", "ExportProfile")
    ProfileField = apps.get_model("reports", "ProfileField")
    ProfileCode = apps.get_model("reports", "ProfileCode")
    profile, created = ExportProfile.objects.get_or_create(
        key=key, year=YEAR, version=1,
        defaults={"name": name, "header_mode": header_mode, "notes": notes, "sheet_title": "毕业生"},
    )
    if not created:
        return
    ProfileField.objects.bulk_create([
        ProfileField(profile=profile, position=i, code=code, name=cname, source=source, width=width,
                     fixed_width=fixed, code_table=table, date_format=fmt, required_for=req,
                     fixer=fixer or _default_fixer(source))
        for i, (code, cname, source, width, fixed, table, fmt, req, fixer) in enumerate(fields, start=1)
    ])
    ProfileCode.objects.bulk_create([
        ProfileCode(profile=profile, table=table, label=label, code=code)
        for table, rows in CODES.items() for label, code in rows
    ])


_OFFICE_SOURCES = {
    "school_code", "school_name", "authority_code", "authority_name", "student_number", "exam_number", "name",
    "national_id", "gender", "birth_date", "urban_rural", "education_level", "major_code", "major_name",
    "training_mode", "study_form", "origin_region_code", "origin_region_name", "enrolled_on", "graduation_date",
}
_COUNSELOR_SOURCES = {"ethnicity", "political_status"}


def _default_fixer(source):
    if source in _OFFICE_SOURCES:
        return "office"
    if source in _COUNSELOR_SOURCES:
        return "counselor"
    return "student"


def seed(apps, schema_editor):
    _create(apps, key="national", name="全国高校毕业生毕业去向登记", header_mode="notes_sheet",
            notes=NATIONAL_NOTES, fields=NATIONAL_FIELDS)
    _create(apps, key="provincial", name="省级就业系统（可调整）", header_mode="two_rows",
            notes=PROVINCIAL_NOTES, fields=provincial_fields())


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_profiles")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
