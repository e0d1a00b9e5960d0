"""What goes wrong in real use: leaving half-way, mistyped codes, wrong files, impatient double clicks.
Desktop and phone width each."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from quxiang.e2e.conftest import NEW_PASSWORD, StudentUI, valid_uscc, wrong_check_digit

pytestmark = pytest.mark.browser

ORG = {
    "org_name": "南京示范智能装备有限公司", "org_nature": "31", "org_industry": "C",
    "org_address": "江宁区秣陵街道将军大道 200 号", "org_postcode": "211100", "org_contact_name": "陈工",
    "org_contact_phone": "025-52101234", "job_category": "13", "signed_on": "2027-03-18",
}
ORG_USCC = valid_uscc("320115", "MA1N8T5K2")
REGION = ("320000", "320100", "320115")


def to_organisation(ui: StudentUI, type_key: str = "dispatch_general") -> None:
    ui.first_login()
    ui.start()
    ui.choose_type(type_key)
    ui.on_step("organisation")


def region_selects(ui: StudentUI) -> tuple[str, str, str]:
    picker = ui.page.locator(".region-picker")
    return tuple(picker.locator(css).input_value() for css in (".rp-province", ".rp-city", ".rp-county"))


def assert_org_kept(ui: StudentUI) -> None:
    """Every typed organisation field is still there, 签约日期 included (it once came back empty:
    DateInput rendered the zh-hans format 2027/03/18, which <input type=date> rejects)."""
    assert ui.values(*ORG) == ORG
    assert ui.page.locator("#id_org_region").input_value() == REGION[-1]
    ui.wait_region_picker()
    assert region_selects(ui) == REGION


def continue_registration(ui: StudentUI) -> None:
    ui.click_nav(ui.page.get_by_role("button", name="继续填写"))


# --- leaving half-way -----------------------------------------------------------------------------


def test_resume_after_logout_lands_on_evidence_with_data_kept(open_student, files):
    ui = open_student(shanghai=False)
    to_organisation(ui)
    ui.fill({"org_uscc": ORG_USCC, **ORG})
    ui.select_region(*REGION)
    ui.next()
    ui.on_step("evidence")
    ui.logout()

    ui.login(NEW_PASSWORD)  # the changed password; no second forced change
    ui.assert_path("/registration/")
    expect(ui.page.locator("#registration-status")).to_have_text("草稿")
    expect(ui.page.locator("dl.summary")).to_contain_text(ORG["org_name"])
    continue_registration(ui)
    ui.on_step("evidence")
    expect(ui.page.locator("ol.wizard-steps li.done")).to_have_count(2)
    expect(ui.page.locator("ol.wizard-steps li.current")).to_contain_text("佐证材料")

    ui.prev()
    ui.on_step("organisation")
    assert ui.page.locator("#id_org_uscc").input_value() == ORG_USCC
    assert_org_kept(ui)
    ui.prev()
    ui.on_step("type")
    expect(ui.page.locator("input[name=destination_type][value=dispatch_general]")).to_be_checked()
    ui.next()
    ui.on_step("organisation")
    assert_org_kept(ui)
    ui.next()
    ui.on_step("evidence")
    ui.upload(files.pdf())
    ui.next()
    ui.archive_fill("match_origin")
    ui.next()
    ui.submit()
    ui.assert_submitted()


def test_unfinished_organisation_survives_logout(open_student):
    """A 下一步 that fails validation still keeps what was typed on the server (草稿 lives there)."""
    ui = open_student(shanghai=False)
    to_organisation(ui)
    partial = {"org_name": ORG["org_name"], "org_address": ORG["org_address"], "org_contact_name": "陈工"}
    ui.fill(partial)
    ui.select_region(*REGION)
    ui.next()
    ui.on_step("organisation")
    expect(ui.page.locator(".msg-error")).to_contain_text("请按提示修改下面标红的内容")
    ui.logout()
    ui.login()
    continue_registration(ui)
    ui.on_step("organisation")
    assert ui.values(*partial) == partial
    assert ui.page.locator("#id_org_region").input_value() == REGION[-1]
    assert region_selects(ui) == REGION


# --- mistyped codes -------------------------------------------------------------------------------


def test_wrong_uscc_check_digit_is_refused_and_other_fields_kept(open_student):
    ui = open_student(shanghai=False)
    to_organisation(ui)
    bad = wrong_check_digit(ORG_USCC)
    ui.fill({"org_uscc": bad, **ORG})
    ui.select_region(*REGION)
    ui.next()
    ui.on_step("organisation")
    uscc_field = ui.page.locator(".field.has-error", has=ui.page.locator("#id_org_uscc"))
    expect(uscc_field.locator(".error")).to_have_text("统一社会信用代码校验位不正确，请核对后重新输入。")
    assert ui.page.locator("#id_org_uscc").input_value() == bad
    assert_org_kept(ui)
    expect(ui.page.locator(".field.has-error")).to_have_count(1)  # nothing else is blamed

    # 检索匹配 with the same code says the same and drops nothing.
    ui.click_nav(ui.button("lookup"))
    ui.on_step("organisation")
    expect(ui.page.locator("ul.messages")).to_contain_text("统一社会信用代码校验位不正确")
    assert_org_kept(ui)

    # Too short, and a forbidden letter: each has its own message.
    ui.fill({"org_uscc": ORG_USCC[:17]})
    ui.next()
    expect(uscc_field.locator(".error")).to_have_text("统一社会信用代码应为 18 位，您输入了 17 位。")
    ui.fill({"org_uscc": ORG_USCC[:10] + "O" + ORG_USCC[11:]})
    ui.next()
    expect(uscc_field.locator(".error")).to_contain_text("不能出现字符：O")
    assert_org_kept(ui)

    ui.fill({"org_uscc": ORG_USCC})
    ui.next()
    ui.on_step("evidence")


# --- wrong files ----------------------------------------------------------------------------------


def test_evidence_rules_in_the_browser(open_student, e2e_server, files):
    """下一步 disabled with no file; disguised .exe/.html refused; at most 3 files; remove works."""
    ui = open_student(shanghai=False)
    ui.first_login()
    ui.start()
    ui.choose_type("flexible_freelance")
    ui.on_step("evidence")
    next_button = ui.button("next")
    expect(next_button).to_be_disabled()
    expect(ui.page.locator("#evidence-list")).to_contain_text("尚未上传文件")

    for disguised in (files.exe_as_pdf("offer.pdf"), files.html_as_pdf("协议书.pdf")):
        msg = ui.upload(disguised)
        assert f"“{disguised.name}”未上传" in msg, msg
        assert "只能上传 PDF、JPG 或 PNG 文件（按文件内容判断，改扩展名无效）" in msg, msg
        expect(ui.page.locator(".msg-error")).to_be_visible()
        assert ui.evidence_names() == []
        expect(next_button).to_be_disabled()

    # Over 10 MB: the page refuses before sending; with the script bypassed the server refuses.
    big = files.oversized_pdf()
    ui.page.locator("#id_file").set_input_files(str(big))
    alerts: list[str] = []
    ui.page.once("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    ui.page.locator("form.upload button[type=submit]").click()
    ui.page.wait_for_timeout(300)
    assert alerts and "文件超过 10 MB 上限" in alerts[0], alerts
    ui.assert_path("/registration/step/evidence/")
    assert ui.evidence_names() == []
    # Right after the alert a smaller file goes up at once (the double-submit guard once locked the form
    # for 8 s after a refused submit).
    ui.page.locator("#id_file").set_input_files(str(files.pdf("登记表.pdf")))
    with ui.page.expect_navigation(timeout=5000):
        ui.page.locator("form.upload button[type=submit]").click()
    ui.on_step("evidence")
    assert "已上传" in ui.messages()
    expect(next_button).to_be_enabled()
    ui.page.locator("#id_file").set_input_files(str(big))
    with ui.page.expect_navigation():
        ui.page.locator("form.upload").evaluate("f => f.submit()")  # no submit event: the script is bypassed
    ui.on_step("evidence")
    assert "文件超过 10 MB 上限" in ui.messages(), ui.messages()
    assert ui.evidence_names() == ["登记表.pdf"]
    assert "已上传" in ui.upload(files.png("照片页.png"))

    # A second tab still shows the upload form from before the limit was reached.
    stale = ui.page.context.new_page()
    stale.goto(ui.server.url("/registration/step/evidence/"))
    assert "已上传" in ui.upload(files.jpeg("签字页.jpg"))
    assert ui.evidence_names() == ["登记表.pdf", "照片页.png", "签字页.jpg"]
    expect(ui.page.locator("#id_file")).to_have_count(0)
    expect(ui.page.locator("form.upload")).to_have_count(0)
    expect(ui.page.locator(".card .msg-info")).to_contain_text("已达到 3 个文件的上限")

    fourth = files.pdf("第四个文件.pdf")
    stale.locator("#id_file").set_input_files(str(fourth))
    with stale.expect_navigation():
        stale.locator("form.upload button[type=submit]").click()
    expect(stale.locator("ul.messages")).to_contain_text("最多只能上传 3 个文件")
    assert len(stale.locator("#evidence-list tbody tr td:first-child a").all()) == 3
    stale.close()

    # The stored file is served back (only through the authorised view) with its real type.
    href = ui.page.locator("#evidence-list a", has_text="登记表.pdf").get_attribute("href")
    response = ui.page.context.request.get(ui.server.url(href))
    assert response.status == 200 and response.headers["content-type"].startswith("application/pdf")
    assert response.body().startswith(b"%PDF-")
    stored = list((e2e_server.var_dir / "private-media").rglob("*.*"))
    assert stored, "evidence should be stored under the e2e server's QUXIANG_VAR_DIR"

    # Remove one: the upload form comes back.
    row = ui.page.locator("#evidence-list tbody tr", has_text="照片页.png")
    ui.click_nav(row.get_by_role("button", name="删除"))
    assert "已删除文件：照片页.png" in ui.messages()
    assert ui.evidence_names() == ["登记表.pdf", "签字页.jpg"]
    expect(ui.page.locator("#id_file")).to_have_count(1)
    ui.check_layout("evidence after remove")
    ui.next()
    ui.on_step("archive")


# --- impatient clicks -----------------------------------------------------------------------------


def _to_review(ui: StudentUI, files) -> None:
    ui.first_login()
    ui.start()
    ui.choose_type("flexible_freelance")
    ui.on_step("evidence")
    ui.upload(files.pdf("灵活就业登记表.pdf"))
    ui.next()
    ui.archive_fill("match_origin")
    ui.next()
    ui.on_step("review")


def test_double_click_on_submit_submits_once(open_student, files):
    ui = open_student(shanghai=True)
    _to_review(ui, files)
    other_tab = ui.page.context.new_page()
    other_tab.goto(ui.server.url("/registration/step/review/"))

    ui.submit(double=True)
    ui.assert_submitted()
    expect(ui.page.locator("ul.messages")).to_contain_text("提交成功")

    # 提交 again from a tab that still shows the review page: nothing changes.
    with other_tab.expect_navigation():
        other_tab.locator("#submit-registration").click()
    assert other_tab.url.endswith("/registration/")
    expect(other_tab.locator("#registration-status")).to_have_text("待鉴证")
    other_tab.close()
    ui.page.reload()
    ui.assert_submitted()
    # A submitted record is read-only: the wizard sends the student back to the status page.
    ui.goto("/registration/step/organisation/")
    ui.assert_path("/registration/")
    expect(ui.page.locator("ul.messages")).to_contain_text("正在等待辅导员鉴证")


@pytest.mark.parametrize("viewport", ["desktop"])  # not about layout: one width is enough
def test_two_simultaneous_submit_requests_count_once(open_student, files):
    """Bypass the page's double-submit guard: three POSTs race on the server; one submission results."""
    ui = open_student(shanghai=False)
    _to_review(ui, files)
    statuses = ui.page.evaluate("""async () => {
        const form = document.querySelector('#submit-registration').form;  // no action attribute: posts to itself
        const send = () => { const body = new FormData(form); body.append('action', 'submit');
                             return fetch(location.href, {method: 'POST', body, redirect: 'manual'})
                               .then(r => r.type === 'opaqueredirect' ? 302 : r.status); };
        return Promise.all([send(), send(), send()]);
    }""")
    # (On SQLite the losers once got 500 "database is locked"; fixed by transaction_mode=IMMEDIATE.)
    assert statuses == [302, 302, 302], statuses
    ui.goto("/registration/")
    ui.assert_submitted()  # exactly one 提交
