"""The student's wizard (就业管理 → 去向录入 → 毕业去向录入) and status page. Thin: forms validate,
services write, selectors read."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from quxiang.accounts.access import get_for_user, student_of
from quxiang.core.http import client_ip
from quxiang.core.validators import normalize_uscc
from quxiang.evidence import services as evidence_services
from quxiang.evidence.checks import size_text, too_large_message
from quxiang.evidence.models import EvidenceFile
from quxiang.reference.models import OrgKind
from quxiang.reference.selectors import destination_groups, region_by_code
from quxiang.registrations import selectors, services
from quxiang.registrations.changes import (
    registration_change_cancel,
    registration_change_start,
    registration_withdraw,
)
from quxiang.registrations.errors import (
    RegistrationNotEditable,
    RegistrationStateError,
    StepInputRefused,
    StepNotReady,
)
from quxiang.registrations.forms import ArchiveForm, OrganisationForm, TypeForm
from quxiang.registrations.models import Registration, Step
from quxiang.registrations.rules import ARCHIVE_FIELDS, ORGANISATION_FIELDS
from quxiang.registrations.sheet import registration_sheet_response
from quxiang.registrations.steps import registration_step_check
from quxiang.roster.models import Student


def student_required(view):
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_student:
            raise Http404
        # Loaded with the user, college and major included (accounts/backends.py); the 生源地 from memory.
        student = student_of(user=request.user)
        Student._meta.get_field("origin_region").set_cached_value(
            student, region_by_code(code=student.origin_region_id))
        return view(request, student, *args, **kwargs)

    return wrapper


def _raw(request: HttpRequest) -> dict[str, str]:
    return {k: v for k, v in request.POST.items() if k not in {"csrfmiddlewaretoken", "action"}}


def _step_url(step: Step) -> str:
    return reverse("registrations:step", kwargs={"step": step.value})


def _wizard_context(reg: Registration, step: Step, **extra) -> dict:
    steps = selectors.registration_steps(registration=reg)
    prev_step, next_step = selectors.registration_step_neighbours(registration=reg, step=step)
    done = {s for s in steps if selectors.registration_step_done(registration=reg, step=s)}
    return {"registration": reg, "step": step, "steps": steps, "done_steps": done, "prev_step": prev_step,
            "next_step": next_step, **extra}


@student_required
def status(request: HttpRequest, student: Student) -> HttpResponse:
    history = selectors.registration_history(student=student)
    registration = selectors.registration_get_current(student=student, history=history)
    return render(request, "registrations/status.html", _status_context(registration, student, history=history))


@login_required
def record(request: HttpRequest, pk: int) -> HttpResponse:
    """One version of a record, for its student or for staff in scope."""
    registration = get_for_user(user=request.user, model=selectors.registration_detail_queryset(), pk=pk)
    return render(request, "registrations/status.html", _status_context(registration, registration.student))


def _status_context(registration: Registration | None, student: Student,
                    history: list[Registration] | None = None) -> dict:
    ctx = {"registration": registration, "student": student,
           "history": history if history is not None else selectors.registration_history(student=student)}
    if registration is not None:
        ctx["steps"] = selectors.registration_steps(registration=registration)
        ctx["resume_step"] = selectors.registration_first_open_step(registration=registration)
    return ctx


@require_POST
@student_required
def start(request: HttpRequest, student: Student) -> HttpResponse:
    try:
        reg = services.registration_start(student=student, actor=request.user)
    except RegistrationStateError as exc:
        messages.error(request, str(exc))
        return redirect("registrations:status")
    return redirect(_step_url(selectors.registration_first_open_step(registration=reg)))


@student_required
def step(request: HttpRequest, student: Student, step: str) -> HttpResponse:
    try:
        current = Step(step)
    except ValueError:
        raise Http404 from None
    reg = selectors.registration_get_open_for_step(student=student)
    if reg is None:
        messages.info(request, _("请先点击“毕业去向录入”开始登记。"))
        return redirect("registrations:status")
    try:
        registration_step_check(registration=reg, step=current)
        return HANDLERS[current](request, reg)
    except StepNotReady as exc:
        messages.warning(request, exc.message)
        return redirect(_step_url(exc.step))
    except RegistrationNotEditable as exc:
        messages.info(request, exc.message)
        return redirect("registrations:status")
    except RegistrationStateError as exc:
        messages.error(request, exc.message)
        return redirect("registrations:status")


def _go(reg: Registration, where: Step | None) -> HttpResponse:
    reg.refresh_from_db()
    return redirect(_step_url(where or selectors.registration_first_open_step(registration=reg)))


def _after_save(saved: Registration, step: Step) -> HttpResponse:
    """On to the next step of the record as the service saved it (its type and student are loaded)."""
    _prev, nxt = selectors.registration_step_neighbours(registration=saved, step=step)
    return redirect(_step_url(nxt or Step.REVIEW))


def type_step(request: HttpRequest, reg: Registration) -> HttpResponse:
    pending = reg.pending_input.get(Step.TYPE)
    if request.method == "POST":
        form = TypeForm(request.POST)
        if form.is_valid():
            changed = services.registration_set_type(registration=reg,
                                                     destination_type=form.cleaned_data["destination_type"])
            for notice in changed.notices:  # what a type change removed or asks to confirm again
                messages.warning(request, notice)
            return _after_save(changed, Step.TYPE)
    else:
        form = TypeForm(initial=pending or {"destination_type": reg.destination_type_id})
    return render(request, "registrations/step_type.html",
                  _wizard_context(reg, Step.TYPE, form=form, groups=destination_groups()))


def _org_initial(reg: Registration) -> dict:
    initial = {f: getattr(reg, f) for f in ORGANISATION_FIELDS}
    for fk in ("org_nature", "org_industry", "org_region", "job_category", "abroad_country"):
        initial[fk] = getattr(reg, f"{fk}_id")
    return initial


def _organisation_form(reg: Registration, data=None, initial=None) -> OrganisationForm:
    return OrganisationForm(data, initial=initial, destination_type=reg.destination_type)


def organisation_step(request: HttpRequest, reg: Registration) -> HttpResponse:
    action = request.POST.get("action", "next")
    if request.method == "GET":
        form = _organisation_form(reg, initial=reg.pending_input.get(Step.ORGANISATION) or _org_initial(reg))
    elif action == "prev":
        services.registration_keep_input(registration=reg, step=Step.ORGANISATION, raw=_raw(request))
        return _go(reg, Step.TYPE)
    elif action == "lookup":
        form = _organisation_lookup(request, reg)
    else:
        form = _organisation_form(reg, data=request.POST)
        if form.is_valid():
            try:
                saved = services.registration_save_organisation(registration=reg, data=form.cleaned_data)
            except StepInputRefused as exc:  # the type changed in another tab meanwhile
                for name, errors in exc.fields.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                return _after_save(saved, Step.ORGANISATION)
        services.registration_keep_input(registration=reg, step=Step.ORGANISATION, raw=_raw(request))
    return render(request, "registrations/step_organisation.html", _wizard_context(reg, Step.ORGANISATION, form=form))


def _organisation_lookup(request: HttpRequest, reg: Registration) -> OrganisationForm:
    """检索匹配: fill the form from the school's directory; the student can still correct every field."""
    raw = _raw(request)
    try:
        prefill = selectors.organisation_prefill(uscc=raw.get("org_uscc", ""), destination_type=reg.destination_type)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return _organisation_form(reg, initial=raw)
    if prefill is None:
        messages.info(request, _("单位库中没有该代码的单位，请根据协议书内容填写。"))
        raw["org_uscc"] = normalize_uscc(raw.get("org_uscc", ""))
    else:
        raw.update(prefill.fields)
        messages.success(request, _("已匹配到单位：%(name)s。内容有变动的，请根据协议书实际内容修改。")
                         % {"name": prefill.organisation.name})
        for notice in prefill.notices:
            messages.info(request, notice)
    services.registration_keep_input(registration=reg, step=Step.ORGANISATION, raw=raw)
    return _organisation_form(reg, initial=raw)


