"""A full registration for every type of the student manual, at desktop and at phone width.

Each test logs a fresh demo student in with 身份证后六位, does the forced password change, walks the wizard
(类型 → 单位 → 佐证 → 档案 → 提交) the way the manual describes it and ends on the status page with 待鉴证
and exactly one 提交 in 办理记录. At 375 px every page is checked for sideways scrolling."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from quxiang.e2e.conftest import StudentUI, valid_uscc

pytestmark = pytest.mark.browser

ALL_STEPS = ["去向类型", "单位信息", "佐证材料", "档案信息", "确认提交"]


def begin(ui: StudentUI, type_key: str, *, lowercase_x: bool = False) -> None:
    ui.first_login(lowercase_x=lowercase_x)
    ui.start()
    assert ui.step_labels() == ALL_STEPS  # no type chosen yet: every step is shown
    ui.choose_type(type_key)


def employer_fields(**overrides: str) -> dict[str, str]:
    values = {
        "org_address": "下沙街道学源街 118 号 2 幢 1201 室", "org_postcode": "310018", "org_contact_name": "李明",
        "org_contact_phone": "13812345678", "job_category": "13", "signed_on": "2027-04-15",
        "org_nature": "39", "org_industry": "I",
    }
    values.update(overrides)
    return values


def field_error(ui: StudentUI, name: str):
    return ui.page.locator(".field.has-error", has=ui.page.locator(f"#id_{name}"))


def finish_employer_evidence_archive(ui: StudentUI, evidence, *, archive: str = "match_origin") -> None:
    ui.on_step("evidence")
    expect(ui.button("next")).to_be_disabled()
    for path in evidence:
        assert "已上传" in ui.upload(path)
    expect(ui.button("next")).to_be_enabled()
    ui.next()
    ui.on_step("archive")
    ui.archive_fill(archive)
    ui.next()


# --- 派遣（签订就业协议书） ---------------------------------------------------------------------


def test_dispatch_general_shanghai_employer_via_lookup(open_student, e2e_server, files):
    """一般单位录用 with a Shanghai employer from the directory: 检索匹配 fills the form, 登记号 is required."""
    ui = open_student(shanghai=True, screenshots=True)
    org = e2e_server.directory_organisation(shanghai=True)
    begin(ui, "dispatch_general")
    ui.on_step("organisation")
    assert ui.step_labels() == ALL_STEPS

    ui.lookup(" " + org["uscc"].lower() + " ")  # case and spaces do not matter
    assert f"已匹配到单位：{org['name']}" in ui.messages()
    assert ui.values("org_uscc", "org_name", "org_shanghai_reg_no", "org_region", "org_address", "org_postcode",
                     "org_contact_name", "org_contact_phone") == {
        "org_uscc": org["uscc"], "org_name": org["name"], "org_shanghai_reg_no": org["shanghai_reg_no"],
        "org_region": org["region"], "org_address": org["address"], "org_postcode": org["postcode"],
        "org_contact_name": org["contact_name"], "org_contact_phone": org["contact_phone"],
    }
    assert ui.page.locator("#id_org_nature").input_value() == org["nature"]
    # The cascading selects show the directory's region (Shanghai districts sit directly under 上海市).
    assert ui.page.locator(".rp-province").input_value() == "310000"
    assert ui.page.locator(".rp-city").input_value() == org["region"]
    ui.shot("organisation-lookup")

    # A Shanghai employer needs its 单位信息登记号.
    ui.fill({"org_shanghai_reg_no": "", "job_category": "13", "signed_on": "2027-03-01"})
    ui.next()
    ui.on_step("organisation")
    expect(field_error(ui, "org_shanghai_reg_no")).to_contain_text("上海单位必须填写单位信息登记号")
    assert ui.values("org_name", "org_region", "job_category", "signed_on") == {
        "org_name": org["name"], "org_region": org["region"], "job_category": "13", "signed_on": "2027-03-01",
    }
    ui.fill({"org_shanghai_reg_no": "12345"})
    ui.next()
    expect(field_error(ui, "org_shanghai_reg_no")).to_contain_text("单位信息登记号格式不正确")
    ui.fill({"org_shanghai_reg_no": org["shanghai_reg_no"]})
    ui.next()

    ui.on_step("evidence")
    expect(ui.button("next")).to_be_disabled()
    ui.shot("evidence-empty")
    assert "已上传：电子协议书.pdf" in ui.upload(files.pdf("电子协议书.pdf"))
    ui.shot("evidence")
    ui.next()

    ui.on_step("archive")
    ui.archive_fill("copy_org")
    assert ui.page.locator("#id_origin_authority_name").input_value() == "上海市学生事务中心"
    assert ui.values("archive_unit", "archive_postcode") == {"archive_unit": org["name"], "archive_postcode": org["postcode"]}
    ui.shot("archive")
    ui.next()

    ui.on_step("review")
    summary = ui.page.locator("dl.summary")
    for text in (org["name"], org["uscc"], org["shanghai_reg_no"], "上海市", "电子协议书.pdf", "转至签约单位",
                 "派遣（签订就业协议书） - 一般单位录用"):
        expect(summary).to_contain_text(text)
    ui.submit()
    ui.assert_submitted()


def test_dispatch_startup_own_company_typed_by_hand(open_student, files):
    """自主创业: the student's own company, not in the directory, outside Shanghai (no 登记号 needed)."""
    ui = open_student(shanghai=False)
    begin(ui, "dispatch_startup")
    ui.on_step("organisation")
    uscc = valid_uscc("330114", "MA2H7Q001")
    ui.fill({"org_uscc": uscc, "org_name": "杭州启明星创科技有限公司", **employer_fields()})
    ui.select_region("330000", "330100", "330114")
    ui.next()
    finish_employer_evidence_archive(ui, [files.pdf("与本人创办公司签订的协议书.pdf")])
    ui.on_step("review")
    expect(ui.page.locator("dl.summary")).to_contain_text("浙江省杭州市钱塘区")
    expect(ui.page.locator("dl.summary")).to_contain_text(uscc)
    ui.submit()
    ui.assert_submitted()


