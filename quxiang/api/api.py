"""The mini-program's JSON API, /api/v1/. Same forms, services and selectors as the web pages."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from ninja import File, NinjaAPI, Router
from ninja import Status as Reply
from ninja.files import UploadedFile

from quxiang.accounts.access import get_for_user, student_of
from quxiang.accounts.authentication import Door
from quxiang.accounts.forms import ChangePasswordForm
from quxiang.api import errors, services
from quxiang.api.auth import ACCOUNT_AUTH, TokenAuth
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
from quxiang.api.serializers import (
    code_name_out,
    country_out,
    destination_group_out,
    evidence_out,
    organisation_prefill_out,
    registration_out,
    student_out,
    submit_out,
    version_out,
)
from quxiang.core.http import client_ip
from quxiang.core.storage import storage_delete_quietly
from quxiang.evidence.checks import too_large_message
from quxiang.evidence.models import EvidenceFile
from quxiang.evidence.services import evidence_add, evidence_remove
from quxiang.reference import selectors as ref
from quxiang.reference.models import Industry, JobCategory, OrgNature
from quxiang.registrations import changes, selectors
from quxiang.registrations import services as reg_services
from quxiang.registrations.forms import ArchiveForm, OrganisationForm, TypeForm
from quxiang.registrations.models import Registration, Status, Step
from quxiang.registrations.sheet import registration_sheet_response
from quxiang.registrations.steps import registration_step_check
from quxiang.roster.models import Student

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut,
          429: ErrorOut, 500: ErrorOut, 502: ErrorOut, 503: ErrorOut, 504: ErrorOut}


api = NinjaAPI(
    title="Quxiang 毕业去向登记 API", version="1", description="供“就业”微信小程序使用的接口。错误统一为 {code, message, fields}。",
    urls_namespace="api", openapi_url="/openapi.json", docs_url="/docs", auth=TokenAuth(),
)
errors.install(api)
v1 = Router()


def _student(request) -> Student:
    """The student with college, major, class and origin, for the answers that show them (/me, changes)."""
    return get_for_user(user=request.auth, model=Student.objects.select_related(
        "college", "major", "school_class", "origin_region"), user_id=request.auth.pk)


def _student_row(request) -> Student:
    """The student alone: what the registration's own operations need (its key and 学历层次), loaded with
    the token's user."""
    return student_of(user=request.auth)


def _token_response(user) -> dict:
    token, expires = services.api_token_issue(user=user)
    student = Student.objects.select_related("college", "major", "school_class", "origin_region").get(user=user)
    student.user = user  # the signed-in account, not read again for its must_change_password
    return {"token": token, "token_type": "Bearer", "expires_at": expires, "student": student_out(student)}


# --- binding and tokens ----------------------------------------------------------------------
# The account rules (lockout, per-address limit, forced password change) are quxiang.accounts.authentication's;
# these operations are the only ones open (ACCOUNT_AUTH) while the initial password is unchanged.


@v1.post("/auth/bind", auth=None, response={200: TokenOut, **ERRORS}, tags=["账号绑定"])
def bind(request, payload: BindIn):
    """首次使用：wx.login 的 code + 学号 + 密码 → 绑定并返回本系统令牌（不会返回微信 session_key）。"""
    user = services.wechat_bind(code=payload.code, username=payload.student_number, password=payload.password,
                                ip=client_ip(request), request=request)
    return Reply(200, _token_response(user))


@v1.post("/auth/login", auth=None, response={200: TokenOut, **ERRORS}, tags=["账号绑定"])
def login(request, payload: LoginIn):
    """已绑定：仅凭 wx.login 的 code 换取令牌。"""
    return Reply(200, _token_response(services.wechat_login(code=payload.code, ip=client_ip(request))))


@v1.post("/auth/logout", auth=ACCOUNT_AUTH, response={204: None, **ERRORS}, tags=["账号绑定"])
def logout(request):
    services.api_token_revoke(token_id=request.auth.api_token_id)
    return Reply(204, None)


@v1.post("/auth/unbind", auth=ACCOUNT_AUTH, response={204: None, **ERRORS}, tags=["账号绑定"])
def unbind(request):
    """解除小程序绑定，并作废该账号的全部令牌（之后可用学号和密码绑定另一个微信）。"""
    services.wechat_unbind(user=request.auth, actor=request.auth, ip=client_ip(request), channel="api")
    return Reply(204, None)


@v1.post("/auth/password", auth=ACCOUNT_AUTH, response={204: None, **ERRORS}, tags=["账号绑定"])
def change_password(request, payload: PasswordIn):
    """修改密码（首次使用初始密码的同学须先修改）。规则与网页版相同。"""
    form = ChangePasswordForm(request.auth, {
        "old_password": payload.old_password, "new_password1": payload.new_password,
        "new_password2": payload.new_password,
    }, ip=client_ip(request), door=Door.API_PASSWORD)
    if not form.is_valid():
        raise form.account_error or errors.form_error(form)  # a lock keeps its own code (429 login_locked)
    form.save()
    return Reply(204, None)


