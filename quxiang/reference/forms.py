"""Form fields over the code tables, shared by every form that offers them."""

from __future__ import annotations

from itertools import groupby

from django import forms
from django.utils.translation import gettext_lazy as _

from quxiang.reference.selectors import countries_abroad


class _GroupedCountryIterator(forms.models.ModelChoiceIterator):
    """中国香港 / 中国澳门 / 中国台湾 in an <optgroup> of their own, then the other countries by pinyin."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for is_china_region, rows in groupby(self.queryset, key=lambda c: c.is_china_region):
            label = _("中国港澳台地区") if is_china_region else _("其他国家和地区")
            yield (label, [self.choice(c) for c in rows])


class CountryChoiceField(forms.ModelChoiceField):
    iterator = _GroupedCountryIterator

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", countries_abroad())
        super().__init__(**kwargs)
