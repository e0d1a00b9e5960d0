"""How an audit entry's ``detail`` reads in the office's log: Chinese labels, not the stored JSON keys.

The keys are written by the apps above audit (reviews, reports, integrity, imports, accounts, evidence);
audit may not import them, so the few coded values that appear in a detail (an export's kind, a
statistics table, a call outcome) are labelled here as plain data. A key nobody labelled yet is still
shown (as stored) rather than hidden, so nothing in the log disappears.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

KEY_LABELS: dict[str, Any] = {
    # records and decisions
    "verification_no": _("鉴证编号"),
    "reason": _("原因"),
    "from_version": _("原版本"),
    "reopened_version": _("重新开放的版本"),
    "cancelled_version": _("撤销的版本"),
    "files_removed": _("删除的材料数"),
    # evidence and accounts
    "evidence_id": _("材料编号"),
    "name": _("文件名"),
    "username": _("账号"),
    "channel": _("渠道"),
    "door": _("入口"),
    "failures": _("失败次数"),
    "locked_until": _("锁定至"),
    # exports and reminders
    "what": _("内容"),
    "year": _("届别"),
    "table": _("统计表"),
    "rows": _("行数"),
    "full_id": _("完整身份证号"),
    "verified_only": _("仅已鉴证"),
    "recipients": _("收件人数"),
    "profile": _("上报格式"),
    "clean_only": _("仅导出通过预检的记录"),
    "from": _("原版本"),
    "to": _("新版本"),
    # sampling and follow-ups
    "run": _("抽查批次"),
    "seed": _("随机种子"),
    "percentage": _("抽查比例（%）"),
    "placed_only": _("仅已落实"),
    "sampled": _("抽取人数"),
    "outcome": _("回访结果"),
    "previous": _("原回访结果"),
    "note": _("说明"),
    "follow_up": _("核实待办编号"),
    "resolution": _("核实结果"),
    # integrity findings (integrity/findings.py)
    "finding": _("核查线索编号"),
    "check": _("检查项"),
    "records": _("涉及记录"),
    "record_count": _("涉及记录数"),
    "same_data_findings": _("同一数据的其他届别线索"),
    "job_id": _("检查任务"),
    "created": _("新增线索"),
    "moved": _("数据变化后更新"),
    "seen": _("再次发现"),
    "gone": _("不再出现"),
    "findings": _("新增线索编号"),
    # roster import, exports (the background job that did it)
    "job": _("后台任务"),
    "rows_total": _("总行数"),
    "rows_new": _("新增"),
    "rows_updated": _("更新"),
    "rows_unchanged": _("无变化"),
    "rows_error": _("有误行"),
    "classes_new": _("新增班级"),
    "counselor_links_new": _("新增辅导员关联"),
}

# Coded values, by the key they appear under.
VALUE_LABELS: dict[str, dict[str, Any]] = {
    "what": {
        "national_export": _("全国就业数据导出"),
        "statistics": _("统计表"),
        "unregistered": _("未登记名单"),
        "school_settings": _("院校信息（上报用）"),
        "export_profile_copy": _("上报格式复制为新版本"),
        "export_profile_import": _("上报格式从 xlsx 载入为新版本"),
    },
    "table": {
        "summary": _("总体"), "college": _("按学院"), "major": _("按专业"), "level": _("按学历层次"),
        "gender": _("按性别"), "category": _("按毕业去向类别"),
    },
    "outcome": {
        "pending": _("待回访"), "confirmed": _("核实无误"), "mismatch": _("情况不符"), "unreachable": _("无法联系"),
    },
    "channel": {"web": _("网页"), "api": _("小程序")},
    # integrity check keys (integrity/checks.py, evidence_checks.py), repeated here as plain data
    "check": {
        "evidence_reuse": _("佐证材料重复使用"), "uscc_name": _("同一信用代码、不同单位名称"),
        "uscc_region": _("单位所在地与信用代码不符"), "phone_shared": _("多家单位使用同一联系电话"),
        "phone_own": _("单位电话为学生本人手机"), "flexible_share": _("灵活就业、自由职业、自主创业比例异常"),
        "quick_verify": _("提交后数秒内批量鉴证"), "evidence_mismatch": _("材料内容与登记不符"),
        "evidence_near_duplicate": _("不同学生的材料内容雷同"), "class_cluster": _("班级内灵活就业异常集中"),
    },
    # accounts.authentication.Door (the lockout's entry), repeated here as plain data
    "door": {
        "web_login": _("网页登录"), "admin_login": _("管理后台登录"), "web_password": _("网页修改密码"),
        "api_bind": _("小程序绑定"), "api_login": _("小程序登录"), "api_password": _("小程序修改密码"),
    },
}
VALUE_LABELS["previous"] = VALUE_LABELS["outcome"]


def audit_detail_value(*, key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if isinstance(value, list | tuple):
        return "、".join(audit_detail_value(key=key, value=v) for v in value)
    label = VALUE_LABELS.get(key, {}).get(str(value))
    return str(label) if label is not None else str(value)


def audit_detail_items(*, detail: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(label, value) pairs in the order they were written."""
    if not isinstance(detail, dict):
        return [] if not detail else [(str(_("详情")), str(detail))]
    return [(str(KEY_LABELS.get(key, key)), audit_detail_value(key=key, value=value)) for key, value in detail.items()]
