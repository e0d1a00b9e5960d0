"""The mini-program's JSON API, /api/v1/. Same forms, services and selectors as the web pages."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from ninja import File, NinjaAPI, Router
from ninja import Status as Reply
from ninja.files import UploadedFile
from ninja.security import HttpBearer

from quxiang.accounts.access import get_for_user
from quxiang.accounts.forms import ChangePasswordForm
from quxiang.api import errors, services
from quxiang.api.errors import ApiError
from quxiang.api.idempotency import idempotent
from quxiang.api.schemas import (
    ArchiveFillOut,
    ArchiveIn,
    BindIn,
    CodeName,
    CountryOut,
    DestinationGroupOut,
    ErrorOut,
    EvidenceOut,
    LoginIn,
    OrganisationIn,
    OrganisationOut,
    PasswordIn,
    RegionNode,
    RegistrationOut,
    StudentOut,
    SubmitOut,
    TokenOut,
    TypeIn,
    VersionOut,
)
from quxiang.api.serializers import evidence_out, organisation_out, registration_out, student_out
from quxiang.core.http import client_ip
from quxiang.core.ratelimit import rate_limit_exceeded
from quxiang.core.validators import validate_uscc
from quxiang.evidence.checks import too_large_message
from quxiang.evidence.models import EvidenceFile
from quxiang.evidence.services import evidence_add, evidence_remove
from quxiang.organisations.selectors import organisation_lookup
from quxiang.reference import selectors as ref
from quxiang.reference.models import Industry, JobCategory, OrgNature
from quxiang.registrations import changes, selectors
from quxiang.registrations import services as reg_services
from quxiang.registrations.forms import ArchiveForm, OrganisationForm, TypeForm
from quxiang.registrations.models import Registration, Status, Step
from quxiang.registrations.services import RegistrationStateError
from quxiang.registrations.sheet import registration_sheet_response
from quxiang.roster.models import Student

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut,
          429: ErrorOut, 500: ErrorOut, 502: ErrorOut, 503: ErrorOut, 504: ErrorOut}


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = services.api_token_user(token=token)
        if user is None or not user.is_student:
            return None
        request.user = user  # the access helper and the services take the user
        return user


api = NinjaAPI(
    title="Quxiang 毕业去向登记 API", version="1", description="供“就业”微信小程序使用的接口。错误统一为 {code, message, fields}。",
    urls_namespace="api", openapi_url="/openapi.json", docs_url="/docs", auth=TokenAuth(),
)
errors.install(api)
v1 = Router()


def _student(request) -> Student:
    return get_for_user(user=request.auth, model=Student.objects.select_related(
        "college", "major", "school_class", "origin_region"), user_id=request.auth.pk)


def _rate_limit(request, *parts: str) -> None:
    limit, window = settings.QUXIANG["API_AUTH_RATE"]
    for part in (client_ip(request) or "-", *parts):
        digest = hashlib.sha256(part.encode()).hexdigest()[:32]
        if rate_limit_exceeded(key=f"api-auth:{digest}", limit=limit, window_seconds=window):
            raise ApiError(429, "rate_limited", _("操作过于频繁，请一分钟后再试。"))


def _token_response(user) -> dict:
    token, expires = services.api_token_issue(user=user)
    student = Student.objects.select_related("college", "major", "school_class", "origin_region").get(user=user)
    return {"token": token, "token_type": "Bearer", "expires_at": expires, "student": student_out(student)}


# --- binding and tokens ----------------------------------------------------------------------


@v1.post("/auth/bind", auth=None, response={200: TokenOut, **ERRORS}, tags=["账号绑定"])
def bind(request, payload: BindIn):
    """首次使用：wx.login 的 code + 学号 + 密码 → 绑定并返回本系统令牌（不会返回微信 session_key）。"""
    _rate_limit(request, payload.student_number.strip())
    user = services.wechat_bind(code=payload.code, username=payload.student_number.strip(), password=payload.password,
                                request=request)
    return Reply(200, _token_response(user))


@v1.post("/auth/login", auth=None, response={200: TokenOut, **ERRORS}, tags=["账号绑定"])
def login(request, payload: LoginIn):
    """已绑定：仅凭 wx.login 的 code 换取令牌。"""
    _rate_limit(request)
    return Reply(200, _token_response(services.wechat_login(code=payload.code)))


@v1.post("/auth/logout", response={204: None, **ERRORS}, tags=["账号绑定"])
def logout(request):
    services.api_token_revoke(token_id=request.auth.api_token_id)
    return Reply(204, None)


@v1.post("/auth/unbind", response={204: None, **ERRORS}, tags=["账号绑定"])
def unbind(request):
    """解除小程序绑定，并作废该账号的全部令牌。"""
    services.wechat_unbind(user=request.auth)
    return Reply(204, None)


@v1.post("/auth/password", response={204: None, **ERRORS}, tags=["账号绑定"])
def change_password(request, payload: PasswordIn):
    """修改密码（首次使用初始密码的同学须先修改）。规则与网页版相同。"""
    form = ChangePasswordForm(request.auth, {
        "old_password": payload.old_password, "new_password1": payload.new_password,
        "new_password2": payload.new_password,
    })
    if not form.is_valid():
        raise errors.form_error(form)
    form.save()
    return Reply(204, None)


@v1.get("/me", response={200: StudentOut, **ERRORS}, tags=["账号绑定"])
def me(request):
    return Reply(200, student_out(_student(request)))


# --- reference data --------------------------------------------------------------------------


@v1.get("/reference/destination-types", response={200: list[DestinationGroupOut], **ERRORS}, tags=["代码表"])
def destination_types(request):
    return Reply(200, [
        {"key": g.key, "name": g.name, "explanation": g.explanation, "leaves": [
            {"key": t.key, "name": t.name, "category_code": t.category_id,
             "category_name": t.category.name if t.category else None, "explanation": t.explanation,
             "evidence_hint": t.evidence_hint, "org_kind": t.org_kind, "needs_evidence": t.needs_evidence,
             "needs_archive": t.needs_archive} for t in g.leaves]}
        for g in ref.destination_groups()
    ])


def _codes(model) -> list[dict]:
    return [{"code": c.code, "name": c.name} for c in model.objects.filter(is_active=True)]


@v1.get("/reference/org-natures", response={200: list[CodeName], **ERRORS}, tags=["代码表"])
def org_natures(request):
    return Reply(200, _codes(OrgNature))


@v1.get("/reference/industries", response={200: list[CodeName], **ERRORS}, tags=["代码表"])
def industries(request):
    return Reply(200, _codes(Industry))


@v1.get("/reference/job-categories", response={200: list[CodeName], **ERRORS}, tags=["代码表"])
def job_categories(request):
    return Reply(200, _codes(JobCategory))


@v1.get("/reference/regions", response={200: list[RegionNode], **ERRORS}, tags=["代码表"])
def regions(request):
    return Reply(200, ref.region_tree())


@v1.get("/reference/countries", response={200: list[CountryOut], **ERRORS}, tags=["代码表"])
def countries(request):
    return Reply(200, [{"code": c.code, "name": c.name_zh, "is_china_region": c.is_china_region} for c in ref.countries_abroad()])


@v1.get("/organisations/{uscc}", response={200: OrganisationOut, **ERRORS}, tags=["单位检索"])
def organisation(request, uscc: str):
    """按统一社会信用代码检索往届已鉴证或就业指导中心录入的单位。"""
    try:
        code = validate_uscc(uscc)
    except DjangoValidationError as exc:
        raise ApiError(422, "invalid", exc.messages[0], {"uscc": exc.messages}) from None
    org = organisation_lookup(uscc=code)
    if org is None:
        raise ApiError(404, "not_found", _("单位库中没有该代码的单位，请根据协议书内容填写。"))
    return Reply(200, organisation_out(org))


# --- the registration ------------------------------------------------------------------------


def _open(request) -> Registration:
    reg = selectors.registration_get_open(student=_student(request))
    if reg is None:
        raise ApiError(404, "no_registration", _("您还没有开始登记，请先创建登记。"))
    return reg


def _editable(request, step: Step) -> Registration:
    reg = _open(request)
    if not reg.is_editable:
        raise ApiError(409, "not_editable", _("记录已提交，正在等待辅导员鉴证，暂时不能修改。"))
    blocking = selectors.registration_blocking_step(registration=reg, step=step)
    if blocking is not None:
        raise ApiError(409, "step_not_ready", _("请先完成“%(step)s”。") % {"step": blocking.label})
    return reg


def _fresh(reg: Registration) -> dict:
    return registration_out(selectors.registration_detail_queryset().get(pk=reg.pk))


def _state_error(exc: RegistrationStateError) -> ApiError:
    return ApiError(409, "state_conflict", str(exc))


@v1.get("/registration", response={200: RegistrationOut, **ERRORS}, tags=["去向登记"])
def registration_current(request):
    """当前登记（进行中的版本，或已鉴证的版本）。"""
    reg = selectors.registration_get_current(student=_student(request))
    if reg is None:
        raise ApiError(404, "no_registration", _("您还没有开始登记，请先创建登记。"))
    return Reply(200, registration_out(reg))


@v1.post("/registration", response={200: RegistrationOut, **ERRORS}, tags=["去向登记"])
def registration_start(request):
    """开始登记（已有进行中的记录时直接返回它）。"""
    try:
        reg = reg_services.registration_start(student=_student(request), actor=request.auth)
    except RegistrationStateError as exc:
        raise _state_error(exc) from None
    return Reply(200, _fresh(reg))


@v1.put("/registration/type", response={200: RegistrationOut, **ERRORS}, tags=["去向登记"])
def registration_type(request, payload: TypeIn):
    reg = _editable(request, Step.TYPE)
    form = TypeForm({"destination_type": payload.destination_type})
    if not form.is_valid():
        raise errors.form_error(form)
    reg_services.registration_set_type(registration=reg, destination_type=form.cleaned_data["destination_type"])
    return Reply(200, _fresh(reg))


def _as_form_data(payload) -> dict[str, str]:
    return {k: ("" if v is None else str(v)) for k, v in payload.dict().items()}


@v1.put("/registration/organisation", response={200: RegistrationOut, **ERRORS}, tags=["去向登记"])
def registration_organisation(request, payload: OrganisationIn):
    reg = _editable(request, Step.ORGANISATION)
    dtype = reg.destination_type
    form = OrganisationForm(_as_form_data(payload), org_kind=dtype.org_kind, is_study=dtype.key == "abroad_study")
    if not form.is_valid():
        raise errors.form_error(form)
    reg_services.registration_save_organisation(registration=reg, data=form.cleaned_data)
    return Reply(200, _fresh(reg))


@v1.get("/registration/evidence", response={200: list[EvidenceOut], **ERRORS}, tags=["佐证材料"])
def evidence_list(request):
    return Reply(200, [evidence_out(f) for f in _open(request).evidence_files.all()])


@v1.post("/registration/evidence", response={201: EvidenceOut, **ERRORS}, tags=["佐证材料"])
def evidence_upload(request, file: UploadedFile = File(None)):  # noqa: B008 (ninja declares params this way)
    """上传一个佐证材料（multipart，字段名 file）。支持 Idempotency-Key 请求头。"""

    def run():
        reg = _editable(request, Step.EVIDENCE)
        if getattr(request, "upload_too_large", False):
            raise ApiError(413, "too_large", too_large_message())
        if file is None:
            raise ApiError(422, "invalid", _("请选择要上传的文件。"), {"file": [_("请选择要上传的文件。")]})
        try:
            evidence = evidence_add(registration=reg, upload=file, actor=request.auth)
        except DjangoValidationError as exc:
            raise ApiError(422, "invalid_file", exc.messages[0], {"file": exc.messages}) from None
        except RegistrationStateError as exc:
            raise _state_error(exc) from None
        return 201, evidence_out(evidence)

    return Reply(*idempotent(request, scope="evidence_upload", run=run))


@v1.delete("/registration/evidence/{evidence_id}", response={204: None, **ERRORS}, tags=["佐证材料"])
def evidence_delete(request, evidence_id: int):
    reg = _editable(request, Step.EVIDENCE)
    evidence = get_for_user(user=request.auth, model=EvidenceFile, pk=evidence_id, registration=reg)
    try:
        evidence_remove(evidence=evidence, actor=request.auth)
    except RegistrationStateError as exc:
        raise _state_error(exc) from None
    return Reply(204, None)


@v1.post("/registration/archive/match", response={200: ArchiveFillOut, **ERRORS}, tags=["档案信息"])
def archive_match(request):
    """匹配：按生源地给出生源地主管单位及回生源地的档案接收信息（不保存，由客户端填入表单）。"""
    reg = _editable(request, Step.ARCHIVE)
    fill = reg_services.archive_match_authority(registration=reg)
    if not fill:
        raise ApiError(404, "no_authority", _("未找到您生源地的主管单位，请手动填写。"))
    return Reply(200, fill)


@v1.post("/registration/archive/copy-organisation", response={200: ArchiveFillOut, **ERRORS}, tags=["档案信息"])
def archive_copy(request):
    """与签约单位相同：按单位信息给出档案接收信息（不保存）。"""
    reg = _editable(request, Step.ARCHIVE)
    return Reply(200, reg_services.archive_copy_organisation(registration=reg))


@v1.put("/registration/archive", response={200: RegistrationOut, **ERRORS}, tags=["档案信息"])
def registration_archive(request, payload: ArchiveIn):
    reg = _editable(request, Step.ARCHIVE)
    form = ArchiveForm(_as_form_data(payload))
    if not form.is_valid():
        raise errors.form_error(form)
    reg_services.registration_save_archive(registration=reg, data=form.cleaned_data)
    return Reply(200, _fresh(reg))


@v1.post("/registration/submit", response={200: SubmitOut, **ERRORS}, tags=["去向登记"])
def registration_submit(request):
    """提交 → 待鉴证。重复提交不会产生第二次提交；支持 Idempotency-Key。"""

    def run():
        reg = _open(request)
        if reg.status == Status.SUBMITTED:
            return 200, {"submitted": False, "already_submitted": True, "registration": _fresh(reg)}
        try:
            done = reg_services.registration_submit(registration=reg, actor=request.auth, ip=client_ip(request))
        except RegistrationStateError as exc:
            raise _state_error(exc) from None
        return 200, {"submitted": done, "already_submitted": not done, "registration": _fresh(reg)}

    return Reply(*idempotent(request, scope="submit", run=run))


@v1.post("/registration/withdraw", response={200: RegistrationOut, **ERRORS}, tags=["去向登记"])
def registration_withdraw(request):
    try:
        reg = changes.registration_withdraw(registration=_open(request), actor=request.auth, ip=client_ip(request))
    except RegistrationStateError as exc:
        raise _state_error(exc) from None
    return Reply(200, _fresh(reg))


@v1.post("/registration/change", response={200: RegistrationOut, **ERRORS}, tags=["去向登记"])
def registration_change(request):
    """申请变更（改派）：基于已鉴证版本创建新草稿；原版本在新版本鉴证前继续有效。"""
    try:
        reg = changes.registration_change_start(student=_student(request), actor=request.auth, ip=client_ip(request))
    except RegistrationStateError as exc:
        raise _state_error(exc) from None
    return Reply(200, _fresh(reg))


@v1.get("/registrations", response={200: list[VersionOut], **ERRORS}, tags=["去向登记"])
def registration_versions(request):
    """全部版本（历史）。"""
    return Reply(200, [
        {"id": r.pk, "version": r.version, "status": r.status, "status_display": r.get_status_display(),
         "destination_type_name": str(r.destination_type) if r.destination_type else None,
         "submitted_at": r.submitted_at, "verified_at": r.verified_at}
        for r in selectors.registration_history(student=_student(request))
    ])


@v1.get("/registrations/{registration_id}", response={200: RegistrationOut, **ERRORS}, tags=["去向登记"])
def registration_version(request, registration_id: int):
    reg = get_for_user(user=request.auth, model=selectors.registration_detail_queryset(), pk=registration_id)
    return Reply(200, registration_out(reg))


@v1.get("/registrations/{registration_id}/sheet", response={200: bytes, **ERRORS}, tags=["去向登记"],
        openapi_extra={"responses": {200: {"description": "PDF", "content": {"application/pdf": {}}}}})
def registration_sheet(request, registration_id: int):
    """下载去向登记信息表（PDF，已鉴证后可用）。"""
    reg = get_for_user(user=request.auth, model=selectors.registration_detail_queryset(), pk=registration_id)
    response = registration_sheet_response(request=request, registration=reg)
    if response is None:
        raise ApiError(409, "not_verified", _("登记鉴证通过后才能下载登记表。"))
    return response


api.add_router("/v1", v1)