def evidence_step(request: HttpRequest, reg: Registration) -> HttpResponse:
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "upload":
            _evidence_upload(request, reg)
        elif action == "remove":
            evidence = get_for_user(user=request.user, model=EvidenceFile, pk=request.POST.get("evidence_id"),
                                    registration=reg)
            evidence_services.evidence_remove(evidence=evidence, actor=request.user)
            messages.success(request, _("已删除文件：%(name)s") % {"name": evidence.original_name})
        elif action == "prev":
            return _go(reg, selectors.registration_step_neighbours(registration=reg, step=Step.EVIDENCE)[0])
        elif action == "next":
            if selectors.registration_evidence_count(registration=reg) == 0:
                messages.error(request, _("请至少上传 1 个佐证材料后再点击“下一步”。"))
            else:
                return _after_save(reg, Step.EVIDENCE)
        return redirect(_step_url(Step.EVIDENCE))
    files = selectors.registration_prefetch_evidence(registration=reg)
    return render(request, "registrations/step_evidence.html", _wizard_context(
        reg, Step.EVIDENCE, files=files, max_files=settings.QUXIANG["EVIDENCE_MAX_FILES"],
        max_bytes=settings.QUXIANG["EVIDENCE_MAX_BYTES"], too_large=too_large_message(), limit_text=size_text(settings.QUXIANG["EVIDENCE_MAX_BYTES"]),
    ))


