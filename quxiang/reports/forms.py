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


def _profile_choices(profiles) -> list[tuple[int, str]]:
    return [(p.pk, str(p)) for p in profiles]


class NationalExportForm(forms.Form):
    year = forms.TypedChoiceField(label=_("毕业年份"), coerce=int)
    profile = forms.TypedChoiceField(
        label=_("文件格式"), coerce=int, required=False, empty_value=None,
        help_text=_("选择上报格式时，表头为字段代码，代码值按上报系统的代码表填写，可直接导入；"
                    "“本校格式”为中文表头，供校内核对。"),
    )
    clean_only = forms.BooleanField(
        label=_("只导出通过预检的记录"), required=False,
        help_text=_("不勾选时全部导出，有问题的记录也在文件中（上报系统会逐条拒收）。请先查看预检结果。"),
    )
    verified_only = forms.BooleanField(label=_("只导出已鉴证的毕业生"), required=False)
    full_id = forms.BooleanField(
        label=_("导出完整身份证号"), required=False,
        help_text=_("默认导出脱敏身份证号（前 4 位和后 4 位）。上报教育主管部门等确需完整号码时勾选，并填写用途；导出会记入审计日志。"),
    )
    reason = forms.CharField(label=_("用途说明"), required=False, max_length=200,
                             widget=forms.Textarea(attrs={"rows": 2}))
    by_college = forms.BooleanField(
        label=_("按学院分工作表"), required=False,
        help_text=_("每个学院一个工作表（按学院代码排序），仅用于本校格式；上报格式始终为一个工作表。不勾选时全部学生在一个工作表中。一个工作表最多 1,048,575 行学生，超出时自动续到下一个工作表。"),
    )

    def __init__(self, *args, years: list[int], profiles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _year_choices(years)
        self.fields["profile"].choices = [("", _("本校格式（中文表头）"))] + _profile_choices(profiles)

    def clean(self):
        data = super().clean()
        data["reason"] = (data.get("reason") or "").strip()
        if data.get("full_id") and len(data["reason"]) < 4:
            self.add_error("reason", _("导出完整身份证号须填写用途说明（至少 4 个字）。"))
        return data


class PrecheckForm(forms.Form):
    year = forms.TypedChoiceField(label=_("毕业年份"), coerce=int)
    profile = forms.TypedChoiceField(label=_("上报格式"), coerce=int)

    def __init__(self, *args, years: list[int], profiles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _year_choices(years)
        self.fields["profile"].choices = _profile_choices(profiles)


class SchoolSettingsForm(forms.Form):
    school_code = forms.RegexField(label=_("院校代码"), regex=r"^\d{5}$", max_length=5,
                                   error_messages={"invalid": _("院校代码应为 5 位数字。")},
                                   help_text=_("教育部颁发的 5 位院校代码。"))
    school_name = forms.CharField(label=_("院校名称"), max_length=100)
    authority_code = forms.RegexField(label=_("隶属部门代码"), regex=r"^\d{1,10}$", max_length=10,
                                      error_messages={"invalid": _("隶属部门代码应为数字。")},
                                      help_text=_("如 360（教育部）或所在省份主管部门的代码。"))
    authority_name = forms.CharField(label=_("隶属部门"), max_length=100)


class ProfileImportForm(forms.Form):
    file = forms.FileField(label=_("格式文件（xlsx）"),
                           help_text=_("先“下载格式”，修改后上传；导入后成为该格式的新版本，旧版本保留。"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > 2 * 1024 * 1024:
            raise forms.ValidationError(_("文件不能超过 2 MB。"))
        return f
