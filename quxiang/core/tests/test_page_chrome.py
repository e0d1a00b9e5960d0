"""What every page carries: a favicon (no 404 for /favicon.ico) and a language switcher that names each
language in itself, so a reader of either language can find theirs."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client


@pytest.fixture
def login_page(client: Client) -> str:
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    return response.content.decode()


def test_favicon_ico_is_served_at_the_site_root(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file


@pytest.mark.django_db
def test_pages_link_their_icons(client, login_page):
    icons = re.findall(r'<link rel="icon" href="([^"]+)"', login_page)
    assert "/favicon.ico" in icons
    svg = next(href for href in icons if href.endswith(".svg"))
    found = finders.find(svg.removeprefix(settings.STATIC_URL))  # tests do not serve /static/ (DEBUG off)
    assert found and open(found, "rb").read().startswith(b"<svg")


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["zh-hans", "en"])
def test_language_switcher_names_each_language_in_itself(client, accept):
    client.cookies.load({"django_language": accept})
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=accept).content.decode()
    select = re.search(r'<select name="language".*?</select>', html, flags=re.S).group(0)
    options = dict(re.findall(r'<option value="([\w-]+)"[^>]*>([^<]+)</option>', select))
    # The same words whichever language the page is in.
    assert options == {"zh-hans": "简体中文", "en": "English"}
    assert re.search(r'<option value="en" lang="en"', select)
