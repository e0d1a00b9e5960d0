"""The API lookup follows a merged-away USCC to the surviving organisation, as the web 检索匹配 does."""

from __future__ import annotations

import pytest

from quxiang.organisations.models import Organisation
from quxiang.organisations.services import organisation_merge
from quxiang.testing.factories import make_uscc

pytestmark = pytest.mark.django_db


def test_api_lookup_by_a_merged_code_returns_the_survivor(bound_student):
    keep = Organisation.objects.create(uscc=make_uscc(serial="MA1AL0100"), name="上海合并后科技有限公司")
    remove = Organisation.objects.create(uscc=make_uscc(serial="MA1AL0101"), name="上海合并前科技有限公司")
    organisation_merge(keep=keep, remove=remove)

    body = bound_student.ok(bound_student.get(f"/organisations/{remove.uscc}"))

    assert (body["uscc"], body["name"]) == (keep.uscc, "上海合并后科技有限公司")