def _evidence_upload(request: HttpRequest, reg: Registration) -> None:
    if getattr(request, "upload_too_large", False):
        messages.error(request, too_large_message())
        return
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("请先点击“选择文件”选择要上传的文件，再点击“上传”。"))
        return
    try:
        evidence = evidence_services.evidence_add(registration=reg, upload=upload, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _("“%(name)s”未上传：%(reason)s") % {"name": upload.name[:60], "reason": exc.messages[0]})
    else:
        messages.success(request, _("已上传：%(name)s") % {"name": evidence.original_name})


def archive_step(request: HttpRequest, reg: Registration) -> HttpResponse:
    action = request.POST.get("action", "next")
    org_kind = reg.destination_type.org_kind
    if request.method == "GET":
        initial = reg.pending_input.get(Step.ARCHIVE) or {f: getattr(reg, f) for f in ARCHIVE_FIELDS}
        form = ArchiveForm(initial=initial, org_kind=org_kind)
    elif action == "prev":
        services.registration_keep_input(registration=reg, step=Step.ARCHIVE, raw=_raw(request))
        return _go(reg, selectors.registration_step_neighbours(registration=reg, step=Step.ARCHIVE)[0])
    elif action in {"match_authority", "match_origin", "copy_org"}:
        form = ArchiveForm(initial=_archive_fill(request, reg, action), org_kind=org_kind)
    else:
        form = ArchiveForm(request.POST, org_kind=org_kind)
        if form.is_valid():
            try:
                saved = services.registration_save_archive(registration=reg, data=form.cleaned_data)
            except StepInputRefused as exc:  # the type changed in another tab meanwhile
                for name, errors in exc.fields.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                return _after_save(saved, Step.ARCHIVE)
        services.registration_keep_input(registration=reg, step=Step.ARCHIVE, raw=_raw(request))
    return render(request, "registrations/step_archive.html", _wizard_context(
        reg, Step.ARCHIVE, form=form, can_copy_org=org_kind == OrgKind.EMPLOYER,
    ))


def _archive_fill(request: HttpRequest, reg: Registration, action: str) -> dict:
    raw = _raw(request)
    if action == "copy_org":
        try:
            raw.update(services.archive_copy_organisation(registration=reg))
        except StepInputRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已按签约单位信息填写档案接收信息，请核对。"))
    else:
        match = services.archive_match_authority(registration=reg)
        if not match:
            messages.warning(request, _("未找到您生源地的主管单位，请手动填写。"))
        elif action == "match_authority":
            raw["origin_authority_name"] = match["origin_authority_name"]
            messages.success(request, _("已根据生源地匹配主管单位，如有错误请修改。"))
        else:
            raw.update(match)
            messages.success(request, _("已按生源地填写档案接收信息（回生源地），如有错误请修改。"))
    services.registration_keep_input(registration=reg, step=Step.ARCHIVE, raw=raw)
    return raw


