"""Adding and removing evidence files. The registration row is locked so that three quick uploads from
two tabs still stop at the limit."""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from quxiang.accounts.models import User
from quxiang.evidence.checks import check_evidence_file
from quxiang.evidence.models import EvidenceFile, evidence_path
from quxiang.registrations.models import EDITABLE_STATUSES, Registration
from quxiang.registrations.services import RegistrationStateError


def _lock_editable(registration: Registration) -> Registration:
    reg = Registration.objects.select_for_update().get(pk=registration.pk)
    if reg.status not in EDITABLE_STATUSES:
        raise RegistrationStateError(_("记录已提交，正在等待辅导员鉴证，暂时不能修改。"))
    return reg


def evidence_add(*, registration: Registration, upload: UploadedFile, actor: User) -> EvidenceFile:
    """Check the file's content, then store it under a generated name. Raises ValidationError."""
    limit = settings.QUXIANG["EVIDENCE_MAX_FILES"]
    checked = check_evidence_file(upload, max_bytes=settings.QUXIANG["EVIDENCE_MAX_BYTES"])
    stored: EvidenceFile | None = None
    try:
        with transaction.atomic():
            reg = _lock_editable(registration)
            if reg.evidence_files.count() >= limit:
                raise ValidationError(
                    _("最多只能上传 %(n)d 个文件，请先删除一个再上传。") % {"n": limit}, code="too_many"
                )
            evidence = EvidenceFile(
                registration=reg, original_name=checked.safe_name, content_type=checked.content_type,
                size=checked.size, sha256=checked.sha256, uploaded_by=actor,
            )
            storage = evidence.file.storage
            name = evidence_path(evidence, checked.safe_name)
            try:
                evidence.file.name = storage.save(name, upload)
            except OSError:
                # A disk that fills mid-write can leave part of the file behind under our generated name.
                with contextlib.suppress(OSError):
                    storage.delete(name)
                raise ValidationError(
                    _("服务器暂时无法保存文件，请稍后重试。您已填写的内容不会丢失。"), code="storage"
                ) from None
            stored = evidence
            evidence.save()
        return evidence
    except BaseException:
        # No row, no file: a failed transaction must not leave an orphan on disk.
        if stored is not None:
            stored.file.storage.delete(stored.file.name)
        raise


def evidence_remove(*, evidence: EvidenceFile, actor: User) -> None:
    with transaction.atomic():
        _lock_editable(evidence.registration)
        name = evidence.file.name
        storage = evidence.file.storage
        evidence.delete()
        transaction.on_commit(lambda: storage.delete(name))
