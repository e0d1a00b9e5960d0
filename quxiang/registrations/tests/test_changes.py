"""A change request (变更/改派) as the student meets it: it starts with the verified version's evidence
(copies, so the verified files stay intact for the audit), and it can be cancelled while it is a draft or
returned, leaving the verified version as the current record."""

from __future__ import annotations

import pytest

from quxiang.audit.display import audit_detail_items
from quxiang.audit.models import AuditAction, AuditEntry
from quxiang.core.errors import DomainError
from quxiang.evidence.models import EvidenceFile
from quxiang.evidence.services import evidence_add, evidence_remove
from quxiang.registrations import changes
from quxiang.registrations import services as reg_services
from quxiang.registrations.models import Registration, RegistrationEvent, Status
from quxiang.registrations.selectors import registration_get_current
from quxiang.reviews.services import registration_return
from quxiang.testing.factories import (
    StudentFactory,
    counselor_of,
    make_registration,
    make_verified,
    pdf_upload,
)

pytestmark = pytest.mark.django_db


def stored(evidence: EvidenceFile) -> bytes | None:
    """The file's bytes as the storage holds them, or None when it is gone."""
    storage = evidence.file.storage
    if not storage.exists(evidence.file.name):
        return None
    with storage.open(evidence.file.name, "rb") as f:
        return f.read()


@pytest.fixture
def verified():
    """A verified 一般单位录用 record with its agreement (one PDF, uploaded by the student)."""
    return make_verified(destination_type="dispatch_general")


def start_change(v1: Registration) -> Registration:
    return changes.registration_change_start(student=v1.student, actor=v1.student.user, ip="10.1.2.3")


# --- evidence carried into a change ------------------------------------------------------------------

def test_a_change_starts_with_copies_of_the_verified_evidence(verified):
    original = verified.evidence_files.get()

    v2 = start_change(verified)

    carried = v2.evidence_files.get()
    assert (carried.original_name, carried.content_type, carried.size, carried.sha256) == (
        original.original_name, original.content_type, original.size, original.sha256)
    assert carried.uploaded_by == original.uploaded_by and carried.uploaded_at == original.uploaded_at
    # Its own stored file with the same content: the verified version's file is not shared.
    assert carried.file.name != original.file.name
    assert stored(carried) == stored(original) is not None
    assert verified.evidence_files.get().pk == original.pk


def test_removing_a_carried_file_keeps_the_verified_file(verified, django_capture_on_commit_callbacks):
    original = verified.evidence_files.get()
    content = stored(original)
    v2 = start_change(verified)

    with django_capture_on_commit_callbacks(execute=True):
        evidence_remove(evidence=v2.evidence_files.get(), actor=v2.student.user)

    assert not v2.evidence_files.exists()
    assert stored(EvidenceFile.objects.get(pk=original.pk)) == content  # still reachable for the audit


def test_carried_files_count_toward_the_limit(verified, settings):
    settings.QUXIANG = {**settings.QUXIANG, "EVIDENCE_MAX_FILES": 2}
    v2 = start_change(verified)
    evidence_add(registration=v2, upload=pdf_upload("改派函.pdf", text="new"), actor=v2.student.user)
    with pytest.raises(Exception, match="最多只能上传 2 个文件"):
        evidence_add(registration=v2, upload=pdf_upload("第三份.pdf", text="third"), actor=v2.student.user)


def test_a_change_asked_for_twice_does_not_copy_twice(verified):
    v2 = start_change(verified)
    assert start_change(verified).pk == v2.pk
    assert v2.evidence_files.count() == 1


def test_a_file_that_cannot_be_copied_refuses_the_change_and_leaves_nothing_behind(verified):
    original = verified.evidence_files.get()
    original.file.storage.delete(original.file.name)  # the storage lost it
    files_before = EvidenceFile.objects.count()

    with pytest.raises(DomainError) as refused:
        start_change(verified)

    assert refused.value.code == "storage" and "佐证材料" in refused.value.message
    assert list(Registration.objects.filter(student=verified.student).values_list("version", flat=True)) == [1]
    assert EvidenceFile.objects.count() == files_before


# --- cancelling a change -------------------------------------------------------------------------------

