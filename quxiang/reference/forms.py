"""Form fields over the code tables, shared by every form that offers them. The rows come from process
memory (reference/cache.py), not from a query per form: a field still cleans to the model instance, and
an unknown or retired code is still refused with ModelChoiceField's message."""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from quxiang.reference.selectors import countries_abroad, country_rows


class _CachedIterator(forms.models.ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.field.rows():
            yield self.choice(obj)

    def __len__(self):
        return len(self.field.rows()) + (self.field.empty_label is not None)

    def __bool__(self):
        return self.field.empty_label is not None or bool(self.field.rows())


class CodeSelect(forms.Select):
    """The same <select> markup as Django's select.html / select_option.html / attrs.html, written in
    Python: the template version includes two templates per <option>, and the organisation step's three
    code tables made it the slowest part of the page (≈ 3 ms of its ≈ 6.5 ms)."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(v) for v in self.format_value(value)}
        parts = [format_html("<select name=\"{}\"{}>", name, flatatt(self.build_attrs(self.attrs, attrs)))]

        def option(choice_value, label) -> str:
            key = "" if choice_value is None else str(choice_value)
            mark = " selected" if key in selected else ""
            return f'\n  <option value="{conditional_escape(key)}"{mark}>{conditional_escape(label)}</option>'

        for choice_value, label in self.choices:
            if isinstance(label, (list, tuple)):
                parts.append(format_html('\n  <optgroup label="{}">', choice_value))
                parts.extend(option(v, lbl) for v, lbl in label)
                parts.append("\n  </optgroup>")
            else:
                parts.append(option(choice_value, label))
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value and label is escaped above


class CachedModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField whose choices are `rows()` (a cached list of instances). `queryset` stays the
    declaration of what the rows are (admin, introspection); it is not evaluated."""

    iterator = _CachedIterator
    widget = CodeSelect

    def __init__(self, *, rows: Callable[[], list[Any]], **kwargs):
        self.rows = rows
        super().__init__(**kwargs)

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result.rows = self.rows
        return result

    def to_python(self, value):
        if value in self.empty_values:
            return None
        key = self.to_field_name or "pk"
        if isinstance(value, self.queryset.model):
            value = getattr(value, key)
        for obj in self.rows():
            if str(getattr(obj, key)) == str(value):
                return obj
        raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})


class _GroupedCountryIterator(_CachedIterator):
    """中国香港 / 中国澳门 / 中国台湾 in an <optgroup> of their own, then the other countries by pinyin."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for is_china_region, rows in groupby(self.field.rows(), key=lambda c: c.is_china_region):
            label = _("中国港澳台地区") if is_china_region else _("其他国家和地区")
            yield (label, [self.choice(c) for c in rows])


class CountryChoiceField(CachedModelChoiceField):
    iterator = _GroupedCountryIterator

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", countries_abroad())
        kwargs.setdefault("rows", country_rows)
        super().__init__(**kwargs)