def test_dispatch_military(open_student, files):
    """部队录用: 单位性质 is fixed to 40 部队 by the type; evidence is the enlistment notice (JPEG)."""
    ui = open_student(shanghai=False)
    begin(ui, "dispatch_military")
    ui.on_step("organisation")
    assert ui.page.locator("#id_org_nature").input_value() == "40"
    ui.fill({
        "org_uscc": valid_uscc("320115", "MB0J12345", kind="11"), "org_name": "中国人民解放军某部",
        **employer_fields(org_nature="40", org_industry="JD", job_category="80", org_address="江宁区将军大道 1 号",
                          org_postcode="211100", org_contact_name="张干事", org_contact_phone="025-84561234"),
    })
    ui.select_region("320000", "320100", "320115")
    ui.next()
    finish_employer_evidence_archive(ui, [files.jpeg("入伍通知书.jpg")])
    ui.on_step("review")
    expect(ui.page.locator("dl.summary")).to_contain_text("部队")
    ui.submit()
    ui.assert_submitted()


def test_dispatch_civil_service_shanghai_typed_by_hand(open_student, files):
    """公务员录用 in Shanghai, typed by hand: 单位性质 10 机关 preset, 登记号 typed, archive to the employer."""
    ui = open_student(shanghai=True)
    begin(ui, "dispatch_civil_service")
    ui.on_step("organisation")
    assert ui.page.locator("#id_org_nature").input_value() == "10"
    ui.fill({
        "org_uscc": valid_uscc("310104", "MB2C00451", kind="11"), "org_name": "上海市徐汇区示范街道办事处",
        "org_shanghai_reg_no": "3100123",
        **employer_fields(org_nature="10", org_industry="S", job_category="10", org_address="漕溪北路 336 号",
                          org_postcode="200030", org_contact_name="周科长", org_contact_phone="021-64871234"),
    })
    ui.select_region("310000", "310104")
    ui.next()
    finish_employer_evidence_archive(ui, [files.pdf("录用公函.pdf")], archive="copy_org")
    ui.on_step("review")
    expect(ui.page.locator("dl.summary")).to_contain_text("3100123")
    expect(ui.page.locator("dl.summary")).to_contain_text("机关")
    ui.submit()
    ui.assert_submitted()


# --- 国内升学 ------------------------------------------------------------------------------------


