"""The 详情 column of the office's audit log reads in Chinese, whatever door wrote the entry."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from quxiang.audit.display import KEY_LABELS, audit_detail_items
from quxiang.reviews import services
from quxiang.testing.factories import counselor_of, make_office, make_submitted

pytestmark = pytest.mark.django_db


def detail_cells(html: str) -> list[str]:
    cells = re.findall(r'<td class="muted audit-detail"[^>]*>(.*?)</td>', html, flags=re.S)
    return [re.sub(r"<[^>]+>", "", c) for c in cells]


def test_detail_column_shows_chinese_labels_not_json_keys(client):
    returned = make_submitted()
    services.registration_return(registration=returned, actor=counselor_of(returned.student), reason="协议书第一联不清晰")
    verified = make_submitted()
    services.registration_verify(registration=verified, actor=counselor_of(verified.student))
    office = make_office()
    client.force_login(office)
    year = verified.student.graduation_year
    assert client.get(reverse("reports:statistics"), {"year": year, "download": "college"}).status_code == 200

    html = client.get(reverse("reviews:audit")).content.decode()
    cells = " ".join(detail_cells(html))
    assert "原因：协议书第一联不清晰" in cells
    assert "鉴证编号：QX" in cells
    assert "内容：统计表" in cells and "统计表：按学院" in cells and f"届别：{year}" in cells
    for raw in ("reason", "verification_no", "what", "table", "statistics", "college", "=", "{"):
        assert raw not in cells, raw


def test_values_are_words_not_codes():
    items = dict(audit_detail_items(detail={
        "what": "national_export", "full_id": False, "verified_only": True, "reason": None, "outcome": "mismatch",
    }))
    assert items == {"内容": "全国就业数据导出", "完整身份证号": "否", "仅已鉴证": "是", "原因": "—", "回访结果": "情况不符"}


def test_every_labelled_key_is_chinese():
    for key, label in KEY_LABELS.items():
        assert re.search(r"[\u4e00-\u9fff]", str(label)), key


def test_a_key_without_a_label_is_still_shown():
    assert audit_detail_items(detail={"new_key": 3}) == [("new_key", "3")]


def test_export_and_settings_entries_read_in_chinese():
    from quxiang.audit.display import audit_detail_items

    export = dict(audit_detail_items(detail={"what": "national_export", "profile": 1, "clean_only": False, "job": 4}))
    assert export == {"内容": "全国就业数据导出", "上报格式": "1", "仅导出通过预检的记录": "否", "后台任务": "4"}
    settings = dict(audit_detail_items(detail={"what": "school_settings"}))
    assert settings == {"内容": "院校信息（上报用）"}
