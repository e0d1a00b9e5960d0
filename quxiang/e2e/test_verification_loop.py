"""The whole loop of 鉴证 in real Chromium: the student submits, the counselor returns it with a reason,
the student sees the reason, fixes and resubmits, the counselor verifies, and the registration sheet
downloads; its text holds the record and its QR code opens the public page, which confirms it."""

from __future__ import annotations

import io
from urllib.parse import urlparse

import pytest
import zxingcpp
from playwright.sync_api import expect
from pypdf import PdfReader

from quxiang.e2e.conftest import DEFAULT_TIMEOUT_MS, VIEWPORTS, StudentUI, valid_uscc

pytestmark = pytest.mark.browser

STAFF_PASSWORD = "Quxiang2026!"
REASON = "协议书第一联单位地址与填写不一致，请核对后重新提交"


def counselor_of(server, ui: StudentUI) -> str:
    return server.db.scalar(
        "SELECT u.username FROM roster_student s "
        "JOIN roster_schoolclass_counselors c ON c.schoolclass_id = s.school_class_id "
        "JOIN accounts_user u ON u.id = c.user_id WHERE s.student_number = %s ORDER BY u.username LIMIT 1",
        (ui.student.student_number,),
    )


def staff_page(browser, server, username: str, viewport: str):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **VIEWPORTS[viewport])
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    page.goto(server.url("/accounts/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", STAFF_PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit].primary")
    return context, page


def open_record(page, server, student_number: str) -> None:
    page.goto(server.url("/staff/?status=submitted"))
    with page.expect_navigation():
        page.locator("#queue a", has_text=student_number).click()
    expect(page.locator("#registration-status")).to_have_text("待鉴证")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_submit_return_fix_resubmit_verify_sheet_and_public_check(open_student, e2e_server, e2e_browser, files,
                                                                  viewport):
    ui = open_student(shanghai=False)
    ui.first_login()
    ui.start()
    ui.choose_type("labour_contract")
    ui.on_step("organisation")
    uscc = valid_uscc("330106", "MA27X5K01")
    ui.fill({"org_uscc": uscc, "org_name": "杭州西溪数据服务有限公司", "org_address": "文三路 90 号",
             "org_postcode": "310012", "org_contact_name": "陈主管", "org_contact_phone": "0571-88886666",
             "job_category": "13", "signed_on": "2027-05-06", "org_nature": "39", "org_industry": "I"})
    ui.select_region("330000", "330100", "330106")
    ui.next()
    ui.on_step("evidence")
    assert "已上传" in ui.upload(files.pdf("劳动合同首页和签字页.pdf"))
    ui.next()
    if ui.student.is_undergraduate:
        ui.on_step("archive")
        ui.archive_fill("match_origin")
        ui.next()
    ui.submit()
    ui.assert_submitted()

    # The counselor returns it with a reason.
    context, staff = staff_page(e2e_browser, e2e_server, counselor_of(e2e_server, ui), viewport)
    open_record(staff, e2e_server, ui.student.student_number)
    expect(staff.locator("dl.summary")).to_contain_text("杭州西溪数据服务有限公司")
    staff.fill("#id_reason", REASON)
    with staff.expect_navigation():
        staff.click("#return-button")
    expect(staff.locator("#registration-status")).to_have_text("已退回")

    # The student sees the reason, fixes the address and resubmits.
    ui.goto("/registration/")
    expect(ui.page.locator("#return-reason")).to_contain_text(REASON)
    ui.check_layout("returned status")
    ui.click_nav("form[action='/registration/start/'] button")
    ui.on_step("review")
    ui.click_nav(ui.page.locator("ol.wizard-steps a", has_text="单位信息"))
    ui.on_step("organisation")
    ui.fill({"org_address": "文三路 90 号东部软件园 3 号楼"})
    ui.next()
    ui.on_step("evidence")
    ui.next()
    if ui.student.is_undergraduate:
        ui.on_step("archive")
        ui.next()
    ui.submit()
    expect(ui.page.locator("#registration-status")).to_have_text("待鉴证")
    assert sum(1 for t in ui.timeline() if t.endswith(" 提交")) == 2, ui.timeline()

    # The counselor verifies.
    open_record(staff, e2e_server, ui.student.student_number)
    expect(staff.locator("dl.summary")).to_contain_text("东部软件园")
    with staff.expect_navigation():
        staff.click("#verify-button")
    expect(staff.locator("#registration-status")).to_have_text("已鉴证")
    context.close()

    # The student downloads the sheet.
    ui.goto("/registration/")
    expect(ui.page.locator("#registration-status")).to_have_text("已鉴证")
    with ui.page.expect_download() as download_info:
        ui.page.click("#download-sheet")
    pdf = open(download_info.value.path(), "rb").read()
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    text = page.extract_text()
    number = e2e_server.db.scalar(
        "SELECT r.verification_no FROM registrations_registration r JOIN roster_student s ON s.id = r.student_id "
        "WHERE s.student_number = %s AND r.status = 'verified'", (ui.student.student_number,))
    for expected in (ui.student.student_number, ui.student.name, "杭州西溪数据服务有限公司", uscc, number,
                     "11 签劳动合同形式就业"):
        assert expected in text, expected
    assert ui.student.national_id not in text  # masked on paper too
    assert ui.student.national_id[:4] + "*" * 10 + ui.student.national_id[-4:] in text
    codes = [b.text for image in page.images for b in zxingcpp.read_barcodes(image.image)]
    assert len(codes) == 1 and urlparse(codes[0]).path == f"/verify/{number}/"

    # The QR code's page confirms the sheet; a tampered number finds nothing.
    ui.goto(urlparse(codes[0]).path)
    expect(ui.page.locator("#verify-result")).to_contain_text("核验通过")
    expect(ui.page.locator("dl.summary")).to_contain_text("杭州西溪数据服务有限公司")
    assert ui.student.student_number not in ui.page.content()
    ui.check_layout("public verification")
    tampered = number[:-1] + ("2" if number[-1] != "2" else "3")
    ui.goto(f"/verify/{tampered}/")
    expect(ui.page.locator("#verify-result")).to_contain_text("未找到")
