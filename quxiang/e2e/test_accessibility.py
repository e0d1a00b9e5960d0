"""axe-core on every page a student, a counselor and the office reach, at 1280 and at 375 px.

Each page must have no serious or critical violation (contrast, labels, names of controls, landmarks …).
axe comes from npm, vendored under quxiang/e2e/vendor/ (see its README and docs/decisions.md); it is put
into the page with ``page.evaluate``, which a production CSP would not block the way a <script> tag is.

At 375 px the staff tables must be readable without scrolling sideways: a table wider than three columns
turns into one card per row (app.css, ``.table.cards``), and nothing inside a ``.table-wrap`` scrolls.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from quxiang.e2e.conftest import (
    ARTIFACTS,
    DEFAULT_TIMEOUT_MS,
    NEW_PASSWORD,
    PHONE_WIDTH,
    VIEWPORTS,
    StudentUI,
)

pytestmark = pytest.mark.browser

AXE_JS = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"  # npm axe-core@4.14.1
BLOCKING = {"serious", "critical"}
STAFF_PASSWORD = "Quxiang2026!"  # the demo school's shared staff password
MAX_NODES_SHOWN = 6
SCREENSHOTS = os.environ.get("QUXIANG_E2E_A11Y_SHOTS") == "1"  # full-page shots of every audited page


class Auditor:
    """Runs axe on the current page and keeps a readable line for every serious/critical violation."""

    def __init__(self, viewport: str):
        self.viewport = viewport
        self.problems: list[str] = []
        self.pages: list[str] = []
        self._source = AXE_JS.read_text(encoding="utf-8")

    def __call__(self, page, where: str) -> None:
        page.wait_for_load_state("load")
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self._source)
        result = page.evaluate(
            "async () => { const r = await axe.run(document, {iframes: false, resultTypes: ['violations']});"
            " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,"
            " nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160),"
            " summary: n.failureSummary}))})); }"
        )
        self.pages.append(where)
        if SCREENSHOTS:
            out = ARTIFACTS / "screenshots" / "a11y" / self.viewport
            out.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^a-z0-9]+", "-", where).strip("-")
            page.screenshot(path=str(out / f"{name}.png"), full_page=True)
        for v in result:
            if v["impact"] not in BLOCKING:
                continue
            lines = [f"[{self.viewport}] {where} ({page.url}): {v['impact']} {v['id']} — {v['help']} ({v['url']})"]
            for node in v["nodes"][:MAX_NODES_SHOWN]:
                summary = re.sub(r"\s+", " ", node["summary"] or "")
                lines.append(f"    {node['target']}  {node['html']}\n      {summary}")
            if len(v["nodes"]) > MAX_NODES_SHOWN:
                lines.append(f"    … and {len(v['nodes']) - MAX_NODES_SHOWN} more nodes")
            self.problems.append("\n".join(lines))
        if self.viewport == "phone":
            self._check_phone_tables(page, where)

    def _check_phone_tables(self, page, where: str) -> None:
        """Nothing scrolls sideways, and no table of more than three columns is squeezed into 375 px."""
        found = page.evaluate(
            """() => {
              const out = [];
              const doc = document.documentElement;
              if (doc.scrollWidth > window.innerWidth + 1) out.push(`page scrollWidth=${doc.scrollWidth}`);
              for (const w of document.querySelectorAll('main .table-wrap')) {
                if (w.scrollWidth > w.clientWidth + 1) out.push(`.table-wrap scrolls (${w.scrollWidth} > ${w.clientWidth})`);
              }
              for (const t of document.querySelectorAll('main table')) {
                const head = t.tHead && t.tHead.rows[0];
                const cols = head ? head.cells.length : 0;
                const row = t.tBodies[0] && t.tBodies[0].rows[0];
                if (cols > 3 && row && getComputedStyle(row).display === 'table-row') {
                  out.push(`table#${t.id || '?'}.${t.className} has ${cols} columns and is not shown as cards`);
                }
              }
              return out;
            }"""
        )
        for f in found:
            self.problems.append(f"[phone] {where} ({page.url}): not readable at {PHONE_WIDTH}px: {f}")

    def assert_clean(self) -> None:
        assert not self.problems, (
            f"{len(self.problems)} serious/critical accessibility or layout problems on "
            f"{len(self.pages)} pages:\n\n" + "\n\n".join(self.problems)
        )


def staff_context(browser, server, username: str, viewport: str):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **VIEWPORTS[viewport])
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    page.goto(server.url("/accounts/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", STAFF_PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit].primary")
    assert "/accounts/login/" not in page.url, f"{username} could not log in"
    return context, page


def visit(page, server, path: str, audit: Auditor, where: str) -> None:
    page.goto(server.url(path))
    audit(page, where)


def walk_to_submission(ui: StudentUI, server, files, audit) -> None:
    """First login, password change, the wizard step by step (directory employer), submit; audit each page."""
    page = ui.page
    ui.goto("/accounts/login/")
    audit(page, "login")
    ui.login("wrong-password")  # the error state counts too
    audit(page, "login with error")
    ui.login(ui.student.initial_password)
    ui.assert_path("/accounts/password/")
    audit(page, "password change")
    page.fill("#id_old_password", ui.student.initial_password)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    ui.click_nav("form button[type=submit].primary")
    ui.goto("/")
    audit(page, "student home")

    ui.goto("/registration/")
    ui.start()
    audit(page, "step type")
    ui.choose_type("dispatch_general")
    ui.on_step("organisation")
    audit(page, "step organisation")
    ui.next()
    audit(page, "step organisation with errors")
    ui.lookup(server.directory_organisation(shanghai=True)["uscc"])
    ui.fill({"job_category": "13", "signed_on": "2027-03-01"})
    ui.next()
    ui.on_step("evidence")
    audit(page, "step evidence (empty)")
    ui.upload(files.pdf("电子协议书.pdf"))
    audit(page, "step evidence")
    ui.next()
    ui.on_step("archive")
    audit(page, "step archive")
    ui.archive_fill("copy_org")
    ui.next()
    ui.on_step("review")
    audit(page, "step review")
    ui.submit()
    audit(page, "status after submit")


def open_record(page, server, student_number: str) -> None:
    page.goto(server.url("/staff/?status=submitted"))
    with page.expect_navigation():
        page.locator("#queue a", has_text=student_number).click()


def test_student_and_counselor_pages(open_student, e2e_server, e2e_browser, files, viewport):
    audit = Auditor(viewport)
    ui: StudentUI = open_student(shanghai=True)
    walk_to_submission(ui, e2e_server, files, audit)

    # The counselor of that student: dashboard, queue, the record with its evidence, their other pages.
    counselor = e2e_server.db.scalar(
        "SELECT u.username FROM roster_student s "
        "JOIN roster_schoolclass_counselors c ON c.schoolclass_id = s.school_class_id "
        "JOIN accounts_user u ON u.id = c.user_id WHERE s.student_number = %s ORDER BY u.username LIMIT 1",
        (ui.student.student_number,),
    )
    context, staff = staff_context(e2e_browser, e2e_server, counselor, viewport)
    try:
        audit(staff, "counselor home")
        visit(staff, e2e_server, "/staff/", audit, "counselor queue")
        open_record(staff, e2e_server, ui.student.student_number)
        audit(staff, "counselor record")
        visit(staff, e2e_server, "/staff/unregistered/", audit, "counselor unregistered list")
        visit(staff, e2e_server, "/office/reports/", audit, "counselor statistics")
        visit(staff, e2e_server, "/office/integrity/follow-ups/", audit, "counselor follow-ups")
    finally:
        context.close()
    audit.assert_clean()


def test_office_pages(open_student, e2e_server, e2e_browser, files, tmp_path, viewport):
    audit = Auditor(viewport)
    ui: StudentUI = open_student(shanghai=True)
    walk_to_submission(ui, e2e_server, files, lambda page, where: None)  # audited by the test above

    context, page = staff_context(e2e_browser, e2e_server, "office", viewport)
    try:
        audit(page, "office home")
        visit(page, e2e_server, "/staff/", audit, "office queue")
        open_record(page, e2e_server, ui.student.student_number)
        audit(page, "office record")
        with page.expect_navigation():
            page.locator("#verify-button").click()
        expect(page.locator("#registration-status")).to_have_text("已鉴证")
        audit(page, "office record verified")

        visit(page, e2e_server, "/office/reports/", audit, "office statistics")
        visit(page, e2e_server, "/office/reports/export/", audit, "office national export")
        # The export runs as a background job: its page polls the worker, then offers the file.
        with page.expect_navigation():
            page.locator("#export-form button[type=submit]").click()
        expect(page.locator("#export-done")).to_be_visible(timeout=60_000)
        audit(page, "office national export job")
        with page.expect_download() as download:  # the finished file, through the access-checked view
            page.locator("#export-download").click()
        assert download.value.suggested_filename.startswith("graduates-")
        visit(page, e2e_server, "/office/integrity/", audit, "office integrity checks")

        # 抽查回访: draw every verified record, then the run's page with its call forms.
        visit(page, e2e_server, "/office/integrity/sampling/", audit, "office sampling")
        page.fill("#id_percentage", "100")
        with page.expect_navigation():
            page.locator("#draw-form button[type=submit]").click()
        item = page.locator("#items tbody tr", has_text=ui.student.student_number)
        expect(item).to_have_count(1)
        audit(page, "office sample run")
        # 情况不符 → 退回辅导员核实: the follow-up list then has an open item with its form.
        item.locator("select[name=outcome]").select_option("mismatch")
        item.locator("input[name=note]").fill("单位称未录用该生")
        with page.expect_navigation():
            item.locator(".outcome-form button[type=submit]").click()
        audit(page, "office sample run with a mismatch")
        with page.expect_navigation():
            page.locator("#items tbody tr", has_text=ui.student.student_number).locator(
                ".send-back-form button[type=submit]").click()
        visit(page, e2e_server, "/office/integrity/sampling/", audit, "office sampling with a run")
        visit(page, e2e_server, "/office/integrity/follow-ups/", audit, "office follow-ups")
        expect(page.locator("#follow-ups")).to_contain_text(ui.student.student_number)

        # The import: upload the template itself (its example row is skipped), then the list of imports.
        visit(page, e2e_server, "/office/import/", audit, "office import")
        template = context.request.get(e2e_server.url("/office/import/template.xlsx"))
        assert template.ok
        upload = tmp_path / "名单.xlsx"
        upload.write_bytes(template.body())
        page.locator("#id_file").set_input_files(str(upload))
        with page.expect_navigation():
            page.locator("#upload-submit").click()
        page.wait_for_function("() => !document.querySelector('#import-progress')", timeout=DEFAULT_TIMEOUT_MS)
        audit(page, "office import job")
        visit(page, e2e_server, "/office/import/", audit, "office import list")
        expect(page.locator("#jobs tbody tr").first).not_to_contain_text("还没有导入记录")

        visit(page, e2e_server, "/staff/audit/", audit, "office audit log")
        expect(page.locator("#audit tbody tr").first).not_to_contain_text("没有记录")
    finally:
        context.close()
    audit.assert_clean()


def test_axe_is_the_pinned_npm_build():
    """The vendored file is axe-core's own minified build of the version vendor/README.md names."""
    data = AXE_JS.read_bytes()
    assert data.startswith(b"/*! axe v4.14.1"), data[:40]
    assert hashlib.sha256(data).hexdigest() == AXE_SHA256
    assert AXE_SHA256 in (AXE_JS.parents[1] / "README.md").read_text(encoding="utf-8")
    assert (AXE_JS.parent / "LICENSE").exists()
