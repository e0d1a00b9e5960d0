"""The statistics page in real Chromium: the three charts draw from the embedded JSON, without errors.

The page is rendered by the test client inside the test's transaction and handed to Chromium through
request interception (static files from the finders), so no live server and no transactional flush of
the seeded code tables are needed."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

CHROMIUM = os.environ.get("QUXIANG_E2E_CHROMIUM", "/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM}"),
]


def test_charts_render_for_the_office(client, cohort):
    playwright = pytest.importorskip("playwright.sync_api")
    client.force_login(cohort.users["office"])
    html = client.get(reverse("reports:statistics"), {"year": 2027}).content
    errors: list[str] = []

    def serve(route):
        path = urlsplit(route.request.url).path
        if path.startswith(settings.STATIC_URL):
            found = finders.find(path[len(settings.STATIC_URL):])
            return route.fulfill(path=found) if found else route.fulfill(status=404)
        return route.fulfill(body=html, content_type="text/html; charset=utf-8")

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route("**/*", serve)
        page.goto("http://quxiang.test/office/reports/?year=2027")
        page.wait_for_function("document.querySelectorAll('.chart canvas').length === 3", timeout=30_000)
        headline = page.locator("#rate-placement").inner_text()
        placement = page.evaluate(
            "echarts.getInstanceByDom(document.getElementById('chart-rates')).getOption().series[0].data.join(',')")
        pie = page.evaluate(
            "echarts.getInstanceByDom(document.getElementById('chart-categories')).getOption().series[0].data.length")
        browser.close()
    assert errors == []
    assert headline == "36.4%"
    assert placement == "42.9,25"
    assert pie == 5  # 10, 11, 801, 85, 70
