"""Key fields found in evidence text (issue 12): typing variants, table layouts, and the USCC check digit."""

import pytest

from quxiang.evidence.fields import evidence_fields_extract, org_name_normalise, uscc_is_valid
from quxiang.evidence.selectors import org_names_match

VALID = "91310000MA1FL0A12N"  # check digit N (GB 32100-2015)
WRONG_CHECK = "91310000MA1FL0A12X"


def fields(text):
    return evidence_fields_extract(text=text)


@pytest.mark.parametrize("line", [
    "甲方（用人单位）：上海示范科技有限公司",
    "甲方(用人单位):上海示范科技有限公司",
    "甲方 （用人单位） ： 上海示范科技有限公司",
    "甲方：上海示范科技有限公司（盖章）",
    "用人单位名称：上海示范科技有限公司  法定代表人：李四",
    "单位名称 上海示范科技有限公司 地址：上海市浦东新区",
    "招聘单位：上海示范科技有限公司",
])
def test_organisation_after_its_label_in_every_typing_variant(line):
    assert fields(line).orgs == ["上海示范科技有限公司"]


def test_full_width_spaces_and_letters_are_folded():
    assert fields("单位名称：\u3000ＡＢＣ（上海）科技有限公司").orgs == ["ABC(上海)科技有限公司"]


def test_a_label_alone_in_its_table_cell_takes_the_next_line():
    f = fields("单位名称\n北京 某某科技(集团)股份有限公司\n乙方（毕业生）\n王小明")
    assert f.orgs == ["北京某某科技(集团)股份有限公司"]
    assert f.persons == ["王小明"]


def test_admitting_school():
    assert fields("录取学校：复旦大学").orgs == ["复旦大学"]


def test_words_that_only_start_with_a_label_are_not_fields():
    f = fields("全国普通高等学校毕业生就业协议书\n甲方同意接收乙方\n乙方签字：")
    assert f.orgs == [] and f.persons == []


@pytest.mark.parametrize(("line", "name"), [
    ("乙方（毕业生）：张三", "张三"),
    ("姓名:张 三", "张三"),
    ("学生姓名：欧阳娜娜  学号：2023001", "欧阳娜娜"),
    ("乙方：买买提·艾力", "买买提·艾力"),
    ("乙方：张三 签订日期：2027年3月1日", "张三"),
])
def test_person_names(line, name):
    assert fields(line).persons == [name]


def test_check_digit_filter():
    assert uscc_is_valid(VALID)
    assert not uscc_is_valid(WRONG_CHECK)
    assert not uscc_is_valid("91310000MA1FL0A1")  # 16 characters
    assert not uscc_is_valid("91ABCDEFMA1FL0A12N")  # letters where the region code goes


def test_only_codes_with_a_valid_check_digit_are_found():
    f = fields(f"统一社会信用代码：{WRONG_CHECK}\n代码 {VALID}")
    assert f.usccs == [VALID]


@pytest.mark.parametrize("written", [
    "9131 0000 MA1F L0A1 2N",  # spaced out as printed on some licences
    "９１３１００００ＭＡ１ＦＬ０Ａ１２Ｎ",  # full-width, typed with a Chinese IME
    "91310000ma1fl0a12n",
])
def test_uscc_typing_variants(written):
    assert fields(f"统一社会信用代码：{written}").usccs == [VALID]


def test_dates_in_the_usual_forms_and_impossible_ones_dropped():
    f = fields("签订日期：2027年3月1日\n2027-03-02 2027/3/3 2027.03.04\n2027-13-01 2027年2月30日")
    assert f.dates == ["2027-03-01", "2027-03-02", "2027-03-03", "2027-03-04"]


@pytest.mark.parametrize(("typed", "found"), [
    ("上海示范科技有限公司", "上海示范科技有限责任公司"),
    ("上海示范科技股份有限公司", "上海示范科技有限公司"),
    ("上海 示范科技（集团）有限公司", "上海示范科技(集团)有限公司"),
    ("上海示范科技有限公司", "上海示范科枝有限公司"),  # one character misread by OCR
])
def test_organisation_names_that_are_the_same(typed, found):
    assert org_names_match(typed, found)


@pytest.mark.parametrize(("typed", "found"), [
    ("上海示范科技有限公司", "北京远方物流有限公司"),
    ("上海示范科技有限公司", "上海东方电子有限公司"),
])
def test_organisation_names_that_differ(typed, found):
    assert not org_names_match(typed, found)


def test_normalised_name_drops_legal_form_brackets_and_spaces():
    assert org_name_normalise("上海 示范科技（集团）有限责任公司") == org_name_normalise("上海示范科技(集团)有限公司")


def test_a_table_row_read_as_one_line_gives_the_value_not_the_field_label():
    # OCR of a printed agreement's table: party, field label and value on one line.
    found = fields("甲方 单位名称 上海示范科技有限公司\n统一社会信用代码 91310000MA1FL0A12N\n乙方 姓名 李明华\n学号 2390000101")
    assert found.orgs == ["上海示范科技有限公司"] and found.persons == ["李明华"]
    assert fields("甲方 用人单位名称 上海示范科技有限公司").orgs == ["上海示范科技有限公司"]
    assert fields("考生 考生姓名 王小红").persons == ["王小红"]


def test_abbreviation_of_an_organisation_name():
    from quxiang.evidence.fields import org_name_abbreviates

    assert org_name_abbreviates("中国移动崇明分公司", "中国移动通信集团上海有限公司崇明分公司")
    assert not org_name_abbreviates("中国移动通信集团上海有限公司崇明分公司", "中国移动崇明分公司")  # the short one first
    assert not org_name_abbreviates("上海浦江物流有限公司", "上海申联智能科技有限公司")
    assert not org_name_abbreviates("移动崇明分公司", "中国移动通信集团上海有限公司崇明分公司")  # another start


def test_a_bank_branch_keeps_its_branch():
    # The name ends with the last ending it has: 分行 / 支行 after the bank's own 股份有限公司.
    assert fields("甲方（用人单位）：中国建设银行股份有限公司上海分行").orgs == ["中国建设银行股份有限公司上海分行"]
    assert fields("单位名称 招商银行股份有限公司上海浦东支行 地址：").orgs == ["招商银行股份有限公司上海浦东支行"]
