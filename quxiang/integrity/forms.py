from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from quxiang.integrity.conf import integrity_setting
from quxiang.integrity.models import Outcome
from quxiang.integrity.services import SEED_MAX


class YearForm(forms.Form):
    year = forms.TypedChoiceField(label=_("毕业年份"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("全部届别"))] + [(y, _("%(y)d 届") % {"y": y}) for y in years]


class SampleDrawForm(YearForm):
    percentage = forms.IntegerField(
        label=_("抽样比例（%）"), min_value=1, max_value=100,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("按学院分别抽取，每个有已鉴证记录的学院至少抽 1 条。"),
    )
    seed = forms.IntegerField(
        label=_("随机种子"), required=False, min_value=0, max_value=SEED_MAX,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("留空则自动生成。使用相同的种子、在相同的数据上抽取，结果相同，可供复核。"),
    )

    placed_only = forms.BooleanField(
        label=_("仅抽已落实去向"), required=False, initial=True,
        help_text=_("不抽待就业、暂不就业的记录（它们不计入落实率）。"),
    )

    field_order = ["year", "percentage", "seed", "placed_only"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["percentage"].initial = integrity_setting("SAMPLE_DEFAULT_PERCENTAGE")


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("回访结果"), choices=[(k, v) for k, v in Outcome.choices if k != Outcome.PENDING]
    )
    note = forms.CharField(label=_("回访说明"), required=False, max_length=2000,
                           widget=forms.TextInput(attrs={"placeholder": _("如：已电话联系用人单位人事部，确认录用")}))


class SendBackForm(forms.Form):
    note = forms.CharField(label=_("需要辅导员核实的内容"), min_length=2, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))
    reopen = forms.BooleanField(label=_("同时为学生开放变更（学生需修改后重新提交鉴证）"), required=False)


class ResolveForm(forms.Form):
    resolution = forms.CharField(label=_("核实结果"), min_length=2, max_length=2000,
                                 widget=forms.Textarea(attrs={"rows": 2}))


class FindingDecisionForm(forms.Form):
    """确认 / 排除 a finding (one form, two buttons); the service insists on a reason for 排除."""

    decision = forms.ChoiceField(choices=[("confirm", _("确认属实")), ("dismiss", _("排除"))])
    reason = forms.CharField(label=_("处理说明"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))