@v1.get("/me", auth=ACCOUNT_AUTH, response={200: StudentOut, **ERRORS}, tags=["账号绑定"])
def me(request):
    return Reply(200, student_out(_student(request)))


# --- reference data --------------------------------------------------------------------------


@v1.get("/reference/destination-types", response={200: list[DestinationGroupOut], **ERRORS}, tags=["代码表"])
def destination_types(request):
    return Reply(200, [destination_group_out(g) for g in ref.destination_groups()])


def _codes(model) -> list[dict]:
    return [code_name_out(c) for c in model.objects.filter(is_active=True)]


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
    return Reply(200, [country_out(c) for c in ref.countries_abroad()])


@v1.get("/organisations/{uscc}", response={200: OrganisationOut, **ERRORS}, tags=["单位检索"])
def organisation(request, uscc: str):
    """按统一社会信用代码检索往届已鉴证或就业指导中心录入的单位。返回值即检索匹配后表单应填入的内容：
    进行中的登记所选去向固定单位性质的（部队录用、公务员录用），nature 为该单位性质。"""
    reg = selectors.registration_get_open_for_step(student=_student_row(request))
    try:
        prefill = selectors.organisation_prefill(uscc=uscc, destination_type=reg.destination_type if reg else None)
    except DjangoValidationError as exc:
        raise ApiError(422, "invalid", exc.messages[0], {"uscc": exc.messages}) from None
    if prefill is None:
        raise ApiError(404, "not_found", _("单位库中没有该代码的单位，请根据协议书内容填写。"))
    return Reply(200, organisation_prefill_out(prefill))


# --- the registration ------------------------------------------------------------------------


def _open(request) -> Registration:
    reg = selectors.registration_get_open_for_step(student=_student_row(request))
    if reg is None:
        raise ApiError(404, "no_registration", _("您还没有开始登记，请先创建登记。"))
    return reg


def _at_step(request, step: Step) -> Registration:
    """The open record, if this step may be opened (StepNotReady / RegistrationNotEditable otherwise: 409
    step_not_ready / not_editable through the DomainError handler). The services check again under their lock."""
    reg = _open(request)
    registration_step_check(registration=reg, step=step)
    return reg


def _answer(saved: Registration, *, notices=()) -> dict:
    """The answer after a write: the instance the service saved and returned, without reading it again."""
    return registration_out(selectors.registration_complete(registration=saved), notices=notices)


def _fresh(reg: Registration, *, notices=()) -> dict:
    student = reg.student if Registration.student.is_cached(reg) else None
    return registration_out(selectors.registration_get_full(pk=reg.pk, student=student), notices=notices)


@v1.get("/registration", response={200: RegistrationOut, **ERRORS}, tags=["去向登记"])
def registration_current(request):
    """当前登记（进行中的版本，或已鉴证的版本）。"""
    reg = selectors.registration_get_current(student=_student_row(request))
    if reg is None:
        raise ApiError(404, "no_registration", _("您还没有开始登记，请先创建登记。"))
    return Reply(200, registration_out(reg))


@v1.post("/registration", response={200: RegistrationOut, **ERRORS}, tags=["去向登记"])
def registration_start(request):
    """开始登记（已有进行中的记录时直接返回它）。"""
    reg = reg_services.registration_start(student=_student_row(request), actor=request.auth)
    return Reply(200, _answer(reg))


@v1.put("/registration/type", response={200: RegistrationOut, **ERRORS}, tags=["去向登记"])
def registration_type(request, payload: TypeIn):
    """选择或更换去向类型。更换后不再适用的单位信息、档案信息和佐证材料会被清除，notices 中逐条说明。"""
    reg = _at_step(request, Step.TYPE)
    form = TypeForm({"destination_type": payload.destination_type})
    if not form.is_valid():
        raise errors.form_error(form)
    changed = reg_services.registration_set_type(registration=reg, destination_type=form.cleaned_data["destination_type"])
    return Reply(200, _answer(changed, notices=changed.notices))


def _as_form_data(payload) -> dict[str, str]:
    return {k: ("" if v is None else str(v)) for k, v in payload.dict().items()}


@v1.put("/registration/organisation", response={200: RegistrationOut, **ERRORS}, tags=["去向登记"])
def registration_organisation(request, payload: OrganisationIn):
    reg = _at_step(request, Step.ORGANISATION)
    form = OrganisationForm(_as_form_data(payload), destination_type=reg.destination_type)
    if not form.is_valid():
        raise errors.form_error(form)
    return Reply(200, _answer(reg_services.registration_save_organisation(registration=reg, data=form.cleaned_data)))


@v1.get("/registration/evidence", response={200: list[EvidenceOut], **ERRORS}, tags=["佐证材料"])
def evidence_list(request):
    return Reply(200, [evidence_out(f) for f in _open(request).evidence_files.all()])


