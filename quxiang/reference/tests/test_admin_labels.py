"""Every admin page speaks Chinese: model names, field labels, inline titles, list filters, columns.

Django's own admin strings are translated by Django's catalogue; what stays English is whatever a model
or admin of ours left without a verbose_name (``Parent:``, ``User:``, ``By parent``). The test visits the
changelist, the add page and a change page of every registered model (the demo school fills them) and
looks for Latin words in the label-like parts of the page.
"""

from __future__ import annotations

import io
import json
import re
from html import unescape

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse

pytestmark = pytest.mark.django_db

# Words that are legitimately Latin on a Chinese page.
ALLOWED = {"excel", "xlsx", "id", "uscc", "email", "wechat", "openid", "pdf", "jpg", "png", "url", "ip", "http",
           "https", "english"}
LABEL_PARTS = [
    r"<label[^>]*>(.*?)</label>",                       # form fields (also ``Parent:``)
    r'<th[^>]*scope="col"[^>]*>(.*?)</th>',             # changelist columns
    r"<h2[^>]*>(.*?)</h2>",                              # fieldsets and inlines
    r"<h3[^>]*>(.*?)</h3>",                              # list filter titles (old markup)
    r"<summary[^>]*>(.*?)</summary>",                    # list filter titles
    r"<caption[^>]*>(.*?)</caption>",                    # app index
    r'<option value="">(.*?)</option>',
]
def latin_words(fragment: str) -> list[str]:
    text = unescape(re.sub(r"<[^>]+>", " ", fragment))
    return [w for w in re.findall(r"[A-Za-z]{2,}", text) if w.lower() not in ALLOWED]


def english_labels(html: str) -> set[str]:
    # The app list's screen-reader headers (``Model name`` …) count too: locale/zh_Hans translates them.
    found = set()
    for pattern in LABEL_PARTS:
        for fragment in re.findall(pattern, html, flags=re.S):
            if latin_words(fragment):
                found.add(" ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split()))
    return found


def admin_urls() -> list[tuple[str, str]]:
    """(url, the object's own name shown in the page's heading, which is data and may be Latin)."""
    urls = []
    for model in admin.site._registry:
        meta = model._meta
        name = f"admin:{meta.app_label}_{meta.model_name}"
        urls.append((reverse(f"{name}_changelist"), ""))
        try:
            urls.append((reverse(f"{name}_add"), ""))
        except NoReverseMatch:
            pass
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            urls.append((reverse(f"{name}_change", args=[obj.pk]), str(obj)))
    return urls


@pytest.fixture
def superuser_client(client):
    from django.contrib.auth import get_user_model

    call_command("seed_demo", quiet_accounts=True, stdout=io.StringIO())
    client.force_login(get_user_model().objects.get(username="admin"))
    client.raise_request_exception = False  # a read-only admin answers 403 to "add"
    return client


def test_admin_pages_have_no_english_labels(superuser_client):
    untranslated: dict[str, set[str]] = {}
    for url, own_name in [(reverse("admin:index"), ""), *admin_urls()]:
        response = superuser_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        if response.status_code == 403:  # e.g. add on a read-only history
            continue
        assert response.status_code == 200, url
        html = response.content.decode()
        found = english_labels(html.replace(f"<h2>{own_name}</h2>", "") if own_name else html)
        if found:
            untranslated[url] = found
    assert not untranslated, "\n".join(f"{u}: {sorted(v)}" for u, v in untranslated.items())


def test_admin_index_and_widgets_speak_chinese(superuser_client):
    """Django 5.2 ships the app list's headers and the 可选/已选 widget's new strings untranslated."""
    html = superuser_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    head = re.search(r'<thead class="visually-hidden">(.*?)</thead>', html, flags=re.S).group(1)
    assert [unescape(t) for t in re.findall(r"<th[^>]*>(.*?)</th>", head)] == ["模型名称", "增加链接", "修改或查看列表链接"]
    assert not re.search(r"Model name|Add link|Change or view list link", html)
    js = superuser_client.get(reverse("admin:jsi18n"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    catalog = json.loads(re.search(r"const newcatalog = (\{.*?\});", js, flags=re.S).group(1))
    assert catalog["Choose all %s"] == "选择全部%s"
    assert catalog["Remove all %s"] == "删除全部%s"
    assert catalog["(click to clear)"] == "（点击清除）"
