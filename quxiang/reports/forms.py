from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


def _year_choices(years: list[int]) -> list[tuple[int, str]]:
    return [(y, _("%(y)d 届") % {"y": y}) for y in years]


class YearForm(forms.Form):
    year = forms.TypedChoiceField(label=_("毕业年份"), coerce=int)

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _year_choices(years)


class NationalExportForm(forms.Form):
    year = forms.TypedChoiceField(label=_("毕业年份"), coerce=int)
    verified_only = forms.BooleanField(label=_("只导出已鉴证的毕业生"), required=False)
    full_id = forms.BooleanField(
        label=_("导出完整身份证号"), required=False,
        help_text=_("默认导出脱敏身份证号（前 4 位和后 4 位）。上报教育主管部门等确需完整号码时勾选，并填写用途；导出会记入审计日志。"),
    )
    reason = forms.CharField(label=_("用途说明"), required=False, max_length=200,
                             widget=forms.Textarea(attrs={"rows": 2}))
    by_college = forms.BooleanField(
        label=_("按学院分工作表"), required=False,
        help_text=_("每个学院一个工作表（按学院代码排序）。不勾选时全部学生在一个工作表中。一个工作表最多 1,048,575 行学生，超出时自动续到下一个工作表。"),
    )

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _year_choices(years)

    def clean(self):
        data = super().clean()
        data["reason"] = (data.get("reason") or "").strip()
        if data.get("full_id") and len(data["reason"]) < 4:
            self.add_error("reason", _("导出完整身份证号须填写用途说明（至少 4 个字）。"))
        return data
