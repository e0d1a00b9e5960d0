"""The findings workflow (issue 12): a scan's findings are kept, and the office decides each one.

open → confirmed (属实) / dismissed (误报, with a reason), by whom and when, audited. The scan job calls
`findings_sync` with what the checks found; it is the only writer of findings besides the two decisions.

* **Fingerprint.** sha256 over the check's key and, for each of its records in id order, the record's id
  and version, its typed content (every field a student fills in — not the workflow columns: status,
  times, verifier, verification number, return reason, wizard flags) and the sha256 of each of its
  evidence files. Editing the record (withdraw → edit → resubmit), replacing a file, or a change request
  (a new version, a new id) gives a new fingerprint; a counselor's 鉴证, which changes no data, does not.
  The reason text is not part of it: several checks print cohort-wide shares that move with every other
  student's registration.
* **Sync.** A fingerprint seen before in the scope (the cohort, or 全部届别) only refreshes `last_seen`
  (and the reason of an open finding): a confirmed or dismissed finding stays decided, so a dismissed one
  does not come back while its data is the same. A new fingerprint is a new open finding; when an earlier
  decided finding concerned the same students and check (`subject`), it is linked as `previous`, so the
  office sees what was decided before the data changed. An *open* finding about the same students is
  instead moved to the new data in place (nobody decided on the old data; no second email). A new
  finding whose fingerprint was already decided in another scope takes that decision over (the same
  data, the same answer).
* **Gone, not deleted.** A finding of the scope that a scan no longer produces gets `gone_at` (kept with
  its decision as history; it leaves the to-do lists). Not a status of its own: whether a scan still
  produces a finding is a fact about the data, the decision is a person's, and one must not overwrite
  the other; if the same data is flagged again `gone_at` is cleared and the decision still holds.
* **Once.** Every sync locks its scope's `FindingScope` row, so two scans finishing together apply one
  after the other; the scan job runs the sync and its own "done" in one transaction, so a redelivered job
  (after that commit) changes nothing, and a sync of unchanged data writes nothing but `last_seen`.
* **The counselor is told.** Open findings appear on 核查待办 for every staff member whose scope holds
  one of their records (selectors.findings_for_user); counselors with an email address get one message
  per sync that found something new in their classes, sent after the commit.
* **Audited.** A sync that created or closed findings (FINDING_SYNC), every confirm and dismiss."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from quxiang.accounts.models import User
from quxiang.audit.models import AuditAction
from quxiang.audit.services import audit_record
from quxiang.core.errors import DomainError
from quxiang.evidence.models import EvidenceFile
from quxiang.integrity.models import FindingRecord, FindingScope, FindingStatus, IntegrityFinding
from quxiang.registrations.models import Registration
from quxiang.roster.models import SchoolClass

# Workflow columns: they change when staff act or the wizard moves on, not when the data changes.
WORKFLOW_FIELDS = frozenset({
    "id", "student", "version", "status", "pending_input", "return_reason", "submitted_at", "verified_at",
    "verification_no", "verified_by", "changed_from", "created_at", "updated_at", "organisation_done",
    "archive_done",
})
CONTENT_FIELDS = tuple(
    f.attname for f in Registration._meta.concrete_fields if f.name not in WORKFLOW_FIELDS
)
REASON_MIN = 2
REASON_MAX = 2000
AUDIT_IDS = 50  # the first record / finding ids an audit entry lists
CHUNK = 900  # ids per IN (...) list


class FindingRefused(DomainError):
    """A decision the workflow refuses (missing reason, already decided); the message is Chinese."""

    http_status = 409


@dataclass
class SyncResult:
    created: list[int] = field(default_factory=list)
    moved: list[int] = field(default_factory=list)  # open findings moved to their records' changed data
    seen: int = 0
    gone: int = 0
    # check key → the finding ids in the order the check gave its findings
    by_check: dict[str, list[int]] = field(default_factory=dict)


def _chunks(values: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _sha(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def record_markers(*, ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    """registration id → (student id, marker): the marker is the sha256 of the record's version, typed
    content and evidence sha256s — what changes when the student edits the record or replaces a file."""
    ids = sorted(set(ids))
    shas: dict[int, list[str]] = defaultdict(list)
    rows: dict[int, tuple] = {}
    for chunk in _chunks(ids):
        for reg_id, sha in EvidenceFile.objects.filter(registration_id__in=chunk).values_list("registration_id",
                                                                                              "sha256"):
            shas[reg_id].append(sha)
        for pk, student_id, version, *content in Registration.objects.filter(pk__in=chunk).values_list(
                "pk", "student_id", "version", *CONTENT_FIELDS):
            rows[pk] = (student_id, version, content)
    markers = {}
    for pk, (student_id, version, content) in rows.items():
        payload = json.dumps([version, content, sorted(shas[pk])], default=str, ensure_ascii=False)
        markers[pk] = (student_id, _sha(payload))
    return markers


def finding_fingerprint(*, check_key: str, registration_ids: Iterable[int],
                        markers: dict[int, tuple[int, str]]) -> tuple[str, str]:
    """(fingerprint, subject) of a finding; a record that no longer exists counts as its id alone."""
    ids = sorted(set(registration_ids))
    fingerprint = _sha(check_key, *(f"{pk}:{markers.get(pk, (None, '-'))[1]}" for pk in ids))
    students = sorted({markers[pk][0] for pk in ids if pk in markers})
    return fingerprint, _sha(check_key, *map(str, students))


def _scope_q(year: int | None) -> Q:
    return Q(graduation_year__isnull=True) if year is None else Q(graduation_year=year)


def _notify_counselors(*, findings: list[IntegrityFinding], ids_by_finding: dict[int, list[int]]) -> None:
    """One email per counselor (with an address) of the classes holding records of new findings."""
    if not findings:
        return
    reg_ids = sorted({i for f in findings for i in ids_by_finding[f.pk]})
    class_of: dict[int, int] = {}
    for chunk in _chunks(reg_ids):
        class_of.update(Registration.objects.filter(pk__in=chunk).values_list("pk", "student__school_class_id"))
    counselors: dict[int, set[str]] = defaultdict(set)
    for class_id, email in SchoolClass.counselors.through.objects.filter(
            schoolclass_id__in=set(class_of.values()), user__is_active=True).exclude(user__email="").values_list(
            "schoolclass_id", "user__email"):
        counselors[class_id].add(email)
    per_email: dict[str, int] = defaultdict(int)
    for finding in findings:
        emails = set().union(*(counselors.get(class_of.get(i), set()) for i in ids_by_finding[finding.pk]))
        for email in emails:
            per_email[email] += 1
    subject = f"[{settings.QUXIANG['SCHOOL_NAME']}] " + _("数据核查：您负责的班级有新的核查线索")
    for email, n in sorted(per_email.items()):
        body = _("就业指导中心的数据核查发现了 %(n)d 条涉及您所负责班级的新线索。请登录系统，在“核查待办”中查看原因"
                 "和涉及的记录，并协助核实。线索只是需要人工复核的迹象，并不代表登记一定有误。") % {"n": n}
        transaction.on_commit(lambda body=body, email=email: send_mail(subject, body, None, [email],
                                                                        fail_silently=True))


def findings_sync(*, year: int | None, results: Sequence[tuple[str, Sequence]], actor: User | None = None,
                  job_id: int | None = None) -> SyncResult:
    """Keep what a scan of the cohort `year` (None: 全部届别) found. `results` is [(check key, [Finding
    (reason, registration_ids)…])] for every check the scan ran; findings of those checks that the scan
    no longer produces are marked gone. Idempotent: the same results twice leave one set of findings."""
    now = timezone.now()
    markers = record_markers(ids=(i for _key, found in results for f in found for i in f.registration_ids))
    # (check, fingerprint) → [reasons, ids, subject]; two findings of one check on the same data are one
    wanted: dict[tuple[str, str], list] = {}
    order: dict[str, list[tuple[str, str]]] = {key: [] for key, _found in results}
    for key, found in results:
        for f in found:
            fingerprint, subject = finding_fingerprint(check_key=key, registration_ids=f.registration_ids,
                                                       markers=markers)
            slot = wanted.get((key, fingerprint))
            if slot is None:
                wanted[(key, fingerprint)] = [[str(f.reason)], list(dict.fromkeys(f.registration_ids)), subject]
                order[key].append((key, fingerprint))
            elif str(f.reason) not in slot[0]:
                slot[0].append(str(f.reason))
    result = SyncResult()
    with transaction.atomic():
        scope, _created = FindingScope.objects.get_or_create(graduation_year=year)
        scope = FindingScope.objects.select_for_update().get(pk=scope.pk)
        in_scope = IntegrityFinding.objects.filter(_scope_q(year))
        existing: dict[tuple[str, str], IntegrityFinding] = {}
        fingerprints = sorted({fp for _key, fp in wanted})
        for chunk in _chunks(fingerprints):
            for finding in in_scope.filter(fingerprint__in=chunk, check_key__in=list(order)):
                existing[(finding.check_key, finding.fingerprint)] = finding
        # Seen again: refresh. The reason of a decided finding stays the one it was decided on.
        refreshed = []
        for k, finding in existing.items():
            finding.last_seen, finding.gone_at = now, None
            if finding.is_open:
                finding.reason = "\n".join(wanted[k][0])
            refreshed.append(finding)
        IntegrityFinding.objects.bulk_update(refreshed, ["last_seen", "gone_at", "reason"], batch_size=500)
        result.seen = len(refreshed)
        # New fingerprints: new findings, with the decision already taken on the same data in another scope
        # and a link to the latest decision about the same students.
        new_keys = [k for k in wanted if k not in existing]
        twins: dict[tuple[str, str], IntegrityFinding] = {}
        earlier: dict[tuple[str, str], IntegrityFinding] = {}
        if new_keys:
            decided = IntegrityFinding.objects.exclude(status=FindingStatus.OPEN).order_by("decided_at", "pk")
            for chunk in _chunks(sorted({fp for _key, fp in new_keys})):
                for f in decided.filter(fingerprint__in=chunk).exclude(_scope_q(year)):
                    twins[(f.check_key, f.fingerprint)] = f
            for chunk in _chunks(sorted({wanted[k][2] for k in new_keys})):
                for f in decided.filter(_scope_q(year), subject__in=chunk):
                    earlier[(f.check_key, f.subject)] = f
        # An undecided finding about the same students whose data changed is moved to the new data in place:
        # nobody decided on the old data, so there is no decision to keep apart (and nobody is told twice).
        reusable: dict[tuple[str, str], IntegrityFinding] = {}
        if new_keys:
            matched = {f.pk for f in existing.values()}
            for chunk in _chunks(sorted({wanted[k][2] for k in new_keys})):
                for f in in_scope.filter(status=FindingStatus.OPEN, subject__in=chunk,
                                         check_key__in=list(order)).order_by("pk"):
                    if f.pk not in matched:
                        reusable.setdefault((f.check_key, f.subject), f)
        created, moved = [], []
        for k in new_keys:
            reasons, ids, subject = wanted[k]
            twin = twins.get(k)
            reuse = None if twin else reusable.pop((k[0], subject), None)
            if reuse is not None:
                reuse.fingerprint, reuse.reason, reuse.record_count = k[1], "\n".join(reasons), len(ids)
                reuse.last_seen, reuse.gone_at = now, None
                moved.append(reuse)
                continue
            created.append(IntegrityFinding(
                check_key=k[0], graduation_year=year, fingerprint=k[1], subject=subject, reason="\n".join(reasons),
                record_count=len(ids), first_seen=now, last_seen=now,
                previous=earlier.get((k[0], subject)) or twin,
                status=twin.status if twin else FindingStatus.OPEN,
                decided_by_id=twin.decided_by_id if twin else None, decided_at=twin.decided_at if twin else None,
                decision_reason=twin.decision_reason if twin else "",
            ))
        created = IntegrityFinding.objects.bulk_create(created, batch_size=500)
        IntegrityFinding.objects.bulk_update(moved, ["fingerprint", "reason", "record_count", "last_seen", "gone_at"],
                                             batch_size=500)
        FindingRecord.objects.filter(finding__in=[f.pk for f in moved]).delete()
        ids_by_finding: dict[int, list[int]] = {}
        links = []
        existing_regs = set(markers)
        for finding in [*created, *moved]:
            ids = [i for i in wanted[(finding.check_key, finding.fingerprint)][1] if i in existing_regs]
            ids_by_finding[finding.pk] = ids
            links.extend(FindingRecord(finding=finding, registration_id=i, position=n) for n, i in enumerate(ids))
        FindingRecord.objects.bulk_create(links, batch_size=2000)
        result.created, result.moved = [f.pk for f in created], [f.pk for f in moved]
        # Not produced any more: gone (kept, with any decision).
        result.gone = in_scope.filter(check_key__in=list(order), gone_at__isnull=True).exclude(
            last_seen=now).update(gone_at=now)
        by_key = {**{k: f.pk for k, f in existing.items()},
                  **{(f.check_key, f.fingerprint): f.pk for f in [*created, *moved]}}
        result.by_check = {key: [by_key[k] for k in keys] for key, keys in order.items()}
        scope.synced_at, scope.job_id = now, job_id
        scope.save(update_fields=["synced_at", "job"])
        if result.created or result.moved or result.gone:
            audit_record(actor=actor, action=AuditAction.FINDING_SYNC, detail={
                "year": year, "job_id": job_id, "created": len(result.created), "moved": len(result.moved),
                "seen": result.seen, "gone": result.gone, "findings": result.created[:AUDIT_IDS],
            })
        _notify_counselors(findings=[f for f in created if f.is_open], ids_by_finding=ids_by_finding)
    return result


def _decide(*, actor: User, finding: IntegrityFinding, status: str, reason: str, ip: str | None) -> IntegrityFinding:
    if not getattr(actor, "is_office", False):
        raise FindingRefused(_("只有就业指导中心可以处理核查线索。"), code="finding_forbidden", http_status=403)
    reason = (reason or "").strip()
    if status == FindingStatus.DISMISSED and len(reason) < REASON_MIN:
        raise FindingRefused(_("排除线索时请写明理由（例如已核实的情况），以后复查时会看到。"),
                             code="finding_reason_required", fields={"reason": [_("请填写排除理由。")]},
                             http_status=422)
    with transaction.atomic():
        locked = IntegrityFinding.objects.select_for_update().get(pk=finding.pk)
        if not locked.is_open:
            raise FindingRefused(
                _("该线索已由%(who)s处理为“%(status)s”，请刷新后查看。")
                % {"who": locked.decided_by.full_name or locked.decided_by.username if locked.decided_by else "",
                   "status": locked.get_status_display()},
                code="finding_decided",
            )
        now = timezone.now()
        fields = {"status": status, "decided_by": actor, "decided_at": now, "decision_reason": reason[:REASON_MAX]}
        IntegrityFinding.objects.filter(pk=locked.pk, status=FindingStatus.OPEN).update(**fields)
        # The same data flagged in another cohort scope (a 全部届别 scan and a 2027 scan) gets the same answer.
        twins = list(IntegrityFinding.objects.filter(check_key=locked.check_key, fingerprint=locked.fingerprint,
                                                     status=FindingStatus.OPEN).exclude(pk=locked.pk)
                     .values_list("pk", flat=True))
        if twins:
            IntegrityFinding.objects.filter(pk__in=twins, status=FindingStatus.OPEN).update(**fields)
        locked.refresh_from_db()
        ids = list(locked.records.order_by("position").values_list("registration_id", flat=True)[:AUDIT_IDS])
        single = ids[0] if locked.record_count == 1 and ids else None
        audit_record(
            actor=actor, ip=ip, registration_id=single,
            student_id=Registration.objects.filter(pk=single).values_list("student_id", flat=True).first()
            if single else None,
            action=AuditAction.FINDING_CONFIRM if status == FindingStatus.CONFIRMED else AuditAction.FINDING_DISMISS,
            detail={"finding": locked.pk, "check": locked.check_key, "year": locked.graduation_year,
                    "reason": locked.decision_reason, "records": ids, "record_count": locked.record_count,
                    "same_data_findings": twins},
        )
    return locked


def finding_confirm(*, actor: User, finding: IntegrityFinding, reason: str = "",
                    ip: str | None = None) -> IntegrityFinding:
    """确认属实: the finding stays on record as confirmed (the records themselves are handled through 退回 /
    reopening a change, as usual)."""
    return _decide(actor=actor, finding=finding, status=FindingStatus.CONFIRMED, reason=reason, ip=ip)


def finding_dismiss(*, actor: User, finding: IntegrityFinding, reason: str, ip: str | None = None) -> IntegrityFinding:
    """排除 (误报), with a reason: the same data flagged again stays dismissed."""
    return _decide(actor=actor, finding=finding, status=FindingStatus.DISMISSED, reason=reason, ip=ip)
