"""The columns of the roster file: one list shared by the template download, the reader and the help sheet.

Headers are matched by name (order does not matter, extra columns are ignored). A column that is absent
from an uploaded file leaves that field of existing students untouched; a column that is present but
empty clears an optional field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool
    text: bool  # formatted as text in the template (IDs and codes keep leading zeros and all 18 digits)
    width: int
    help: str
    example: str


# The example row of the template: its name ends with EXAMPLE_MARK, and rows marked so are skipped.
EXAMPLE_MARK = "（示例）"

COLUMNS: list[Column] = [
    Column("student_number", "学号", True, True, 14, "学号，同时作为学生的登录用户名；按学号判断新增或更新。", "2023010001"),
    Column("name", "姓名", True, False, 10, "学生姓名。", "张三" + EXAMPLE_MARK),
    Column("gender", "性别", True, False, 6, "填“男”或“女”，须与身份证号第 17 位一致。", "男"),
    Column("national_id", "身份证号", True, True, 21,
           "18 位居民身份证号，最后一位可为 X（大小写均可）；请设置为文本格式，数字格式会丢失后 3 位。"
           "新学生的初始密码为身份证号后若干位。", ""),
    Column("education_level", "学历层次", True, False, 8, "填“本科”“硕士”或“博士”。", "本科"),
    Column("college", "学院", True, False, 22, "学院全称，须与系统中的学院名称一致（见“专业代码表”）。", ""),
    Column("major_code", "专业代码", True, True, 10, "专业代码，与学历层次一起确定专业（见“专业代码表”）。", ""),
    Column("major_name", "专业名称", False, False, 22, "仅供核对，以专业代码为准。", ""),
    Column("class_name", "班级", True, False, 14, "班级名称；系统中没有的班级会自动创建，归入该行的专业。", "机设2301"),
    Column("counselor", "辅导员工号", False, True, 12,
           "辅导员的登录用户名（工号），须为辅导员账号；填写后该辅导员负责此班级。可留空。", ""),
    Column("origin_region", "生源地代码", True, True, 11, "6 位行政区划代码（GB/T 2260，县级优先），如 330114。", "330114"),
    Column("graduation_year", "毕业年份", True, True, 9, "4 位年份，如 2027。", "2027"),
    Column("phone", "手机号", False, True, 13, "11 位手机号，可留空。", "13800138000"),
    Column("email", "电子邮箱", False, False, 26, "可留空。", "zhangsan@stu.example.edu.cn"),
    Column("exam_number", "考生号", False, True, 16, "高考或研究生入学考试考生号，可留空。", "23330114150001"),
    Column("ethnicity", "民族", False, False, 8, "如“汉族”，可留空。", "汉族"),
    Column("political_status", "政治面貌", False, False, 12, "如“共青团员”“中共党员”“群众”，可留空。", "共青团员"),
    Column("urban_rural", "城乡生源", False, False, 9, "如“城镇”“农村”，可留空。", "城镇"),
    Column("enrolled_on", "入学年月", False, True, 10,
           "如 2023-09 或 2023/9，也可为 Excel 日期；只填年月时按当月 1 日记录。", "2023-09"),
    Column("graduation_date", "毕业日期", False, True, 11,
           "如 2027-06-30，也可为 Excel 日期；只填年月时按当月 1 日记录。", "2027-06-30"),
    Column("training_mode", "培养方式", False, False, 10, "如“非定向”“定向”，可留空。", "非定向"),
    Column("study_form", "学习形式", False, False, 10, "如“全日制”“非全日制”，可留空。", "全日制"),
]

BY_KEY = {c.key: c for c in COLUMNS}
BY_HEADER = {c.header: c for c in COLUMNS}
REQUIRED_KEYS = [c.key for c in COLUMNS if c.required]

# Optional text fields of Student and their maximum lengths (the model's max_length).
OPTIONAL_TEXT_FIELDS = {
    "exam_number": 20,
    "ethnicity": 20,
    "political_status": 20,
    "urban_rural": 10,
    "training_mode": 20,
    "study_form": 20,
}
