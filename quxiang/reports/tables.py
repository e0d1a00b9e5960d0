"""The statistics as tables: one definition drives the page, the xlsx downloads and the chart data."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from quxiang.reports.selectors import STATES, CohortStatistics, Tally, state_labels


@dataclass(frozen=True)
class Pct:
    """A rate in percent (None when the group is empty). Prints as 85.3% on the page, a number in xlsx."""

    value: float | None

    def __str__(self) -> str:
        return "—" if self.value is None else f"{self.value:.1f}%"


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list]  # cells: str (text), int (count) or Pct
    text_columns: int  # how many leading columns are text (labels, codes)


def _counts(t: Tally) -> list:
    return [t.total, *(t.states[s] for s in STATES), t.placed, Pct(t.placement_rate),
            Pct(t.placement_rate_incl_pending), Pct(t.knowledge_rate)]


def _count_columns() -> list[str]:
    labels = state_labels()
    return [_("毕业生人数"), *(labels[s] for s in STATES), _("已落实（已鉴证）"), _("去向落实率"),
            _("含待鉴证落实率"), _("去向知晓率")]


def statistics_tables(stats: CohortStatistics) -> dict[str, Table]:
    counts = _count_columns()
    tables = [
        Table("summary", _("总体"), [_("范围"), *counts], [[stats.overall.label, *_counts(stats.overall)]], 1),
        Table("college", _("按学院"), [_("学院代码"), _("学院"), *counts],
              [[t.extra["code"], t.label, *_counts(t)] for t in stats.by_college], 2),
        Table("major", _("按专业"), [_("学院"), _("专业代码"), _("专业"), _("学历层次"), *counts],
              [[t.extra["college"], t.extra["code"], t.label, t.extra["level"], *_counts(t)] for t in stats.by_major], 4),
        Table("level", _("按学历层次"), [_("学历层次"), *counts], [[t.label, *_counts(t)] for t in stats.by_level], 1),
        Table("gender", _("按性别"), [_("性别"), *counts], [[t.label, *_counts(t)] for t in stats.by_gender], 1),
    ]
    total = stats.overall.total
    tables.append(Table(
        "category", _("按毕业去向类别（已鉴证）"),
        [_("类别代码"), _("毕业去向类别"), _("计入落实"), _("已鉴证人数"), _("占毕业生比例"), _("待鉴证人数")],
        [[c.code, c.name, _("是") if c.is_placed else _("否"), c.verified,
          Pct(round(100.0 * c.verified / total, 1) if total else None), c.pending] for c in stats.by_category],
        3,
    ))
    return {t.key: t for t in tables}


def chart_data(stats: CohortStatistics) -> dict:
    """What static/js/reports.js draws; labels come from here so that they are translated."""
    labels = state_labels()
    colleges = stats.by_college
    return {
        "labels": {
            "placement": _("去向落实率"), "placement_pending": _("含待鉴证落实率"), "knowledge": _("去向知晓率"),
            "rates_title": _("各学院去向落实率（%）"), "categories_title": _("已鉴证毕业去向类别"),
            "status_title": _("各学院登记状态（人）"),
        },
        "colleges": [t.label for t in colleges],
        "placement": [t.placement_rate for t in colleges],
        "placement_pending": [t.placement_rate_incl_pending for t in colleges],
        "knowledge": [t.knowledge_rate for t in colleges],
        "categories": [{"name": f"{c.code} {c.name}".strip(), "value": c.verified} for c in stats.by_category if c.verified],
        "states": [{"name": labels[s], "key": s, "data": [t.states[s] for t in colleges]} for s in STATES],
    }
