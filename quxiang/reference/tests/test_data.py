"""The seeded code tables (migrations 0002–0005)."""

import pytest

from quxiang.reference.models import (
    Country,
    DestinationCategory,
    DestinationType,
    Industry,
    JobCategory,
    OrgNature,
    OriginAuthority,
    Region,
    RegionLevel,
)

pytestmark = pytest.mark.django_db


def test_code_table_counts():
    assert OrgNature.objects.count() == 13
    assert Industry.objects.count() == 21  # A–T plus 军队
    assert JobCategory.objects.count() == 18
    assert DestinationCategory.objects.count() == 16
    assert Industry.objects.get(code="A").name == "农、林、牧、渔业"
    assert Industry.objects.get(code="T").name == "国际组织"
    assert Industry.objects.get(code="JD").name == "军队"
    assert list(Industry.objects.values_list("code", flat=True))[-1] == "JD"


def test_not_placed_categories():
    assert set(DestinationCategory.objects.filter(is_placed=False).values_list("code", flat=True)) == {
        "70",
        "71",
    }
    assert DestinationCategory.objects.get(code="70").name == "待就业"
    assert DestinationCategory.objects.get(code="71").name == "暂不就业"
    assert DestinationCategory.objects.get(code="801").is_placed


def test_every_leaf_destination_type_has_a_category():
    leaves = DestinationType.objects.filter(children__isnull=True)
    assert leaves.count() == 23
    for leaf in leaves:
        assert leaf.category_id, leaf.key
        assert leaf.explanation, leaf.key
        if leaf.category.is_placed:
            assert leaf.evidence_hint, leaf.key
            assert leaf.needs_evidence and leaf.needs_archive, leaf.key
        else:
            assert leaf.evidence_hint == ""
            assert not leaf.needs_evidence and not leaf.needs_archive
            assert not leaf.needs_organisation
    for group in DestinationType.objects.filter(children__isnull=False).distinct():
        assert group.category_id is None and group.parent_id is None


def test_destination_type_details():
    general = DestinationType.objects.get(key="dispatch_general")
    assert general.parent.name == "派遣（签订就业协议书）"
    assert general.category_id == "10"
    assert "协议书第一联" in general.evidence_hint
    assert DestinationType.objects.get(key="dispatch_military").implied_nature_id == "40"
    assert DestinationType.objects.get(key="dispatch_civil_service").implied_nature_id == "10"
    assert DestinationType.objects.get(key="study_master").org_kind == "school"
    assert DestinationType.objects.get(key="abroad_study").org_kind == "abroad"
    freelance = DestinationType.objects.get(key="flexible_freelance")
    assert freelance.org_kind == "none" and freelance.needs_evidence and freelance.category_id == "76"
    assert DestinationType.objects.get(key="labour_contract").parent_id is None


def test_regions():
    assert Region.objects.filter(level=RegionLevel.PROVINCE).count() == 34
    assert Region.objects.count() > 3000
    qiantang = Region.objects.get(code="330114")
    assert qiantang.full_name == "浙江省杭州市钱塘区"
    assert qiantang.level == RegionLevel.COUNTY
    assert qiantang.parent_id == "330100"
    assert qiantang.parent.parent_id == "330000"
    hekang = Region.objects.get(code="653228")
    assert hekang.full_name == "新疆维吾尔自治区和田地区和康县"
    # Municipalities: districts directly under the province.
    pudong = Region.objects.get(code="310115")
    assert pudong.parent_id == "310000" and pudong.full_name == "上海市浦东新区"
    assert Region.objects.get(code="710000").name == "台湾省"
    assert Region.objects.get(code="810000").name == "香港特别行政区"
    assert Region.objects.get(code="820000").name == "澳门特别行政区"
    assert not Region.objects.exclude(code__regex=r"^\d{6}$").exists()


def test_countries():
    assert not Country.objects.filter(code="CN").exists()
    assert Country.objects.get(code="KR").name_zh == "韩国"
    assert Country.objects.get(code="KP").name_zh == "朝鲜"
    assert Country.objects.get(code="IR").name_zh == "伊朗"
    assert Country.objects.get(code="US").name_zh == "美国"
    taiwan = Country.objects.get(code="TW")
    assert taiwan.name_zh == "中国台湾" and taiwan.is_china_region
    assert "China" in taiwan.name_en
    assert set(Country.objects.filter(is_china_region=True).values_list("code", flat=True)) == {
        "HK",
        "MO",
        "TW",
    }
    assert list(Country.objects.values_list("code", flat=True)[:3]) == ["HK", "MO", "TW"]


def test_origin_authorities():
    provinces = OriginAuthority.objects.filter(region_prefix__regex=r"^\d{2}$")
    assert provinces.count() == 31
    assert OriginAuthority.objects.get(region_prefix="31").name == "上海市学生事务中心"
    for authority in OriginAuthority.objects.all():
        assert len(authority.postcode) == 6 and authority.postcode.isdigit()
        assert authority.phone.startswith("0")
        assert Region.objects.filter(code__startswith=authority.region_prefix).exists()
