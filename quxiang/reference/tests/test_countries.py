"""The country list a student picks from abroad: 港澳台 as their own group, then by pinyin, current names."""

from __future__ import annotations

import importlib
import re

import pytest
from django import forms
from django.apps import apps
from pypinyin import Style, lazy_pinyin

from quxiang.reference.forms import CountryChoiceField
from quxiang.reference.models import Country
from quxiang.reference.selectors import countries_abroad

pytestmark = pytest.mark.django_db


def names() -> list[str]:
    return [c.name_zh for c in countries_abroad()]


def test_hong_kong_macao_taiwan_first_as_regions_of_china():
    rows = list(countries_abroad())
    assert [(c.name_zh, c.is_china_region) for c in rows[:3]] == [
        ("中国香港", True), ("中国澳门", True), ("中国台湾", True)]
    assert not any(c.is_china_region for c in rows[3:])


def test_other_countries_in_pinyin_order():
    listed = names()[3:]
    # As a Chinese reader looks them up (dictionary order of the pinyin), not by code or code point.
    expected = ["阿尔巴尼亚", "埃及", "爱尔兰", "安道尔", "澳大利亚", "巴西", "德国", "俄罗斯", "法国", "韩国",
                "加拿大", "马来西亚", "美国", "墨西哥", "日本", "新加坡", "英国", "越南", "智利", "中非共和国"]
    positions = [listed.index(n) for n in expected]
    assert positions == sorted(positions), [listed[p] for p in sorted(positions)]
    # The whole list runs a → z by the first letter of the pinyin.
    initials = [lazy_pinyin(n, style=Style.FIRST_LETTER)[0].lower() for n in listed]
    assert initials == sorted(initials)
    assert listed[0] == "阿尔巴尼亚" and listed[-1] == "中非共和国"


def test_current_names_and_full_width_brackets():
    by_code = dict(Country.objects.values_list("code", "name_zh"))
    assert by_code["SZ"] == "埃斯瓦蒂尼"
    assert by_code["MK"] == "北马其顿"
    assert by_code["CD"] == "刚果（金）" and by_code["CG"] == "刚果（布）"
    assert by_code["CC"] == "科科斯（基林）群岛"
    assert not [n for n in by_code.values() if re.search(r"[()]", n)]


def test_a_country_renamed_in_the_admin_sorts_by_its_new_name():
    country = Country.objects.get(code="DE")
    country.name_zh = "阿德国"  # a name that now starts with a
    country.save()
    assert names()[3] == "阿德国"


def test_migration_keeps_a_name_the_office_corrected():
    Country.objects.filter(code="SZ").update(name_zh="斯威士兰")  # as 0004 seeded it
    Country.objects.filter(code="MN").update(name_zh="蒙古国（办公室修订）")
    migration = importlib.import_module("quxiang.reference.migrations.0008_country_current_names")
    migration.forwards(apps, None)
    assert Country.objects.get(code="SZ").name_zh == "埃斯瓦蒂尼"
    assert Country.objects.get(code="MN").name_zh == "蒙古国（办公室修订）"


def test_web_select_groups_the_regions_of_china():
    class F(forms.Form):
        country = CountryChoiceField(label="国家（地区）", empty_label="请选择")

    html = str(F()["country"])
    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', html, flags=re.S)
    assert [label for label, _body in groups] == ["中国港澳台地区", "其他国家和地区"]
    assert re.findall(r'value="(\w+)"', groups[0][1]) == ["HK", "MO", "TW"]
    assert 'value="US"' in groups[1][1] and 'value="HK"' not in groups[1][1]
    assert html.index('<option value="" selected>请选择</option>') < html.index("<optgroup")
    # Choosing still works like any model choice.
    form = F({"country": "TW"})
    assert form.is_valid() and form.cleaned_data["country"].name_zh == "中国台湾"
