import pytest

from quxiang.core.validators import uscc_check_char
from quxiang.organisations.models import Organisation
from quxiang.organisations.selectors import organisation_lookup
from quxiang.reference.models import DestinationType, OriginAuthority, Region
from quxiang.reference.selectors import (
    countries_abroad,
    destination_groups,
    destination_leaves,
    origin_authority_match,
    region_get,
    region_tree,
    region_tree_invalidate,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_region_tree():
    # The tree is cached process-wide; each test's database is rolled back, the cache is not.
    region_tree_invalidate()
    yield
    region_tree_invalidate()


def test_authority_most_specific_first():
    assert origin_authority_match(region_code="330114").region_prefix == "330114"  # county
    assert origin_authority_match(region_code="330106").region_prefix == "3301"  # city
    assert origin_authority_match(region_code="330203").region_prefix == "33"  # province
    assert origin_authority_match(region_code="310115").region_prefix == "310115"
    assert origin_authority_match(region_code="310104").region_prefix == "31"


def test_authority_county_beats_city_beats_province_with_fresh_rows():
    OriginAuthority.objects.create(
        region_prefix="5101", name="成都市", archive_unit="a", address="b", postcode="610000", phone="028-1"
    )
    assert origin_authority_match(region_code="510107").name == "成都市"
    OriginAuthority.objects.create(
        region_prefix="510107", name="武侯区", archive_unit="a", address="b", postcode="610000", phone="028-1"
    )
    assert origin_authority_match(region_code="510107").name == "武侯区"
    assert origin_authority_match(region_code="510104").name == "成都市"
    assert origin_authority_match(region_code="511302").region_prefix == "51"


def test_authority_unknown_region():
    assert origin_authority_match(region_code="710000") is None  # no authority for 台湾省
    assert origin_authority_match(region_code="990101") is None
    assert origin_authority_match(region_code="") is None
    assert origin_authority_match(region_code="abc") is None


def test_region_get():
    assert region_get(code="330114").full_name == "浙江省杭州市钱塘区"
    assert region_get(code="999999") is None
    assert region_get(code="3301") is None
    # Retired through the admin (a save): the copy in process memory goes with it (reference/cache.py).
    county = Region.objects.get(code="330114")
    county.is_active = False
    county.save()
    assert region_get(code="330114") is None


def test_code_tables_held_in_memory_follow_the_admin(django_assert_num_queries):
    from quxiang.reference.cache import reference_cache_invalidate
    from quxiang.reference.models import OrgNature
    from quxiang.reference.selectors import code_get, code_rows, destination_groups

    code_rows(OrgNature), destination_groups(), region_get(code="330114")
    with django_assert_num_queries(0):
        assert [n.code for n in code_rows(OrgNature)][:1] == ["10"]
        assert destination_groups()
        assert region_get(code="330114").full_name == "浙江省杭州市钱塘区"
    nature = OrgNature.objects.get(code="10")
    nature.name = "机关（改）"
    nature.save()
    assert code_rows(OrgNature)[0].name == "机关（改）"
    assert code_get(OrgNature, "10").name == "机关（改）"
    OrgNature.objects.filter(code="10").update(is_active=False)  # a bulk update sends no signal …
    reference_cache_invalidate()  # … so its writer drops the copies
    assert "10" not in [n.code for n in code_rows(OrgNature)]
    assert code_get(OrgNature, "10") is not None  # a record keeps a retired code: still found by key


def test_region_tree_shape():
    tree = region_tree()
    assert len(tree) == 34
    assert set(tree[0]) == {"code", "name", "children"}
    by_code = {p["code"]: p for p in tree}
    zhejiang = by_code["330000"]
    hangzhou = next(c for c in zhejiang["children"] if c["code"] == "330100")
    assert {"code": "330114", "name": "钱塘区", "children": []} in hangzhou["children"]
    # Municipality: districts directly under the province.
    shanghai = by_code["310000"]
    assert any(c["code"] == "310115" and c["children"] == [] for c in shanghai["children"])
    assert by_code["810000"]["children"] == []
    assert region_tree() == tree  # cached


def test_region_tree_follows_edits():
    region_tree()
    region = Region.objects.get(code="330114")
    region.is_active = False
    region.save()
    hangzhou = next(
        c for p in region_tree() if p["code"] == "330000" for c in p["children"] if c["code"] == "330100"
    )
    assert "330114" not in {c["code"] for c in hangzhou["children"]}


def test_destination_leaves_and_groups():
    leaves = list(destination_leaves())
    keys = [leaf.key for leaf in leaves]
    assert "dispatch" not in keys and "labour_contract" in keys
    assert keys[:4] == ["dispatch_general", "dispatch_startup", "dispatch_military", "dispatch_civil_service"]
    assert all(leaf.category_id for leaf in leaves)
    groups = destination_groups()
    assert [g.key for g in groups][:4] == ["dispatch", "further_study", "abroad", "labour_contract"]
    labour = next(g for g in groups if g.key == "labour_contract")
    assert labour.is_standalone and labour.leaves[0].key == "labour_contract"
    dispatch = groups[0]
    assert (
        dispatch.name == "派遣（签订就业协议书）" and len(dispatch.leaves) == 4 and not dispatch.is_standalone
    )

    DestinationType.objects.filter(key="dispatch_startup").update(is_active=False)
    DestinationType.objects.filter(key="grassroots").update(is_active=False)
    keys = [leaf.key for leaf in destination_leaves()]
    assert "dispatch_startup" not in keys and "grassroots_west" not in keys


def test_countries_abroad_order():
    codes = list(countries_abroad().values_list("code", flat=True))
    # 港澳台 first, then by pinyin: 阿尔巴尼亚 (a1 er3 ba1) is the first country.
    assert codes[:4] == ["HK", "MO", "TW", "AL"]


def test_organisation_lookup():
    uscc = "91310115MA1K4A1B2" + uscc_check_char("91310115MA1K4A1B2")
    org = Organisation.objects.create(uscc=uscc, name="测试单位", nature_id="39", region_id="310115")
    assert organisation_lookup(uscc=f" {uscc.lower()} ") == org
    found = organisation_lookup(uscc=f"{uscc[:4]}-{uscc[4:8]} {uscc[8:]}")
    assert found.region.full_name == "上海市浦东新区" and found.nature.name == "其他企业"
    assert organisation_lookup(uscc="91310115MA1K4A1B2") is None
    assert organisation_lookup(uscc="") is None


def test_regions_json_is_encoded_once_and_follows_the_admin(client, django_assert_num_queries):
    import gzip
    import json

    plain = client.get("/reference/regions.json")
    assert plain.status_code == 200 and plain["Content-Type"] == "application/json"
    assert "public" in plain["Cache-Control"] and "Accept-Encoding" in plain["Vary"]
    tree = json.loads(plain.content)
    assert len(tree) == 34
    with django_assert_num_queries(0):
        packed = client.get("/reference/regions.json", HTTP_ACCEPT_ENCODING="gzip, br")
    assert packed["Content-Encoding"] == "gzip" and json.loads(gzip.decompress(packed.content)) == tree
    assert client.get("/reference/regions.json", HTTP_IF_NONE_MATCH=plain["ETag"]).status_code == 304
    county = Region.objects.get(code="330114")
    county.name = "钱塘新区"
    county.save()
    changed = client.get("/reference/regions.json", HTTP_IF_NONE_MATCH=plain["ETag"])
    assert changed.status_code == 200 and "钱塘新区" in changed.content.decode()