def test_study_master_school_typed_by_hand_archive_by_letter(open_student, files):
    """考研: only the admitting school (name, USCC, region); archive as the 调档函 says (其他)."""
    ui = open_student(shanghai=False)
    begin(ui, "study_master")
    ui.on_step("organisation")
    expect(ui.page.locator("h1")).to_contain_text("录取学校信息")
    for absent in ("job_category", "org_shanghai_reg_no", "org_contact_phone", "signed_on"):
        assert ui.page.locator(f"#id_{absent}").count() == 0, absent
    ui.next()  # nothing filled: the required school fields are flagged
    ui.on_step("organisation")
    expect(field_error(ui, "org_name")).to_be_visible()
    ui.fill({"org_uscc": valid_uscc("420111", "MB0100002", kind="12"), "org_name": "华中示范大学"})
    ui.select_region("420000", "420100", "420111")
    ui.next()

    ui.on_step("evidence")
    ui.upload(files.pdf("调档政审函.pdf"))
    ui.next()
    ui.on_step("archive")
    expect(ui.page.get_by_role("button", name="与签约单位相同")).to_have_count(0)  # no employer to copy
    ui.click_nav(ui.button("match_authority"))
    ui.page.locator("input[name=archive_destination][value=other]").check()
    ui.fill({"archive_unit": "华中示范大学研究生院", "archive_address": "湖北省武汉市洪山区珞喻路 1037 号",
             "archive_postcode": "430074", "archive_contact": "招生办", "archive_phone": "027-87541234"})
    ui.next()
    ui.on_step("review")
    summary = ui.page.locator("dl.summary")
    for text in ("录取学校", "华中示范大学", "华中示范大学研究生院", "其他（按调档函等填写）"):
        expect(summary).to_contain_text(text)
    ui.submit()
    ui.assert_submitted()


def test_study_second_degree_school_via_lookup(open_student, e2e_server, files):
    """考双: the admitting school found by 检索匹配 in the directory."""
    ui = open_student(shanghai=False)
    school = e2e_server.directory_organisation(shanghai=True, nature="21")
    begin(ui, "study_second_degree")
    ui.on_step("organisation")
    ui.lookup(school["uscc"])
    assert ui.values("org_name", "org_region") == {"org_name": school["name"], "org_region": school["region"]}
    ui.next()
    finish_employer_evidence_archive(ui, [files.png("调档政审函.png")])
    ui.on_step("review")
    expect(ui.page.locator("dl.summary")).to_contain_text(school["name"])
    ui.submit()
    ui.assert_submitted()


# --- 出国（深造或工作） ---------------------------------------------------------------------------


def test_abroad_study_student_with_x_in_id(open_student, files):
    """出国深造, by a student whose ID ends in X (logs in with a lower-case x): region 境外, country from a list."""
    ui = open_student(id_ends_x=True)
    begin(ui, "abroad_study", lowercase_x=True)
    ui.on_step("organisation")
    expect(ui.page.locator(".static-value")).to_have_text("境外")
    assert ui.page.locator(".region-picker").count() == 0
    expect(ui.page.locator("label[for=id_programme]")).to_have_text("就读专业")
    ui.fill({"abroad_country": "GB", "org_name": "伦敦示范大学", "abroad_name_original": "University of Example, London",
             "programme": "计算机科学（理学硕士）", "programme_original": "MSc Computer Science",
             "signed_on": "2027-02-20"})
    ui.next()
    finish_employer_evidence_archive(ui, [files.png("录取Offer.png")])
    ui.on_step("review")
    summary = ui.page.locator("dl.summary")
    for text in ("境外 · 英国", "伦敦示范大学（University of Example, London）", "MSc Computer Science"):
        expect(summary).to_contain_text(text)
    ui.submit()
    ui.assert_submitted()


def test_abroad_work_hong_kong(open_student, files):
    """出国工作 in 中国香港 (listed under 境外 as a region of China, never as a country)."""
    ui = open_student(shanghai=False)
    begin(ui, "abroad_work")
    ui.on_step("organisation")
    country = ui.page.locator("#id_abroad_country")
    expect(country.locator("option[value=HK]")).to_have_text("中国香港")
    expect(country.locator("option[value=TW]")).to_have_text("中国台湾")
    expect(country.locator("option[value=KR]")).to_have_text("韩国")
    expect(ui.page.locator("label[for=id_programme]")).to_have_text("工作岗位")
    ui.fill({"abroad_country": "HK", "org_name": "香港示范金融集团", "abroad_name_original": "Example Financial Group Ltd.",
             "programme": "数据分析师", "programme_original": "Data Analyst"})
    ui.next()
    finish_employer_evidence_archive(ui, [files.pdf("工作签证.pdf")])
    ui.on_step("review")
    expect(ui.page.locator("dl.summary")).to_contain_text("境外 · 中国香港")
    ui.submit()
    ui.assert_submitted()


