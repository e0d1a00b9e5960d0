"""Validation of each wizard step. The web views and the JSON API both validate through these forms."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from quxiang.core import validators as v
from quxiang.reference.forms import CachedModelChoiceField, CountryChoiceField
from quxiang.reference.models import DestinationType, Industry, JobCategory, OrgKind, OrgNature
from quxiang.reference.selectors import code_rows, destination_leaf_rows, destination_leaves, region_get
from quxiang.registrations.models import ArchiveDestination
from quxiang.registrations.rules import (
    ARCHIVE_TO_EMPLOYER_ONLY,
    ORG_KIND_FIELDS,
    implied_nature_message,
    signed_on_label,
)


class RegionPickerWidget(forms.HiddenInput):
    """A hidden code filled by cascading province → city → county selects (static/js/region-picker.js)."""

    template_name = "widgets/region_picker.html"


class RegionField(forms.CharField):
    widget = RegionPickerWidget

    def to_python(self, value):
        code = super().to_python(value)
        if not code:
            return None
        region = region_get(code=code)
        if region is None:
            raise ValidationError(_("请选择有效的所在地（省 / 市 / 区县）。"), code="region")
        return region

    def prepare_value(self, value):
        return getattr(value, "code", value)


class TypeForm(forms.Form):
    destination_type = CachedModelChoiceField(
        queryset=destination_leaves(), rows=destination_leaf_rows, label=_("毕业去向"), widget=forms.RadioSelect,
        error_messages={"required": _("请选择毕业去向类型。"), "invalid_choice": _("请选择有效的毕业去向类型。")},
    )


class OrganisationForm(forms.Form):
    """Step 2. Which fields appear and which are required depends on the type's org_kind."""

    org_uscc = forms.CharField(label=_("统一社会信用代码"), max_length=30)
    org_name = forms.CharField(label=_("单位名称"), max_length=200)
    org_shanghai_reg_no = forms.CharField(label=_("单位信息登记号"), max_length=20, required=False,
                                          help_text=_("上海单位必填，可在上海市大学生就业服务平台办理；外地单位可不填。"))
    org_nature = CachedModelChoiceField(queryset=OrgNature.objects.filter(is_active=True), rows=lambda: code_rows(OrgNature), label=_("单位性质"), empty_label=_("请选择"))
    org_industry = CachedModelChoiceField(queryset=Industry.objects.filter(is_active=True), rows=lambda: code_rows(Industry), label=_("单位行业"), empty_label=_("请选择"))
    org_region = RegionField(label=_("单位所在地"))
    org_address = forms.CharField(label=_("单位地址"), max_length=200)
    org_postcode = forms.CharField(label=_("邮编"), max_length=10)
    org_contact_name = forms.CharField(label=_("联系人"), max_length=50)
    org_contact_phone = forms.CharField(label=_("联系电话"), max_length=30)
    job_category = CachedModelChoiceField(queryset=JobCategory.objects.filter(is_active=True), rows=lambda: code_rows(JobCategory), label=_("工作职位类别"), empty_label=_("请选择"))
    signed_on = forms.DateField(label=_("签约日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    abroad_country = CountryChoiceField(label=_("国家（地区）"), empty_label=_("请选择"))
    abroad_name_original = forms.CharField(label=_("学校或单位外文名称"), max_length=200)
    programme = forms.CharField(label=_("专业或岗位"), max_length=200)
    programme_original = forms.CharField(label=_("专业或岗位外文名称"), max_length=200, required=False)

    # Which fields each kind shows and requires: the one table in rules.py (saves and submits use it too).
    FIELDS = ORG_KIND_FIELDS

    def __init__(self, *args, destination_type: DestinationType | None = None, org_kind: str | None = None,
                 is_study: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if destination_type is not None:
            org_kind, is_study = destination_type.org_kind, destination_type.key == "abroad_study"
        self.org_kind = org_kind
        # A type with a fixed 单位性质 (部队录用 → 部队, 公务员录用 → 机关) takes no other.
        self.implied_type = destination_type if destination_type and destination_type.implied_nature_id else None
        spec = self.FIELDS[org_kind]
        keep = spec["required"] + spec["optional"]
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        for name in spec["optional"]:
            self.fields[name].required = False
        if org_kind == OrgKind.SCHOOL:
            self.fields["org_name"].label = _("录取学校全称")
            self.fields["org_uscc"].help_text = _("可向录取学校获取，或在全国组织机构统一社会信用代码数据服务中心查询。")
            self.fields["org_region"].label = _("学校所在地")
        if org_kind == OrgKind.ABROAD:
            self.fields["org_name"].label = _("学校或单位中文名称")
            self.fields["programme"].label = _("就读专业") if is_study else _("工作岗位")
            self.fields["programme_original"].label = _("专业外文名称") if is_study else _("岗位外文名称")
        if "signed_on" in self.fields:
            self.fields["signed_on"].label = signed_on_label(org_kind=org_kind)
        if self.implied_type is not None:
            self.fields["org_nature"].help_text = _("“%(type)s”的单位性质为“%(nature)s”。") % {
                "type": self.implied_type.name, "nature": self.implied_type.implied_nature.name}
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"id_{name}")

    def clean_org_nature(self):
        nature = self.cleaned_data["org_nature"]
        dtype = self.implied_type
        if dtype is not None and nature is not None and nature.pk != dtype.implied_nature_id:
            raise ValidationError(implied_nature_message(destination_type=dtype), code="implied_nature")
        return nature

    def clean_org_uscc(self):
        return v.validate_uscc(self.cleaned_data["org_uscc"])

    def clean_org_postcode(self):
        value = self.cleaned_data.get("org_postcode", "")
        return v.validate_postcode(value) if value else value

    def clean_org_contact_phone(self):
        return v.validate_phone(self.cleaned_data["org_contact_phone"])

    def clean_org_shanghai_reg_no(self):
        value = self.cleaned_data.get("org_shanghai_reg_no", "").strip()
        return v.validate_shanghai_reg_no(value) if value else value

    def clean(self):
        data = super().clean()
        region = data.get("org_region")
        if (
            self.org_kind == OrgKind.EMPLOYER and region is not None and region.is_shanghai
            and not data.get("org_shanghai_reg_no") and "org_shanghai_reg_no" not in self.errors
        ):
            self.add_error("org_shanghai_reg_no", _("上海单位必须填写单位信息登记号。"))
        if self.org_kind == OrgKind.ABROAD:
            data["org_region"] = None  # 所在地区 is 境外
        return data


class ArchiveForm(forms.Form):
    """Step 4 (undergraduates only): 生源地主管单位 and 档案接收信息."""

    origin_authority_name = forms.CharField(label=_("生源地主管单位名称"), max_length=100)
    archive_destination = forms.ChoiceField(
        label=_("档案去向"), choices=ArchiveDestination.choices, widget=forms.RadioSelect
    )
    archive_unit = forms.CharField(label=_("档案接收单位"), max_length=200)
    archive_address = forms.CharField(label=_("档案接收地址"), max_length=200)
    archive_postcode = forms.CharField(label=_("邮编"), max_length=10)
    archive_contact = forms.CharField(label=_("联系人"), max_length=50, required=False)
    archive_phone = forms.CharField(label=_("联系电话"), max_length=30)

    def __init__(self, *args, org_kind: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.org_kind = org_kind

    def clean_archive_destination(self):
        value = self.cleaned_data["archive_destination"]
        # 与签约单位相同 needs a 签约单位: a school or an institution abroad does not keep personnel files here.
        if value == ArchiveDestination.EMPLOYER and self.org_kind is not None and self.org_kind != OrgKind.EMPLOYER:
            raise ValidationError(ARCHIVE_TO_EMPLOYER_ONLY, code="archive_to_employer")
        return value

    def clean_archive_postcode(self):
        return v.validate_postcode(self.cleaned_data["archive_postcode"])

    def clean_archive_phone(self):
        return v.validate_phone(self.cleaned_data["archive_phone"])
