"""The Python-written widgets give byte for byte the markup of Django's widget templates."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.safestring import mark_safe
from hypothesis import given, settings
from hypothesis import strategies as st

from quxiang.core.renderers import WidgetRenderer

WIDGETS = [forms.TextInput, forms.EmailInput, forms.NumberInput, forms.DateInput, forms.TimeInput,
           forms.HiddenInput, forms.PasswordInput, forms.URLInput, forms.Textarea, forms.CheckboxInput]

text = st.text(alphabet=st.sampled_from(list("ab中文<>&\"' =\n") + ["\x00"]), max_size=12)
attr_value = st.one_of(text, st.booleans(), st.integers(-5, 500), st.none(), text.map(mark_safe))
attrs = st.dictionaries(st.sampled_from(["class", "maxlength", "placeholder", "required", "disabled",
                                         "autocomplete", "data-x", "inputmode"]), attr_value, max_size=4)
value = st.one_of(st.none(), text, st.integers(-10, 10**6), st.booleans(), text.map(mark_safe))


@pytest.mark.parametrize("widget_class", WIDGETS, ids=lambda w: w.__name__)
@settings(max_examples=60, deadline=None)
@given(value=value, attrs=attrs)
def test_same_markup_as_the_templates(widget_class, value, attrs):
    widget = widget_class(attrs=attrs)
    assert widget.render("org_name", value, renderer=WidgetRenderer()) == widget.render(
        "org_name", value, renderer=TemplatesSetting())


def test_other_widgets_still_use_their_templates():
    widget = forms.RadioSelect(choices=[("a", "甲"), ("b", "乙")])
    assert widget.render("kind", "a", renderer=WidgetRenderer()) == widget.render(
        "kind", "a", renderer=TemplatesSetting())


def test_the_project_form_renderer_is_this_one():
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), WidgetRenderer)


class _Sample(forms.Form):
    name = forms.CharField(label="单位名称 <b>", max_length=5, help_text="按协议书 & 填写")
    note = forms.CharField(label="备注", required=False, widget=forms.Textarea)
    kind = forms.ChoiceField(label="去向", choices=[("a", "甲"), ("b", "乙")], widget=forms.RadioSelect)
    day = forms.DateField(label="日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))


@pytest.mark.parametrize("data", [None, {}, {"name": "太长的单位名称<>", "kind": "c", "day": "x"},
                                  {"name": "好", "kind": "a", "note": "<script>"}])
def test_field_row_is_the_partial_template(data):
    """`{{ field.as_field_group }}` gives what `{% include "partials/field.html" %}` gave, errors and all."""
    from django.template import Context, Template

    form = _Sample(data=data) if data is not None else _Sample()
    form.is_valid() if data is not None else None
    include = Template('{% include "partials/field.html" %}')
    for field in form:
        assert field.as_field_group() == include.render(Context({"field": field})), field.name
