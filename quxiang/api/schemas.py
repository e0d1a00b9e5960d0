"""Request and response shapes of /api/v1 (they make the OpenAPI schema)."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


# NUL can never be part of a code, a 学号 or a password, and PostgreSQL cannot store or compare it.
NO_NUL = r"^[^\x00]+$"


class BindIn(Schema):
    code: str = Field(..., min_length=1, max_length=128, pattern=NO_NUL, description="wx.login() 返回的 code")
    student_number: str = Field(..., min_length=1, max_length=20, pattern=NO_NUL, description="学号")
    password: str = Field(..., min_length=1, max_length=128, pattern=NO_NUL)


class LoginIn(Schema):
    code: str = Field(..., min_length=1, max_length=128, pattern=NO_NUL)


class StudentOut(Schema):
    student_number: str
    name: str
    gender: str
    national_id_masked: str
    education_level: str
    education_level_display: str
    college: str
    major: str
    school_class: str
    origin_region_code: str
    origin_region_name: str
    graduation_year: int
    needs_archive_step: bool
    must_change_password: bool


class PasswordIn(Schema):
    old_password: str = Field(..., min_length=1, max_length=128, pattern=NO_NUL)
    new_password: str = Field(..., min_length=1, max_length=128, pattern=NO_NUL)


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"
    expires_at: dt.datetime
    student: StudentOut


class CodeName(Schema):
    code: str
    name: str


class DestinationLeafOut(Schema):
    key: str
    name: str
    category_code: str | None
    category_name: str | None
    explanation: str
    evidence_hint: str
    org_kind: str
    needs_evidence: bool
    needs_archive: bool


class DestinationGroupOut(Schema):
    key: str
    name: str
    explanation: str
    leaves: list[DestinationLeafOut]


class RegionNode(Schema):
    code: str
    name: str
    children: list[RegionNode] = []


class CountryOut(Schema):
    code: str
    name: str
    is_china_region: bool


class OrganisationOut(Schema):
    uscc: str
    name: str
    shanghai_reg_no: str
    nature: str | None
    industry: str | None
    region: str | None
    region_name: str | None
    address: str
    postcode: str
    contact_name: str
    contact_phone: str
    # E.g. the directory's 单位性质 differs from the one the student's type fixes (which `nature` holds).
    notices: list[str] = []


class TypeIn(Schema):
    destination_type: str = Field(..., min_length=1, max_length=40)


class OrganisationIn(Schema):
    org_uscc: str | None = None
    org_name: str | None = None
    org_shanghai_reg_no: str | None = None
    org_nature: str | None = None
    org_industry: str | None = None
    org_region: str | None = None
    org_address: str | None = None
    org_postcode: str | None = None
    org_contact_name: str | None = None
    org_contact_phone: str | None = None
    job_category: str | None = None
    signed_on: dt.date | None = None
    abroad_country: str | None = None
    abroad_name_original: str | None = None
    programme: str | None = None
    programme_original: str | None = None


class ArchiveIn(Schema):
    origin_authority_name: str | None = None
    archive_destination: str | None = None
    archive_unit: str | None = None
    archive_address: str | None = None
    archive_postcode: str | None = None
    archive_contact: str | None = None
    archive_phone: str | None = None


# 匹配 / 与签约单位相同 answer with the same fields the archive step takes.
ArchiveFillOut = ArchiveIn


class EvidenceOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    uploaded_at: dt.datetime


class EventOut(Schema):
    kind: str
    kind_display: str
    at: dt.datetime
    note: str


class RegistrationOut(Schema):
    id: int
    version: int
    status: str
    status_display: str
    destination_type: str | None
    destination_type_name: str | None
    category_code: str | None
    steps: list[str]
    done_steps: list[str]
    next_step: str
    organisation: OrganisationIn
    archive: ArchiveIn
    evidence: list[EvidenceOut]
    signed_on_label: str = Field(..., description="签约日期 或 录取或签证日期：与表单一致的日期名称")
    submit_guidance: str = Field(..., description="提交后需要做什么（按去向类型需要的佐证材料）")
    notices: list[str] = Field([], description="本次操作需要告知学生的事项，如更换去向类型后删除或需重新确认的材料")
    return_reason: str
    submitted_at: dt.datetime | None
    verified_at: dt.datetime | None
    verification_no: str | None
    changed_from_version: int | None
    events: list[EventOut]


class VersionOut(Schema):
    id: int
    version: int
    status: str
    status_display: str
    destination_type_name: str | None
    submitted_at: dt.datetime | None
    verified_at: dt.datetime | None


class SubmitOut(Schema):
    submitted: bool
    already_submitted: bool
    message: str
    registration: RegistrationOut