def test_cancel_deletes_the_draft_and_its_files_and_the_verified_version_is_current_again(
    verified, django_capture_on_commit_callbacks,
):
    student = verified.student
    original = verified.evidence_files.get()
    content = stored(original)
    v2 = start_change(verified)
    added = evidence_add(registration=v2, upload=pdf_upload("改派函.pdf", text="new"), actor=student.user)
    draft_files = list(v2.evidence_files.all())
    assert len(draft_files) == 2 and added in draft_files

    with django_capture_on_commit_callbacks(execute=True):
        current = changes.registration_change_cancel(student=student, actor=student.user, ip="10.1.2.3")

    assert current.pk == verified.pk and current.status == Status.VERIFIED
    assert registration_get_current(student=student).pk == verified.pk
    assert not Registration.objects.filter(pk=v2.pk).exists()
    assert not RegistrationEvent.objects.filter(registration_id=v2.pk).exists()
    assert not EvidenceFile.objects.filter(pk__in=[f.pk for f in draft_files]).exists()
    assert all(stored(f) is None for f in draft_files)  # removed from storage on commit
    assert stored(EvidenceFile.objects.get(pk=original.pk)) == content
    entry = AuditEntry.objects.filter(action=AuditAction.CHANGE_CANCEL).get()
    assert (entry.registration_id, entry.student_id, entry.actor_id, entry.ip) == (
        verified.pk, student.pk, student.user.pk, "10.1.2.3")
    assert entry.detail == {"cancelled_version": 2, "files_removed": 2}
    # The log's 详情 column reads in Chinese (jsonb on PostgreSQL keeps no key order).
    assert dict(audit_detail_items(detail=entry.detail)) == {"撤销的版本": "2", "删除的材料数": "2"}


def test_files_stay_when_the_cancel_rolls_back(verified, django_capture_on_commit_callbacks, monkeypatch):
    v2 = start_change(verified)
    carried = v2.evidence_files.get()

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(changes, "audit_record", broken)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        changes.registration_change_cancel(student=verified.student, actor=verified.student.user)

    assert callbacks == [] and stored(carried) is not None
    assert Registration.objects.filter(pk=v2.pk, status=Status.DRAFT).exists()


def test_a_returned_change_can_be_cancelled(verified):
    student = verified.student
    v2 = start_change(verified)
    assert reg_services.registration_submit(registration=v2, actor=student.user)
    registration_return(registration=v2, actor=counselor_of(student), reason="改派函缺失")

    assert changes.registration_change_cancel(student=student, actor=student.user).pk == verified.pk
    assert list(Registration.objects.filter(student=student).values_list("status", flat=True)) == [Status.VERIFIED]


def test_a_submitted_change_must_be_withdrawn_first(verified):
    student = verified.student
    v2 = start_change(verified)
    assert reg_services.registration_submit(registration=v2, actor=student.user)

    with pytest.raises(DomainError) as refused:
        changes.registration_change_cancel(student=student, actor=student.user)

    assert refused.value.code == "change_submitted" and "撤回修改" in refused.value.message
    assert Registration.objects.get(pk=v2.pk).status == Status.SUBMITTED
    changes.registration_withdraw(registration=v2, actor=student.user)
    assert changes.registration_change_cancel(student=student, actor=student.user).pk == verified.pk


@pytest.mark.parametrize("situation", ["nothing", "first_draft", "verified_only"])
def test_cancel_without_a_change_request_is_refused(situation):
    if situation == "first_draft":
        student = make_registration().student  # an ordinary first registration is not a change
    elif situation == "verified_only":
        student = make_verified().student
    else:
        student = StudentFactory()
    before = list(Registration.objects.filter(student=student).values_list("pk", "status"))

    with pytest.raises(DomainError) as refused:
        changes.registration_change_cancel(student=student, actor=student.user)

    assert (refused.value.code, refused.value.http_status) == ("no_change_request", 404)
    assert "变更申请" in refused.value.message
    assert list(Registration.objects.filter(student=student).values_list("pk", "status")) == before


def test_a_new_change_after_cancelling_starts_afresh(verified):
    student = verified.student
    v2 = start_change(verified)
    Registration.objects.filter(pk=v2.pk).update(org_name="打算去的新单位")
    changes.registration_change_cancel(student=student, actor=student.user)

    again = start_change(verified)

    assert (again.version, again.changed_from_id, again.org_name) == (2, verified.pk, verified.org_name)
    assert again.evidence_files.count() == 1