@v1.post("/registration/evidence", response={201: EvidenceOut, **ERRORS}, tags=["佐证材料"])
def evidence_upload(request, file: UploadedFile = File(None)):  # noqa: B008 (ninja declares params this way)
    """上传一个佐证材料（multipart，字段名 file）。支持 Idempotency-Key 请求头。"""

    stored: list[EvidenceFile] = []

    def run():
        reg = _at_step(request, Step.EVIDENCE)  # and evidence_add again under its lock
        if getattr(request, "upload_too_large", False):
            raise ApiError(413, "too_large", too_large_message())
        if file is None:
            raise ApiError(422, "invalid", _("请选择要上传的文件。"), {"file": [_("请选择要上传的文件。")]})
        try:
            evidence = evidence_add(registration=reg, upload=file, actor=request.auth)
        except DjangoValidationError as exc:
            raise ApiError(422, "invalid_file", exc.messages[0], {"file": exc.messages}) from None
        stored.append(evidence)
        return 201, evidence_out(evidence)

    try:
        return Reply(*idempotent(request, scope="evidence_upload", run=run))
    except BaseException:
        # The key's transaction (idempotency.py) rolled the row back after the file was stored: no object
        # may stay without its row.
        for evidence in stored:
            storage_delete_quietly(storage=evidence.file.storage, name=evidence.file.name)
        raise


@v1.delete("/registration/evidence/{evidence_id}", response={204: None, **ERRORS}, tags=["佐证材料"])
def evidence_delete(request, evidence_id: int):
    reg = _at_step(request, Step.EVIDENCE)
    evidence = get_for_user(user=request.auth, model=EvidenceFile, pk=evidence_id, registration=reg)
    evidence_remove(evidence=evidence, actor=request.auth)
    return Reply(204, None)


@v1.post("/registration/archive/match", response={200: ArchiveFillOut, **ERRORS}, tags=["档案信息"])
def archive_match(request):
    """匹配：按生源地给出生源地主管单位及回生源地的档案接收信息（不保存，由客户端填入表单）。"""
    reg = _at_step(request, Step.ARCHIVE)
    fill = reg_services.archive_match_authority(registration=reg)
    if not fill:
        raise ApiError(404, "no_authority", _("未找到您生源地的主管单位，请手动填写。"))
    return Reply(200, fill)


@v1.post("/registration/archive/copy-organisation", response={200: ArchiveFillOut, **ERRORS}, tags=["档案信息"])
def archive_copy(request):
    """与签约单位相同：按单位信息给出档案接收信息（不保存）。"""
    reg = _at_step(request, Step.ARCHIVE)
    return Reply(200, reg_services.archive_copy_organisation(registration=reg))


@v1.put("/registration/archive", response={200: RegistrationOut, **ERRORS}, tags=["档案信息"])
def registration_archive(request, payload: ArchiveIn):
    reg = _at_step(request, Step.ARCHIVE)
    form = ArchiveForm(_as_form_data(payload), org_kind=reg.destination_type.org_kind)
    if not form.is_valid():
        raise errors.form_error(form)
    return Reply(200, _answer(reg_services.registration_save_archive(registration=reg, data=form.cleaned_data)))


@v1.post("/registration/submit", response={200: SubmitOut, **ERRORS}, tags=["去向登记"])
def registration_submit(request):
    """提交 → 待鉴证。重复提交不会产生第二次提交；支持 Idempotency-Key。"""

    def run():
        reg = _open(request)
        done = reg.status != Status.SUBMITTED and reg_services.registration_submit(
            registration=reg, actor=request.auth, ip=client_ip(request))
        fresh = selectors.registration_get_full(pk=reg.pk, student=reg.student)
        message = (_("提交成功！%(next)s") % {"next": fresh.submit_guidance} if done
                   else _("该记录已经提交过，无需重复提交。"))
        return 200, submit_out(fresh, submitted=done, message=message)

    return Reply(*idempotent(request, scope="submit", run=run))


@v1.post("/registration/withdraw", response={200: RegistrationOut, **ERRORS}, tags=["去向登记"])
def registration_withdraw(request):
    reg = changes.registration_withdraw(registration=_open(request), actor=request.auth, ip=client_ip(request))
    return Reply(200, _fresh(reg))


@v1.post("/registration/change", response={200: RegistrationOut, **ERRORS}, tags=["去向登记"])
def registration_change(request):
    """申请变更（改派）：基于已鉴证版本创建新草稿；原版本在新版本鉴证前继续有效。"""
    reg = changes.registration_change_start(student=_student(request), actor=request.auth, ip=client_ip(request))
    return Reply(200, _fresh(reg))


@v1.post("/registration/change/cancel", response={200: RegistrationOut, **ERRORS}, tags=["去向登记"])
def registration_change_cancel(request):
    """撤销变更申请：删除草稿或已退回的变更版本及其材料，返回继续有效的已鉴证版本。已提交的变更请先撤回。"""
    # Its coded errors (no_change_request 404, change_submitted 409) reach the client through the DomainError handler.
    reg = changes.registration_change_cancel(student=_student(request), actor=request.auth, ip=client_ip(request))
    return Reply(200, _fresh(reg))


@v1.get("/registrations", response={200: list[VersionOut], **ERRORS}, tags=["去向登记"])
def registration_versions(request):
    """全部版本（历史）。"""
    return Reply(200, [version_out(r) for r in selectors.registration_history(student=_student_row(request))])


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
