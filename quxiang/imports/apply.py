"""Roster import, step 3: write a plan in one transaction (`import_plan_apply`): bulk_create / bulk_update
in batches, so the number of queries does not grow per row. New accounts get the initial password."""

from __future__ import annotations

import copy
import os
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import transaction
from django.utils import timezone

from quxiang.accounts.models import Role, User
from quxiang.accounts.passwords import initial_password_hasher
from quxiang.accounts.services import initial_password_for
from quxiang.audit.models import AuditAction
from quxiang.audit.services import audit_record
from quxiang.imports.models import ImportJob, ImportStatus
from quxiang.imports.plan import Plan, chunks
from quxiang.imports.progress import Progress
from quxiang.jobs.services import job_finish
from quxiang.roster.models import SchoolClass, Student

WRITE_BATCH = 1000
# Initial passwords are the last characters of the national ID, which the roster table stores in full next
# to the account: a slow hash protects nothing here. Like the demo seed (quxiang.roster.demo) the import
# hashes them with a reduced PBKDF2 iteration count; Django re-hashes at full strength on the first login
# (PBKDF2PasswordHasher.must_update), and the first login forces a new password anyway. The demo's 50,000
# iterations cost ~22 ms a password here, i.e. 7 minutes for 20,000 students; 1,000 cost ~4–7 CPU seconds.
IMPORT_PASSWORD_ITERATIONS = 1_000


def _initial_hasher():
    """The demo seed's reduced-iteration copy of the default hasher, reduced further for bulk imports."""
    hasher = initial_password_hasher(full_strength=False)
    if isinstance(hasher, PBKDF2PasswordHasher) and hasher.iterations > IMPORT_PASSWORD_ITERATIONS:
        hasher = copy.copy(hasher)
        hasher.iterations = IMPORT_PASSWORD_ITERATIONS
    return hasher


def _initial_hash(hasher, password: str) -> str:
    # For PBKDF2, 128 random bits of salt from one os.urandom call: Django's salt() draws 22 characters one by
    # one, which costs as much as the reduced hash itself. Other hashers (bcrypt…) need their own salt format.
    salt = secrets.token_hex(16) if isinstance(hasher, PBKDF2PasswordHasher) else hasher.salt()
    return hasher.encode(password, salt)


def _initial_hashes(ids: dict[str, str], *, on_progress: Callable[[float], None] | None) -> dict[str, str]:
    """学号 → hash of the initial password. hashlib releases the GIL while it hashes, so a few threads use
    every core the machine has."""
    hasher = _initial_hasher()
    numbers = list(ids)
    if not numbers:
        return {}

    def work(chunk: list[str]) -> list[str]:
        return [_initial_hash(hasher, initial_password_for(national_id=ids[n])) for n in chunk]

    chunks = [numbers[i : i + 500] for i in range(0, len(numbers), 500)]
    hashes: list[str] = []
    workers = max(1, min(4, os.cpu_count() or 1, len(chunks)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="roster-import-hash") as pool:
        for done, result in enumerate(pool.map(work, chunks), start=1):
            hashes.extend(result)
            if on_progress is not None:
                on_progress(done / len(chunks))
    return dict(zip(numbers, hashes, strict=True))


def import_plan_apply(*, plan: Plan, job_id: int, progress: Progress | None = None) -> dict[str, int] | None:
    """Write the plan in one transaction. New accounts get the initial password and must change it;
    the password of an existing account is never touched. Returns the counts, or None (writing nothing)
    when the import is no longer running: a second run of one import (its message redelivered after the
    first run committed) must not write it twice. The import's background job is marked done in the same
    transaction."""
    new_rows = [r for r in plan.rows if r.action == "new"]
    passwords = _initial_hashes(
        {r.student_number: r.national_id for r in new_rows if r.user_id is None},
        on_progress=(lambda f: progress.set(0.6 * f)) if progress is not None else None,
    )
    if progress is not None:
        progress.set(0.6)
        progress.in_transaction = True
    try:
        with transaction.atomic():
            # The first statement writes, so that on SQLite the write lock is taken (or waited for) up front;
            # on PostgreSQL it locks the import's row, so a concurrent second run waits here and then finds
            # the import done.
            if not ImportJob.objects.filter(pk=job_id, status=ImportStatus.IMPORTING).update(
                updated_at=timezone.now()
            ):
                return None
            SchoolClass.objects.bulk_create(
                [SchoolClass(name=name, major_id=major_id) for name, major_id in plan.new_classes.items()],
                batch_size=WRITE_BATCH, ignore_conflicts=True,  # created meanwhile by someone else: use it
            )
            class_ids: dict[str, int] = {}
            for chunk in chunks({r.class_name for r in plan.rows}):
                class_ids.update(SchoolClass.objects.filter(name__in=chunk).values_list("name", "pk"))
            through = SchoolClass.counselors.through
            through.objects.bulk_create(
                [through(schoolclass_id=class_ids[name], user_id=user_id) for name, user_id in sorted(plan.links)],
                batch_size=WRITE_BATCH, ignore_conflicts=True,
            )
            if progress is not None:
                progress.set(0.65)

            users = [
                User(username=r.student_number, full_name=r.name, role=Role.STUDENT, email=r.email,
                     password=passwords[r.student_number], must_change_password=True)
                for r in new_rows if r.user_id is None
            ]
            User.objects.bulk_create(users, batch_size=WRITE_BATCH)
            user_ids = {u.username: u.pk for u in users}
            if any(pk is None for pk in user_ids.values()):  # backends that do not return ids
                for chunk in chunks(user_ids):
                    user_ids.update(User.objects.filter(username__in=chunk).values_list("username", "pk"))
            if progress is not None:
                progress.set(0.8)
            Student.objects.bulk_create(
                [Student(student_number=r.student_number, user_id=r.user_id or user_ids[r.student_number],
                         school_class_id=class_ids[r.class_name], **r.values) for r in new_rows],
                batch_size=WRITE_BATCH,
            )
            if progress is not None:
                progress.set(0.9)

            updates = [r for r in plan.rows if r.action == "update" and r.changed]
            fields = sorted({Student._meta.get_field(f).name for r in updates for f in r.changed})
            if fields:
                objs = [Student(pk=r.student_id, school_class_id=class_ids[r.class_name], **r.values) for r in updates]
                Student.objects.bulk_update(objs, fields, batch_size=WRITE_BATCH)
            renames = [User(pk=r.user_id, full_name=r.name) for r in plan.rows
                       if r.rename_user or (r.action == "new" and r.user_id is not None)]
            if renames:
                User.objects.bulk_update(renames, ["full_name"], batch_size=WRITE_BATCH)
            counts = {
                "rows_total": plan.total, "rows_new": len(new_rows), "rows_updated": plan.count("update"),
                "rows_unchanged": plan.count("same"), "rows_error": len(plan.problems),
                "classes_new": len(plan.new_classes), "counselor_links_new": len(plan.links),
            }
            ImportJob.objects.filter(pk=job_id).update(
                status=ImportStatus.DONE, problems=plan.problems, imported_at=timezone.now(),
                message="", **counts,
            )
            job = ImportJob.objects.select_related("created_by").get(pk=job_id)
            audit_record(actor=job.created_by, action=AuditAction.IMPORT, detail={"job": job_id, **counts})
            if job.apply_job_id:
                job_finish(job_id=job.apply_job_id)
    finally:
        if progress is not None:
            progress.in_transaction = False
    return counts
