"""Concurrent decisions on PostgreSQL keep the maintained statistics equal to a full recount.

Threads, each on its own connection, released together by a barrier: the students of one class submit
at the same moment (no shared counter row for them to queue on), then for every record a counselor's
鉴证 races the student's 撤回 and another teacher's 退回 (exactly one wins), and change requests race
their verification. Afterwards the page's figures equal the recount from the records."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from quxiang.registrations import changes, services
from quxiang.registrations.models import Registration, Status
from quxiang.registrations.services import RegistrationStateError
from quxiang.registrations.state import student_states_recount
from quxiang.registrations.tests.test_state_recount import YEAR, recount, shown, without_zeros
from quxiang.reviews import services as reviews
from quxiang.testing.factories import (
    SchoolClassFactory,
    StudentFactory,
    counselor_of,
    make_counselor,
    make_office,
    make_registration,
    make_verified,
)

ON_POSTGRES = connection.vendor == "postgresql"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: real row locks and concurrent connections"),
    pytest.mark.django_db(transaction=True, serialized_rollback=ON_POSTGRES),
]


@pytest.fixture(scope="module", autouse=True)
def _survive_a_foreign_flush(django_db_setup, django_db_blocker):
    """As in quxiang/reviews/tests/test_concurrency.py: after a foreign flush (code tables gone), drop the
    re-created content types so that the serialized rollback can restore everything."""
    from django.contrib.contenttypes.models import ContentType

    from quxiang.reference.models import DestinationType

    with django_db_blocker.unblock():
        if not DestinationType.objects.exists():
            ContentType.objects.all().delete()
            ContentType.objects.clear_cache()
    yield


def race(jobs: list[Callable[[], Any]]) -> list[tuple[Any, BaseException | None]]:
    barrier = threading.Barrier(len(jobs))
    out: list[tuple[Any, BaseException | None] | None] = [None] * len(jobs)

    def run(i: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=20)
            out[i] = (job(), None)
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            out[i] = (None, exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job), daemon=True) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker hung (deadlock?)"
    unexpected = [e for _, e in out if e is not None and not isinstance(e, RegistrationStateError)]
    if unexpected:
        raise unexpected[0]
    return out


def assert_equal_to_recount(office) -> None:
    assert without_zeros(shown(user=office, year=YEAR)) == without_zeros(recount(year=YEAR))
    assert student_states_recount(fix=False).mismatched == 0


def test_concurrent_submissions_and_decisions_match_the_recount():
    office = make_office()
    school_class = SchoolClassFactory(counselor=make_counselor())
    other_teacher = make_counselor()
    school_class.counselors.add(other_teacher)
    types = ["dispatch_general", "study_master", "awaiting_job_hunting", "abroad_study"]
    drafts = [make_registration(student=StudentFactory(school_class=school_class, graduation_year=YEAR),
                                destination_type=types[i % len(types)], complete=True) for i in range(8)]
    # Two verified students with a submitted change request (to another category).
    changed = []
    for key in ("labour_contract", "dispatch_general"):
        reg = make_verified(student=StudentFactory(school_class=school_class, graduation_year=YEAR),
                            destination_type=key)
        draft = changes.registration_change_start(student=reg.student, actor=office, reopen=True)
        assert services.registration_submit(registration=draft, actor=reg.student.user)
        changed.append(draft)
    assert_equal_to_recount(office)

    # The whole class submits at once.
    started = time.monotonic()
    results = race([lambda r=r: services.registration_submit(registration=r, actor=r.student.user) for r in drafts])
    assert [value for value, _ in results] == [True] * len(drafts)
    assert time.monotonic() - started < 30
    assert_equal_to_recount(office)

    # For every record: 鉴证 by the counselor, 退回 by the other teacher, 撤回 by the student — one wins.
    counselor = counselor_of(drafts[0].student)
    jobs: list[Callable[[], Any]] = []
    for r in drafts + changed:
        jobs += [
            lambda r=r: reviews.registration_verify(registration=r, actor=counselor),
            lambda r=r: reviews.registration_return(registration=r, actor=other_teacher, reason="请补充材料"),
            lambda r=r: changes.registration_withdraw(registration=r, actor=r.student.user),
        ]
    results = race(jobs)
    for i in range(0, len(jobs), 3):
        assert sum(error is None for _, error in results[i:i + 3]) == 1, results[i:i + 3]
    assert Registration.objects.filter(pk__in=[r.pk for r in drafts + changed], status=Status.SUBMITTED).count() == 0
    assert_equal_to_recount(office)

    # Resubmit what was withdrawn or returned, and verify everything at once (two teachers in opposite order).
    editable = list(Registration.objects.filter(student__school_class=school_class,
                                                status__in=[Status.DRAFT, Status.RETURNED]))
    race([lambda r=r: services.registration_submit(registration=r, actor=r.student.user) for r in editable])
    submitted = list(Registration.objects.filter(student__school_class=school_class, status=Status.SUBMITTED))
    assert submitted
    race([lambda: reviews.registration_bulk_verify(registrations=submitted, actor=counselor),
          lambda: reviews.registration_bulk_verify(registrations=submitted[::-1], actor=other_teacher)])
    assert not Registration.objects.filter(student__school_class=school_class, status=Status.SUBMITTED).exists()
    assert_equal_to_recount(office)