# --- 直接签订劳动合同就业 / 灵活就业 --------------------------------------------------------------


def test_labour_contract_two_scans(open_student, files):
    """直接签订劳动合同就业: contract scan, first page and signature page as two files."""
    ui = open_student(shanghai=False)
    begin(ui, "labour_contract")
    ui.on_step("organisation")
    ui.fill({"org_uscc": valid_uscc("440305", "MA5D3K0R8"), "org_name": "深圳示范云计算有限公司",
             **employer_fields(org_address="粤海街道科苑路 15 号", org_postcode="518057",
                               org_contact_phone="0755-86012345")})
    ui.select_region("440000", "440300", "440305")
    ui.next()
    finish_employer_evidence_archive(ui, [files.png("劳动合同第一页.png"), files.jpeg("劳动合同签字页.jpg")])
    ui.on_step("review")
    summary = ui.page.locator("dl.summary")
    expect(summary).to_contain_text("劳动合同第一页.png")
    expect(summary).to_contain_text("劳动合同签字页.jpg")
    ui.submit()
    ui.assert_submitted()


def test_flexible_other_employment(open_student, files):
    """灵活就业 – 其他录用形式就业: an employer without agreement or contract; evidence is the 登记表."""
    ui = open_student(shanghai=False)
    begin(ui, "flexible_other")
    ui.on_step("organisation")
    ui.fill({"org_uscc": valid_uscc("510107", "MA6C1W8N3"), "org_name": "成都示范文化传媒工作室",
             **employer_fields(org_industry="R", job_category="25", org_address="武侯区人民南路四段 11 号",
                               org_postcode="610041", org_contact_phone="028-85001234")})
    ui.select_region("510000", "510100", "510107")
    ui.next()
    finish_employer_evidence_archive(ui, [files.pdf("灵活就业登记表.pdf")])
    ui.submit()
    ui.assert_submitted()


def test_flexible_freelance_has_no_organisation_step(open_student, files):
    """灵活就业 – 自由职业: no organisation step; 类型 → 佐证 → 档案 → 提交."""
    ui = open_student(shanghai=True)
    begin(ui, "flexible_freelance")
    ui.on_step("evidence")
    assert ui.step_labels() == ["去向类型", "佐证材料", "档案信息", "确认提交"]
    ui.upload(files.pdf("灵活就业登记表.pdf"))
    ui.next()
    ui.on_step("archive")
    expect(ui.page.get_by_role("button", name="与签约单位相同")).to_have_count(0)
    ui.archive_fill("match_origin")
    ui.next()
    ui.submit()
    ui.assert_submitted()


def test_not_placed_goes_straight_to_review(open_student):
    """待就业 – 求职中: no organisation, evidence or archive; 类型 → 确认提交."""
    ui = open_student(shanghai=False)
    begin(ui, "awaiting_job_hunting")
    ui.on_step("review")
    assert ui.step_labels() == ["去向类型", "确认提交"]
    expect(ui.page.locator("dl.summary")).to_contain_text("求职中")
    ui.submit()
    ui.assert_submitted()


# --- 研究生 ---------------------------------------------------------------------------------------


def test_postgraduate_skips_archive_step(open_student, e2e_server, files, viewport):
    """硕士 (desktop) / 博士 (phone): 研究生不填写档案信息 — evidence leads straight to 确认提交."""
    level = "master" if viewport == "desktop" else "doctor"
    ui = open_student(level=level)
    org = e2e_server.directory_organisation(shanghai=False, nature="39")
    begin(ui, "dispatch_general")
    ui.on_step("organisation")
    assert ui.step_labels() == ["去向类型", "单位信息", "佐证材料", "确认提交"]
    ui.lookup(org["uscc"])
    assert ui.page.locator("#id_org_name").input_value() == org["name"]
    ui.fill({"job_category": "11", "signed_on": "2027-05-06"})
    ui.next()
    ui.on_step("evidence")
    # The archive step does not exist for this record: asking for it lands on the first open step.
    ui.goto("/registration/step/archive/")
    ui.on_step("evidence")
    ui.upload(files.pdf())
    ui.next()
    ui.on_step("review")
    assert ui.step_labels() == ["去向类型", "单位信息", "佐证材料", "确认提交"]
    expect(ui.page.locator("dl.summary")).not_to_contain_text("档案接收单位")
    expect(ui.page.locator("dl.summary")).to_contain_text("硕士" if level == "master" else "博士")
    ui.submit()
    ui.assert_submitted()
