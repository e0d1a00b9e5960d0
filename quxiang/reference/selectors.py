"""Read-only queries over the code tables. Keyword-only, typed; no writes here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce

from quxiang.reference.cache import reference_cached
from quxiang.reference.models import Country, DestinationType, OriginAuthority, Region

# Bump the version when the tree's shape changes; `region_tree_invalidate` clears the current one.
REGION_TREE_CACHE_KEY = "reference:region_tree:v1"
REGION_TREE_CACHE_SECONDS = 24 * 60 * 60


# --- 生源地主管单位 ---------------------------------------------------------------------------


def origin_authority_match(*, region_code: str) -> OriginAuthority | None:
    """The 生源地主管单位 for a region code, most specific first: county (6), city (4), province (2)."""
    code = (region_code or "").strip()
    if len(code) < 2 or not code.isdigit():
        return None
    prefixes = {code[:6], code[:4], code[:2]}
    candidates = list(OriginAuthority.objects.filter(region_prefix__in=prefixes))
    if not candidates:
        return None
    return max(candidates, key=lambda authority: len(authority.region_prefix))


# --- 行政区划 --------------------------------------------------------------------------------


def region_get(*, code: str) -> Region | None:
    """An active region by its six-digit code (None for unknown, retired or malformed codes), with its
    parents. Held in process memory once found (reference/cache.py); misses are not kept."""
    code = (code or "").strip()
    if len(code) != 6 or not code.isdigit():
        return None
    regions = reference_cached("regions", dict)
    region = regions.get(code)
    if region is None:
        region = Region.objects.filter(code=code, is_active=True).select_related("parent__parent").first()
        if region is not None:
            regions[code] = region
    return region


def region_by_code(*, code: str | None) -> Region | None:
    """Any region (active or retired: a record keeps the code it was saved with), from process memory."""
    if not code:
        return None
    regions = reference_cached("regions_any", dict)
    region = regions.get(code)
    if region is None:
        region = Region.objects.filter(code=code).select_related("parent__parent").first()
        if region is not None:
            regions[code] = region
    return region


def region_tree() -> list[dict[str, Any]]:
    """Active regions as a nested tree for the cascading province → city → county picker.

    [{"code": "330000", "name": "浙江省", "children": [{"code": "330100", "name": "杭州市", "children":
    [{"code": "330114", "name": "钱塘区", "children": []}, …]}, …]}, …]

    Municipalities (北京、天津、上海、重庆) and province-administered county-level units have their
    counties directly under the province; cities without counties (东莞、中山…) have no children and are
    selectable themselves. Cached; cleared by `region_tree_invalidate` whenever a Region changes."""
    tree = cache.get(REGION_TREE_CACHE_KEY)
    if tree is None:
        tree = _build_region_tree()
        cache.set(REGION_TREE_CACHE_KEY, tree, REGION_TREE_CACHE_SECONDS)
    return tree


def region_tree_invalidate() -> None:
    cache.delete(REGION_TREE_CACHE_KEY)


def _build_region_tree() -> list[dict[str, Any]]:
    rows = Region.objects.filter(is_active=True).order_by("code").values_list("code", "name", "parent_id")
    nodes: dict[str, dict[str, Any]] = {}
    parents: list[tuple[str, str | None]] = []
    for code, name, parent_id in rows:
        nodes[code] = {"code": code, "name": name, "children": []}
        parents.append((code, parent_id))
    roots: list[dict[str, Any]] = []
    for code, parent_id in parents:
        if parent_id is None:
            roots.append(nodes[code])
        elif parent_id in nodes:
            nodes[parent_id]["children"].append(nodes[code])
        # else: the parent was deactivated, so the branch is hidden with it.
    return roots


# --- 去向类型 --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DestinationGroup:
    """One 一级去向 with the 二级去向 a student can choose under it.

    A top-level type without children (直接签订劳动合同就业, 科研助理) is its own only leaf
    (`is_standalone`)."""

    node: DestinationType
    leaves: list[DestinationType] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.node.key

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def explanation(self) -> str:
        return self.node.explanation

    @property
    def is_standalone(self) -> bool:
        return len(self.leaves) == 1 and self.leaves[0].pk == self.node.pk


def destination_leaves() -> QuerySet[DestinationType]:
    """The types a student can choose: active rows without children, under an active (or no) parent,
    with parent, category and implied nature loaded; ordered by the group's order, then their own."""
    has_children = DestinationType.objects.filter(parent=OuterRef("pk"))
    return (
        DestinationType.objects.filter(is_active=True)
        .filter(~Exists(has_children))
        .filter(Q(parent__isnull=True) | Q(parent__is_active=True))
        .select_related("parent", "category", "implied_nature")
        .annotate(group_sort=Coalesce(F("parent__sort_order"), F("sort_order")))
        .order_by("group_sort", "parent_id", "sort_order", "key")
    )


def destination_leaf_rows() -> list[DestinationType]:
    """`destination_leaves()`, held in process memory (reference/cache.py)."""
    return reference_cached("destination_leaves", lambda: list(destination_leaves()))


def destination_type_get(*, key: str | None) -> DestinationType | None:
    """Any destination type (active or not: a record keeps its type) with parent, category and implied
    nature, from process memory."""
    if not key:
        return None
    types = reference_cached("destination_types", lambda: {
        t.pk: t for t in DestinationType.objects.select_related("parent", "category", "implied_nature")})
    return types.get(key)


def destination_groups() -> list[DestinationGroup]:
    """Leaves grouped under their 一级去向, in display order (no query once the process holds them)."""
    return reference_cached("destination_groups", _build_destination_groups)


def _build_destination_groups() -> list[DestinationGroup]:
    groups: dict[str, DestinationGroup] = {}
    for leaf in destination_leaf_rows():
        node = leaf.parent or leaf
        group = groups.get(node.key)
        if group is None:
            group = groups[node.key] = DestinationGroup(node=node)
        group.leaves.append(leaf)
    return list(groups.values())


# --- 国家和地区 ------------------------------------------------------------------------------


def countries_abroad() -> QuerySet[Country]:
    """Destinations abroad: 中国香港 / 中国澳门 / 中国台湾 first (a group of their own), then every other
    country by the pinyin of its Chinese name (an office's ``sort_order`` below 100 pins one earlier)."""
    return Country.objects.order_by("-is_china_region", "sort_order", "name_pinyin", "code")


def country_rows() -> list[Country]:
    """`countries_abroad()`, held in process memory."""
    return reference_cached("countries", lambda: list(countries_abroad()))


# --- 单位性质、行业、职位类别 and the other small tables -------------------------------------------


def code_rows(model: type[Any]) -> list[Any]:
    """The active rows of a code table (OrgNature, Industry, JobCategory), in its order, from process memory."""
    label = model._meta.label_lower
    return reference_cached(f"codes:{label}", lambda: list(model.objects.filter(is_active=True)))


def code_get(model: type[Any], pk: Any) -> Any | None:
    """Any row (active or not) of a small reference table by primary key, from process memory."""
    if pk in (None, ""):
        return None
    label = model._meta.label_lower
    rows = reference_cached(f"all:{label}", lambda: {str(r.pk): r for r in model.objects.all()})
    return rows.get(str(pk))
