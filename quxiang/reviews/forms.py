from django import forms
from django.utils.translation import gettext_lazy as _

from quxiang.registrations.models import Status


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"), required=False,
        choices=[("", _("全部"))] + [(k, v) for k, v in Status.choices if k != Status.SUPERSEDED],
    )
    school_class = forms.TypedChoiceField(label=_("班级"), required=False, coerce=int, empty_value=None)
    major = forms.TypedChoiceField(label=_("专业"), required=False, coerce=int, empty_value=None)
    destination_type = forms.ChoiceField(label=_("去向类型"), required=False)
    q = forms.CharField(label=_("学号 / 姓名"), required=False, max_length=50)

    def __init__(self, *args, classes, majors, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school_class"].choices = [("", _("全部班级"))] + [(c.pk, c.name) for c in classes]
        self.fields["major"].choices = [("", _("全部专业"))] + [(m.pk, str(m)) for m in majors]
        types: list = [("", _("全部类型"))]
        for group in groups:
            if group.is_standalone:
                types.append((group.key, group.name))
            else:  # a 一级去向 selects all its 二级去向
                types.append((group.key, _("%(name)s（全部）") % {"name": group.name}))
                types += [(leaf.key, f"　{leaf.name}") for leaf in group.leaves]
        self.fields["destination_type"].choices = types


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("退回原因"), max_length=1000, min_length=2, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写退回原因，学生会在登记页面看到它。"),
                        "min_length": _("请填写退回原因，学生会在登记页面看到它。")},
    )


class ReminderForm(forms.Form):
    message = forms.CharField(
        label=_("提醒内容"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        initial=_("请尽快登录就业信息服务网完成毕业去向登记；已被退回的同学请按退回原因修改后重新提交。"),
    )
