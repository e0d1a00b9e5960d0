"""Does real Chromium accept the production Content-Security-Policy on the real pages?

    .venv/bin/python bench/load/csp_check.py

Starts gunicorn with the production settings (as run.py does, on a fresh database quxiang_load_csp),
then drives Debian's Chromium (/usr/bin/chromium, through Playwright): a student goes through the whole
wizard (region picker script, 检索匹配, upload, 匹配, 提交); the counselor opens the record page with the
evidence PDF in its iframe; the office opens the statistics page (ECharts) and hovers a chart (tooltip
with style attributes); the login page of the admin. Every console error and every
`securitypolicyviolation` event is collected; the script fails if there is any CSP violation.

The browser talks plain HTTP to gunicorn on 127.0.0.1 and sends `X-Forwarded-Proto: https` (as nginx
would); Chromium treats 127.0.0.1 as a secure context, so the Secure cookies work. Its Origin header is
http://…, so this run trusts that origin for CSRF (DJANGO_CSRF_TRUSTED_ORIGINS) — nothing else differs
from production."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Server, Stack, drop_database, free_port  # noqa: E402
from evidence_pdf import build_pdf  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
INIT = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile || ''}:${e.lineNumber || ''})`);
});
"""


def main() -> None:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} missing (apt-get install chromium)")
    run_dir = Path(tempfile.mkdtemp(prefix="quxiang-csp-"))
    port = free_port()
    stack = Stack(dbname="quxiang_load_csp", run_dir=run_dir, app_name="quxiang_csp")
    base_env = stack.env
    stack.env = lambda **extra: base_env(DJANGO_CSRF_TRUSTED_ORIGINS=f"http://127.0.0.1:{port}", **extra)  # type: ignore[method-assign]
    stack.prepare(students=3, organisations=5)
    students = json.loads((run_dir / "students.json").read_text())
    pdf_path = run_dir / "协议书.pdf"
    pdf_path.write_bytes(build_pdf(300 * 1024))
    server = Server(stack, port, 2, 2, "gthread")
    problems: list[str] = []
    visited: list[str] = []
    control: list[str] = []
    try:
        with server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])

            def context():
                ctx = browser.new_context(extra_http_headers={"X-Forwarded-Proto": "https"}, locale="zh-CN")
                ctx.add_init_script(INIT)
                page = ctx.new_page()
                page.set_default_timeout(30_000)
                page.on("console", lambda m: m.type == "error" and problems.append(f"{page.url}: console: {m.text}"))
                page.on("pageerror", lambda e: problems.append(f"{page.url}: page error: {e}"))
                return ctx, page

            def collect(page) -> None:
                visited.append(page.url.replace(server.base, ""))
                for v in page.evaluate("window.__csp || []"):
                    problems.append(f"{page.url}: CSP: {v}")

            def submit(page, selector: str) -> None:
                with page.expect_navigation():
                    page.click(selector)
                collect(page)

            def login(page, username: str, password: str) -> None:
                page.goto(server.base + "/accounts/login/")
                collect(page)
                page.fill("input[name=username]", username)
                page.fill("input[name=password]", password)
                submit(page, "button[type=submit]")

            # The student, through the whole wizard.
            ctx, page = context()
            s = students[0]
            login(page, s["number"], s["password"])
            submit(page, "form[action='/registration/start/'] button")
            page.check("input[value=dispatch_general]")
            submit(page, "button[name=action][value=next]")
            page.wait_for_selector(".rp-province option:nth-child(2)", state="attached")  # region picker ran
            page.fill("#id_org_uscc", s["uscc"])
            submit(page, "button[name=action][value=lookup]")
            page.select_option("#id_job_category", "13")
            page.fill("#id_signed_on", "2027-03-01")
            submit(page, "button[name=action][value=next]")
            page.set_input_files("#id_file", str(pdf_path))
            submit(page, "form.upload button[type=submit]")
            submit(page, "button[name=action][value=next]")
            submit(page, "button[name=action][value=match_origin]")
            submit(page, "button[name=action][value=next]")
            submit(page, "#submit-registration")
            assert "提交成功" in page.content(), "the submission was not acknowledged"
            ctx.close()

            # The counselor: queue and the record page with the evidence PDF in an iframe.
            ctx, page = context()
            login(page, "load_fdy", "Quxiang-Load-2026!")
            page.goto(server.base + "/staff/")
            collect(page)
            page.click("a[href^='/staff/records/']")
            page.wait_for_load_state("networkidle")
            frame = page.locator("iframe").first
            frame.wait_for(state="attached")
            page.wait_for_timeout(1000)
            collect(page)
            ctx.close()

            # The office: statistics with ECharts, hover for a tooltip; the admin's login page.
            ctx, page = context()
            login(page, "load_office", "Quxiang-Load-2026!")
            page.goto(server.base + "/office/reports/?year=2027")
            page.wait_for_selector("#chart-rates canvas", state="attached")
            box = page.locator("#chart-rates").bounding_box()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.wait_for_timeout(800)
            collect(page)
            page.goto(server.base + "/admin/login/")
            collect(page)
            # Control: the detector does see a violation (an injected, unhashed <style> element).
            before = len(problems)
            page.evaluate("const s = document.createElement('style'); s.textContent = 'body{color:red}';"
                          "document.head.appendChild(s)")
            page.wait_for_timeout(300)
            control = page.evaluate("window.__csp || []") + problems[before:]
            del problems[before:]
            ctx.close()
            browser.close()
    finally:
        server.stop()
        drop_database(stack.dbname)
        shutil.rmtree(run_dir, ignore_errors=True)
    csp = [p for p in problems if "Content Security Policy" in p or ": CSP:" in p]
    print(f"pages checked: {len(set(visited))}: {sorted(set(visited))}")
    print(f"console errors: {len(problems)}; CSP violations: {len(csp)}; "
          f"control (injected <style>) detected: {bool(control)} {control[:1]}")
    for p in problems:
        print("  ", p[:300])
    sys.exit(1 if csp or not control else 0)


if __name__ == "__main__":
    main()
