"""Real races on PostgreSQL: several threads, each on its own database connection, released together
by a barrier, call the services at the same moment.

What makes them safe, and what these tests would catch if it went away:

* verify / return / withdraw lock the row (`SELECT … FOR UPDATE` in `_lock_submitted`) and re-check the
  status under the lock. The loser waits for the winner's commit, then reads the winner's status and
  raises ReviewConflict *naming that status*. The tests assert that message: without the lock the loser
  reads "submitted" and goes on —
  - verify vs verify (a) is then still stopped by the conditional UPDATE (…filter(status=SUBMITTED)),
    but with the other message ("该记录已被其他老师处理"), so (a) fails;
  - return and withdraw do not check their UPDATE's row count, so (b) and (c) record a second
    decision (a RETURN or WITHDRAW event and audit entry for a record that was verified) and fail.
* submit (d) locks the row too, and its conditional UPDATE lets exactly one of the ten through even
  without the lock; the test fails only if both guards are gone (more than one True / SUBMIT event).
* start (e) relies on the partial unique constraint "one open registration per student" and on
  catching the IntegrityError; without either, two drafts or a 500.
* change (f) locks the verified version; without the lock the second request's INSERT violates the
  unique constraints and raises IntegrityError (a 500 for a double click).
* the directory (g): two verifications of the same employer insert the same USCC; update_or_create
  must survive the loser's IntegrityError.
* two bulk verifies over the same records in opposite order (h): every record verified once, no
  deadlock, each side reports the others' records as skipped.

To make every race real, each test holds the winner's transaction open for HOLD seconds after it has
taken its locks (a slow audit write / event write, patched in here; the app logic is unchanged), and
asserts that all workers were in flight at the same time.

Checked by hand (not part of the suite): with QuerySet.select_for_update patched to a no-op, (a), (b),
(c) and (f) fail as described; (d), (e), (g) and the overlapping bulk verifies (h) still pass, (d) and
(h) thanks to the conditional UPDATE, (e) and (g) thanks to the unique constraints.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection, connections

from quxiang.audit.models import AuditAction, AuditEntry
from quxiang.organisations.models import Organisation
from quxiang.registrations import changes
from quxiang.registrations import services as reg_services
from quxiang.registrations.models import EventKind, Registration, RegistrationEvent, Status
from quxiang.registrations.services import RegistrationStateError
from quxiang.reviews import services
from quxiang.reviews.services import ReviewConflict
from quxiang.testing.factories import (
    StudentFactory,
    counselor_of,
    make_counselor,
    make_office,
    make_registration,
    make_submitted,
    make_verified,
)

ON_POSTGRES = connection.vendor == "postgresql"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: real row locks and concurrent connections"),
    # Committed data, visible to the workers' connections. The flush after each test would wipe the
    # code tables loaded by data migrations; serialized_rollback puts them back.
    pytest.mark.django_db(transaction=True, serialized_rollback=ON_POSTGRES),
]

HOLD = 0.3  # seconds the winner keeps its transaction (and locks) open


@pytest.fixture(scope="module", autouse=True)
def _survive_a_foreign_flush(django_db_setup, django_db_blocker):
    """A transactional test elsewhere that runs without serialized_rollback flushes the database and
    lets post_migrate re-create the content types under new ids; the serialized rollback of the tests
    below would then fail on a duplicate content type. The sign of such a flush is that the seeded code
    tables are gone: then drop the re-created content types (and their permissions) and let the
    rollback restore them, the code tables and the rest of the seeded data."""
    from django.contrib.contenttypes.models import ContentType

    from quxiang.reference.models import DestinationType

    with django_db_blocker.unblock():
        if not DestinationType.objects.exists():
            ContentType.objects.all().delete()
            ContentType.objects.clear_cache()
    yield


@dataclass
class Outcome:
    started: float
    ended: float
    value: Any = None
    error: BaseException | None = None


def race(*jobs: Callable[[], Any]) -> list[Outcome]:
    """Run the jobs in threads released together; each uses (and closes) its own connection."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[Outcome | None] = [None] * len(jobs)

    def run(i: int, job: Callable[[], Any]) -> None:
        started = time.monotonic()
        try:
            barrier.wait(timeout=10)
            started = time.monotonic()
            value = job()
            outcomes[i] = Outcome(started, time.monotonic(), value=value)
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            outcomes[i] = Outcome(started, time.monotonic(), error=exc)
        finally:
            connections.close_all()  # this thread's connections only

    threads = [threading.Thread(target=run, args=(i, job), daemon=True) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a worker hung (deadlock?)"
    done = [o for o in outcomes if o is not None]
    assert len(done) == len(jobs)
    unexpected = [o.error for o in done if o.error is not None and not isinstance(o.error, RegistrationStateError)]
    if unexpected:
        raise unexpected[0]
    # They really raced: every worker started before the first one finished.
    assert max(o.started for o in done) < min(o.ended for o in done), "the workers did not overlap"
    return done


@pytest.fixture
def hold_locks(monkeypatch):
    """Keep each writer's transaction open a little after it has locked and written: the audit entry
    is the last write inside the transaction of submit / verify / return / withdraw / change."""
    import quxiang.registrations.changes as changes_module
    import quxiang.registrations.services as reg_module
    import quxiang.reviews.services as review_module

    for module in (reg_module, review_module, changes_module):
        original = module.audit_record

        def slow(*args, _original=original, **kwargs):
            entry = _original(*args, **kwargs)
            time.sleep(HOLD)
            return entry

        monkeypatch.setattr(module, "audit_record", slow)


def winner_and_loser(outcomes: list[Outcome]) -> tuple[Outcome, Outcome]:
    ok = [o for o in outcomes if o.error is None]
    failed = [o for o in outcomes if o.error is not None]
    assert len(ok) == 1 and len(failed) == 1, [(o.value, o.error) for o in outcomes]
    assert isinstance(failed[0].error, ReviewConflict), repr(failed[0].error)
    return ok[0], failed[0]


def kinds(reg: Registration) -> list[str]:
    return list(RegistrationEvent.objects.filter(registration_id=reg.pk).order_by("id").values_list("kind", flat=True))


def test_two_verifiers_at_the_same_moment(hold_locks):
    reg = make_submitted()
    first = counselor_of(reg.student)
    second = make_counselor()
    reg.student.school_class.counselors.add(second)
    outcomes = race(
        lambda: services.registration_verify(registration=reg, actor=first, ip="10.0.0.1"),
        lambda: services.registration_verify(registration=reg, actor=second, ip="10.0.0.2"),
    )
    win, lose = winner_and_loser(outcomes)
    # The loser waited for the lock and then saw the winner's decision.
    assert "已鉴证" in str(lose.error), str(lose.error)
    reg.refresh_from_db()
    assert reg.status == Status.VERIFIED
    assert reg.verified_by_id == win.value.verified_by_id
    assert reg.verification_no == win.value.verification_no
    assert kinds(reg).count(EventKind.VERIFY) == 1
    assert AuditEntry.objects.filter(action=AuditAction.VERIFY).count() == 1
    assert Organisation.objects.filter(uscc=reg.org_uscc).count() == 1


def test_verifier_and_returner_at_the_same_moment(hold_locks):
    reg = make_submitted()
    counselor = counselor_of(reg.student)
    office = make_office()
    outcomes = race(
        lambda: services.registration_verify(registration=reg, actor=counselor),
        lambda: services.registration_return(registration=reg, actor=office, reason="协议书缺少单位盖章"),
    )
    win, lose = winner_and_loser(outcomes)
    reg.refresh_from_db()
    decisions = [k for k in kinds(reg) if k in (EventKind.VERIFY, EventKind.RETURN)]
    audits = list(AuditEntry.objects.filter(action__in=[AuditAction.VERIFY, AuditAction.RETURN])
                  .values_list("action", flat=True))
    if outcomes[0] is win:
        assert reg.status == Status.VERIFIED and reg.verification_no and reg.return_reason == ""
        assert decisions == [EventKind.VERIFY] and audits == [AuditAction.VERIFY]
        assert "已鉴证" in str(lose.error)
    else:
        assert reg.status == Status.RETURNED and reg.verification_no is None
        assert reg.return_reason == "协议书缺少单位盖章"
        assert decisions == [EventKind.RETURN] and audits == [AuditAction.RETURN]
        assert "已退回" in str(lose.error)


def test_verify_and_the_students_withdraw_at_the_same_moment(hold_locks):
    reg = make_submitted()
    counselor, student_user = counselor_of(reg.student), reg.student.user
    outcomes = race(
        lambda: services.registration_verify(registration=reg, actor=counselor),
        lambda: changes.registration_withdraw(registration=reg, actor=student_user),
    )
    win, lose = winner_and_loser(outcomes)
    reg.refresh_from_db()
    decisions = [k for k in kinds(reg) if k in (EventKind.VERIFY, EventKind.WITHDRAW)]
    audits = list(AuditEntry.objects.filter(action__in=[AuditAction.VERIFY, AuditAction.WITHDRAW])
                  .values_list("action", flat=True))
    if outcomes[0] is win:
        assert reg.status == Status.VERIFIED and reg.verification_no
        assert decisions == [EventKind.VERIFY] and audits == [AuditAction.VERIFY]
        assert "已鉴证" in str(lose.error)
    else:
        assert reg.status == Status.DRAFT and reg.verification_no is None and reg.verified_at is None
        assert decisions == [EventKind.WITHDRAW] and audits == [AuditAction.WITHDRAW]
        assert "草稿" in str(lose.error)
        assert not Organisation.objects.filter(uscc=reg.org_uscc).exists()


def test_ten_submits_of_the_same_draft(hold_locks):
    reg = make_registration(complete=True)
    user = reg.student.user
    outcomes = race(*[lambda: reg_services.registration_submit(registration=reg, actor=user)] * 10)
    assert sorted(o.value for o in outcomes) == [False] * 9 + [True]
    reg.refresh_from_db()
    assert reg.status == Status.SUBMITTED
    assert kinds(reg).count(EventKind.SUBMIT) == 1
    assert AuditEntry.objects.filter(action=AuditAction.SUBMIT).count() == 1


def test_two_starts_for_a_student_without_a_record(monkeypatch):
    student = StudentFactory()
    # Hold the winner's transaction open after its INSERT, so the other INSERT really collides.
    manager = RegistrationEvent.objects
    original = manager.create

    def slow_create(**kwargs):
        event = original(**kwargs)
        time.sleep(HOLD)
        return event

    monkeypatch.setattr(manager, "create", slow_create)
    outcomes = race(
        lambda: reg_services.registration_start(student=student, actor=student.user),
        lambda: reg_services.registration_start(student=student, actor=student.user),
    )
    assert all(o.error is None for o in outcomes), [o.error for o in outcomes]
    assert outcomes[0].value.pk == outcomes[1].value.pk
    reg = Registration.objects.get(student=student)
    assert (reg.version, reg.status) == (1, Status.DRAFT)
    assert kinds(reg) == [EventKind.CREATE]


def test_two_change_requests_at_the_same_moment(hold_locks):
    v1 = make_verified()
    student = v1.student
    outcomes = race(
        lambda: changes.registration_change_start(student=student, actor=student.user),
        lambda: changes.registration_change_start(student=student, actor=student.user),
    )
    assert all(o.error is None for o in outcomes), [o.error for o in outcomes]
    assert outcomes[0].value.pk == outcomes[1].value.pk
    assert Registration.objects.filter(student=student).count() == 2
    draft = Registration.objects.get(student=student, version=2)
    assert draft.changed_from_id == v1.pk and draft.status == Status.DRAFT
    assert AuditEntry.objects.filter(action=AuditAction.CHANGE).count() == 1
    v1.refresh_from_db()
    assert v1.status == Status.VERIFIED


def test_two_records_of_the_same_employer_verified_at_the_same_moment(monkeypatch):
    a, b = make_submitted(), make_submitted()
    assert a.org_uscc == b.org_uscc and not Organisation.objects.exists()
    import quxiang.reviews.services as review_module

    original = review_module.organisation_upsert_from_registration

    def slow_upsert(**kwargs):
        org = original(**kwargs)
        time.sleep(HOLD)  # the new directory row stays uncommitted a while
        return org

    monkeypatch.setattr(review_module, "organisation_upsert_from_registration", slow_upsert)
    outcomes = race(
        lambda: services.registration_verify(registration=a, actor=counselor_of(a.student)),
        lambda: services.registration_verify(registration=b, actor=counselor_of(b.student)),
    )
    assert all(o.error is None for o in outcomes), [o.error for o in outcomes]
    assert set(Registration.objects.filter(pk__in=[a.pk, b.pk]).values_list("status", flat=True)) == {Status.VERIFIED}
    assert Organisation.objects.filter(uscc=a.org_uscc).count() == 1


def test_two_bulk_verifies_over_the_same_records(hold_locks):
    first = make_submitted()
    regs = [first] + [make_submitted(school_class=first.student.school_class) for _ in range(3)]
    counselor, office = counselor_of(first.student), make_office()
    outcomes = race(
        lambda: services.registration_bulk_verify(registrations=list(regs), actor=counselor),
        lambda: services.registration_bulk_verify(registrations=list(reversed(regs)), actor=office),
    )
    assert all(o.error is None for o in outcomes)
    done = [{r.pk for r in o.value[0]} for o in outcomes]
    skipped = [{r.pk for r, _msg in o.value[1]} for o in outcomes]
    everything = {r.pk for r in regs}
    assert done[0] | done[1] == everything and not done[0] & done[1]
    assert skipped[0] == everything - done[0] and skipped[1] == everything - done[1]
    assert set(Registration.objects.filter(pk__in=everything).values_list("status", flat=True)) == {Status.VERIFIED}
    assert AuditEntry.objects.filter(action=AuditAction.VERIFY).count() == len(regs)
    assert RegistrationEvent.objects.filter(kind=EventKind.VERIFY).count() == len(regs)
