"""Adding and removing evidence files. The registration row is locked so that three quick uploads from
two tabs still stop at the limit."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from quxiang.accounts.models import User
from quxiang.core.errors import DomainError
from quxiang.core.storage import STORAGE_ERRORS, storage_delete_quietly
from quxiang.evidence.checks import check_evidence_file
from quxiang.evidence.models import EvidenceFile, evidence_path
from quxiang.evidence.reading import evidence_reading_after_commit
from quxiang.registrations.models import Registration, Step
from quxiang.registrations.rules import evidence_kind
from quxiang.registrations.selectors import registration_lock
from quxiang.registrations.steps import registration_step_check


def _lock_at_evidence_step(registration: Registration) -> Registration:
    """Lock the row; the record must be editable and its evidence step open (StepNotReady otherwise)."""
    reg = registration_lock(registration=registration)
    reg.evidence_count = reg.evidence_files.count()  # under the lock: the gate and the limit read it
    registration_step_check(registration=reg, step=Step.EVIDENCE)
    return reg


def evidence_add(*, registration: Registration, upload: UploadedFile, actor: User) -> EvidenceFile:
    """Check the file's content, then store it under a generated name, recorded as the kind of evidence
    the record's type asks for. Raises ValidationError (the file, or a store that cannot take it),
    RegistrationStateError (the record). The content is checked before anything is stored; a failure after
    the file was stored removes it again, so no object is left without its row. Called outside a
    transaction, or by a caller that removes the object itself when its transaction rolls back later (the
    API's Idempotency-Key transaction does): otherwise that rollback would orphan the object."""
    limit = settings.QUXIANG["EVIDENCE_MAX_FILES"]
    checked = check_evidence_file(upload, max_bytes=settings.QUXIANG["EVIDENCE_MAX_BYTES"])
    stored: EvidenceFile | None = None
    try:
        with transaction.atomic():
            reg = _lock_at_evidence_step(registration)
            if reg.evidence_count >= limit:
                raise ValidationError(
                    _("最多只能上传 %(n)d 个文件，请先删除一个再上传。") % {"n": limit}, code="too_many"
                )
            evidence = EvidenceFile(
                registration=reg, original_name=checked.safe_name, content_type=checked.content_type,
                size=checked.size, sha256=checked.sha256, uploaded_by=actor,
                kind=evidence_kind(destination_type=reg.destination_type),
            )
            storage = evidence.file.storage
            name = evidence_path(evidence, checked.safe_name)
            try:
                # Streamed: from Django's temporary upload file to the disk, or as one PUT to the object store.
                evidence.file.name = storage.save(name, upload)
            except STORAGE_ERRORS:
                # A disk that fills mid-write, or an object store that took the bytes but did not answer,
                # can leave the file behind under our generated name.
                storage_delete_quietly(storage=storage, name=name)
                raise ValidationError(
                    _("服务器暂时无法保存文件，请稍后重试。您已填写的内容不会丢失。"), code="storage"
                ) from None
            stored = evidence
            evidence.save()
            # What the file says is read in the background once the upload has committed (issue 12).
            transaction.on_commit(functools.partial(evidence_reading_after_commit, evidence.pk))
        return evidence
    except BaseException:
        # No row, no file: a failed transaction must not leave an orphan in the store.
        if stored is not None:
            storage_delete_quietly(storage=stored.file.storage, name=stored.file.name)
        raise


def evidence_remove(*, evidence: EvidenceFile, actor: User) -> None:
    with transaction.atomic():
        _lock_at_evidence_step(evidence.registration)
        evidence_delete(files=[evidence])


def evidence_delete(*, files: Iterable[EvidenceFile]) -> list[str]:
    """The one way evidence goes: delete the rows now and their stored files once the transaction commits
    (a rollback keeps both). The caller holds the registration's lock. Returns the deleted files' names."""
    names = []
    for evidence in files:
        stored, storage = evidence.file.name, evidence.file.storage
        names.append(evidence.original_name)
        evidence.delete()
        # After the commit the rows are gone for good: a store that fails then leaves an orphan (logged),
        # never an error for a deletion that happened.
        transaction.on_commit(functools.partial(storage_delete_quietly, storage=storage, name=stored))
    return names


def evidence_carry_over(*, source: Registration, target: Registration) -> list[EvidenceFile]:
    """A change request starts with the verified version's evidence: each file is copied under a new name,
    so the verified version keeps its own files for the audit whatever the student removes from the draft.
    Raises DomainError (code "storage") when a file cannot be copied; the copies made so far are removed."""
    copied: list[EvidenceFile] = []
    try:
        for original in source.evidence_files.order_by("uploaded_at", "id"):
            evidence = EvidenceFile(
                registration=target, original_name=original.original_name, content_type=original.content_type,
                size=original.size, sha256=original.sha256, uploaded_by=original.uploaded_by, kind=original.kind,
            )
            storage = original.file.storage
            name = evidence_path(evidence, original.original_name)
            try:
                with storage.open(original.file.name, "rb") as content:
                    evidence.file.name = storage.save(name, content)
            except STORAGE_ERRORS:
                storage_delete_quietly(storage=storage, name=name)  # a copy half made, or made unanswered
                raise DomainError(
                    _("服务器暂时无法复制原登记的佐证材料，请稍后重试；如仍不成功，请联系就业指导中心。"), code="storage", http_status=503
                ) from None
            copied.append(evidence)
            evidence.save()
            # Shown as uploaded when the student uploaded it, not when the change began.
            EvidenceFile.objects.filter(pk=evidence.pk).update(uploaded_at=original.uploaded_at)
            # The copy's reading reuses the original's (same sha256), without reading again.
            transaction.on_commit(functools.partial(evidence_reading_after_commit, evidence.pk))
        return copied
    except BaseException:
        for evidence in copied:
            storage_delete_quietly(storage=evidence.file.storage, name=evidence.file.name)
        raise