def review_step(request: HttpRequest, reg: Registration) -> HttpResponse:
    if request.method == "POST":
        if request.POST.get("action") == "prev":
            return _go(reg, selectors.registration_step_neighbours(registration=reg, step=Step.REVIEW)[0])
        if services.registration_submit(registration=reg, actor=request.user, ip=client_ip(request)):
            messages.success(request, _("提交成功！%(next)s") % {"next": reg.submit_guidance})
        else:
            messages.info(request, _("该记录已经提交过，无需重复提交。"))
        return redirect("registrations:status")
    selectors.registration_prefetch_evidence(registration=reg)
    return render(request, "registrations/step_review.html", _wizard_context(reg, Step.REVIEW))


HANDLERS = {
    Step.TYPE: type_step,
    Step.ORGANISATION: organisation_step,
    Step.EVIDENCE: evidence_step,
    Step.ARCHIVE: archive_step,
    Step.REVIEW: review_step,
}


@require_POST
@student_required
def withdraw(request: HttpRequest, student: Student) -> HttpResponse:
    """撤回修改: take a submitted record back before the counselor decides."""
    reg = selectors.registration_get_current(student=student)
    if reg is None:
        messages.error(request, _("您还没有可撤回的登记。"))
        return redirect("registrations:status")
    try:
        registration_withdraw(registration=reg, actor=request.user, ip=client_ip(request))
    except RegistrationStateError as exc:
        messages.error(request, str(exc))
        return redirect("registrations:status")
    messages.success(request, _("已撤回，可以修改后重新提交。"))
    return redirect(_step_url(Step.REVIEW))


@require_POST
@student_required
def change(request: HttpRequest, student: Student) -> HttpResponse:
    """变更/改派: a new version through the same wizard; the verified one stays in force meanwhile."""
    try:
        draft = registration_change_start(student=student, actor=request.user, ip=client_ip(request))
    except RegistrationStateError as exc:
        messages.error(request, str(exc))
        return redirect("registrations:status")
    messages.info(request, _("已创建变更草稿。原登记在新版本鉴证通过前继续有效。"))
    carried = selectors.registration_evidence_count(registration=draft)
    if carried:
        messages.info(request, _("原登记的 %(n)d 个佐证材料已带入本次变更：不再适用的请删除，新的材料请补充上传。")
                      % {"n": carried})
    return redirect(_step_url(selectors.registration_first_open_step(registration=draft)))


@require_POST
@student_required
def change_cancel(request: HttpRequest, student: Student) -> HttpResponse:
    """撤销变更申请 (after the confirmation on the status page): the verified version is current again."""
    if request.POST.get("confirm") != "1":
        messages.error(request, _("请在确认框中点击“确认撤销”。"))
        return redirect("registrations:status")
    try:
        registration_change_cancel(student=student, actor=request.user, ip=client_ip(request))
    except RegistrationStateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已撤销变更申请。原已鉴证的登记继续有效。"))
    return redirect("registrations:status")


@login_required
def sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """去向登记信息表 (PDF) of a verified record, for its student and staff in scope."""
    registration = get_for_user(user=request.user, model=selectors.registration_detail_queryset(), pk=pk)
    response = registration_sheet_response(request=request, registration=registration)
    if response is None:
        raise Http404
    return response


def public_verify(request: HttpRequest, code: str) -> HttpResponse:
    """What an archive office sees after scanning the sheet's QR code: just enough to confirm it."""
    registration = selectors.registration_public_lookup(code=code)
    response = render(request, "registrations/public_verify.html", {"registration": registration, "code": code[:40]},
                      status=200 if registration else 404)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
