"""The wizard's fragments kept in process memory ({% memo %}, quxiang/core/templatetags/memo.py) as users
meet them: each student sees their own choice, each page its own navigation, and an admin's edit of a code
table reaches the next page a student opens."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from quxiang.reference.models import DestinationType
from quxiang.testing.factories import make_office, make_registration

pytestmark = pytest.mark.django_db

TYPE_PAGE = reverse("registrations:step", kwargs={"step": "type"})


def checked_type(html: str) -> list[str]:
    return re.findall(r'<input type="radio" name="destination_type" value="([^"]+)" checked>', html)


def test_each_student_sees_their_own_type_checked(client):
    first = make_registration(destination_type="dispatch_general")
    second = make_registration(destination_type="study_master")
    for reg, key in ((first, "dispatch_general"), (second, "study_master"), (first, "dispatch_general")):
        client.force_login(reg.student.user)
        html = client.get(TYPE_PAGE).content.decode()
        assert checked_type(html) == [key]


def test_a_renamed_type_shows_on_the_next_page(client):
    reg = make_registration(destination_type="dispatch_general")
    client.force_login(reg.student.user)
    assert "一般单位录用" in client.get(TYPE_PAGE).content.decode()
    leaf = DestinationType.objects.get(key="dispatch_general")
    leaf.name = "签就业协议（新名称）"
    leaf.save()  # as the admin saves it
    html = client.get(TYPE_PAGE).content.decode()
    assert "签就业协议（新名称）" in html and checked_type(html) == ["dispatch_general"]


def test_the_step_list_links_the_steps_done(client):
    reg = make_registration(destination_type="dispatch_general")
    client.force_login(reg.student.user)
    on_type = client.get(TYPE_PAGE).content.decode()
    on_org = client.get(reverse("registrations:step", kwargs={"step": "organisation"})).content.decode()
    assert '<li class="current">' in on_type and f'<a href="{TYPE_PAGE}">' not in on_type
    assert f'<a href="{TYPE_PAGE}">' in on_org  # 去向类型 is done, and not the page shown


def test_the_side_navigation_marks_the_page_shown(client):
    client.force_login(make_office())
    for url, label in ((reverse("reviews:queue"), "去向鉴证"), (reverse("reports:statistics"), "去向统计"),
                       (reverse("reviews:queue"), "去向鉴证")):
        html = client.get(url).content.decode()
        active = re.findall(r'<a href="[^"]+" class="active">([^<]+)</a>', html)
        assert active == [label], url


def test_a_student_and_the_office_each_get_their_navigation(client):
    reg = make_registration()
    client.force_login(reg.student.user)
    student_nav = client.get(reverse("registrations:status")).content.decode()
    client.force_login(make_office())
    office_nav = client.get(reverse("reviews:queue")).content.decode()
    assert "去向录入" in student_nav and "名单导入" not in student_nav
    assert "名单导入" in office_nav and "去向录入" not in office_nav.split("<main")[0]


def test_the_english_page_is_english(client):
    reg = make_registration()
    client.force_login(reg.student.user)
    zh = client.get(TYPE_PAGE, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    client.cookies.load({"django_language": "en"})
    en = client.get(TYPE_PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "就业管理" in zh.split("<main")[0]
    assert "就业管理" not in en.split("<main")[0]


def test_the_english_review_guidance_reads_as_two_sentences(client):
    reg = make_registration(complete=True)
    client.force_login(reg.student.user)
    client.cookies.load({"django_language": "en"})
    html = client.get(reverse("registrations:step", kwargs={"step": "review"}), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    guidance = re.search(r'<p class="hint" id="submit-guidance">(.*?)</p>', html, flags=re.S).group(1)
    assert "“Awaiting verification”. " in guidance and "”.P" not in guidance
