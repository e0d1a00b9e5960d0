"""Roster import (花名册导入): check an uploaded workbook, preview what it would change, then import the good
rows in one transaction.

The preview reads the whole file with openpyxl in read-only mode, applies the format checks to every row
(`import_file_parse`), keeps the parsed rows next to the file, and compares them with the database
(`import_plan_build`). The import takes those parsed rows (the stored file cannot change) but compares them
with the database again, since it may have changed in between. Lookups are prefetched into dicts in a fixed
number of queries and writes are bulk_create / bulk_update in batches inside one transaction, so the
number of queries does not grow per row.

Work runs outside the request: `import_job_dispatch` starts a thread (enough for the SQLite demo and for a
few app servers, since all state is in the ImportJob row), or runs inline when
settings.QUXIANG["IMPORT_RUN_INLINE"] is true (tests). Any crash marks the job failed with a message."""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import json
import logging
import os
import secrets
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import EmailValidator
from django.db import IntegrityError, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from quxiang.accounts.models import Role, User
from quxiang.accounts.services import initial_password_for
from quxiang.audit.models import AuditAction
from quxiang.audit.services import audit_record
from quxiang.core.validators import mask_national_id, validate_mobile, validate_national_id
from quxiang.imports.columns import BY_KEY, COLUMNS, EXAMPLE_MARK, OPTIONAL_TEXT_FIELDS, REQUIRED_KEYS
from quxiang.imports.models import RUNNING_STATUSES, ImportJob, ImportStatus
from quxiang.imports.reader import (
    RosterFileError,
    cell_code,
    cell_date,
    cell_is_lossy_number,
    cell_text,
    cell_token,
    rows_read,
    xlsx_check,
)
from quxiang.imports.upload import import_max_bytes
from quxiang.reference.models import Region
from quxiang.roster.demo import initial_password_hasher
from quxiang.roster.models import College, EducationLevel, Gender, Major, SchoolClass, Student

logger = logging.getLogger(__name__)

LOOKUP_CHUNK = 2000  # values per `__in` query (SQLite allows 32766 parameters)
WRITE_BATCH = 1000
STALE_AFTER = dt.timedelta(minutes=10)
# Initial passwords are the last characters of the national ID, which the roster table stores in full next
# to the account: a slow hash protects nothing here. Like the demo seed (quxiang.roster.demo) the import
# hashes them with a reduced PBKDF2 iteration count; Django re-hashes at full strength on the first login
# (PBKDF2PasswordHasher.must_update), and the first login forces a new password anyway. The demo's 50,000
# iterations cost ~22 ms a password here, i.e. 7 minutes for 20,000 students; 1,000 cost ~4–7 CPU seconds.
IMPORT_PASSWORD_ITERATIONS = 1_000

LEVELS = {
    "本科": EducationLevel.BACHELOR, "本科生": EducationLevel.BACHELOR,
    "硕士": EducationLevel.MASTER, "硕士研究生": EducationLevel.MASTER,
    "博士": EducationLevel.DOCTOR, "博士研究生": EducationLevel.DOCTOR,
}
GENDERS = {"男": Gender.MALE, "女": Gender.FEMALE, "男性": Gender.MALE, "女性": Gender.FEMALE}
LEVEL_LABELS = dict(EducationLevel.choices)
STUDENT_NUMBER_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_")
_email = EmailValidator()

# Student fields written from each column (FK columns resolve to an id).
COLUMN_FIELDS = {
    "name": "name", "gender": "gender", "national_id": "national_id", "education_level": "education_level",
    "college": "college_id", "major_code": "major_id", "class_name": "school_class_id",
    "origin_region": "origin_region_id", "graduation_year": "graduation_year", "phone": "phone", "email": "email",
    "enrolled_on": "enrolled_on", "graduation_date": "graduation_date",
    **{key: key for key in OPTIONAL_TEXT_FIELDS},
}
COMPARED = [f for f in COLUMN_FIELDS.values() if f != "school_class_id"]


# --- the plan: what a file would do ------------------------------------------------------------------


@dataclass
class PlannedRow:
    row_no: int
    student_number: str
    name: str
    national_id: str
    email: str
    values: dict[str, Any]  # Student attnames → cleaned values (only columns present in the file)
    class_name: str
    action: str = "new"  # new | update | same
    student_id: int | None = None
    user_id: int | None = None  # existing account (update, or a student account without a student yet)
    changed: list[str] = field(default_factory=list)  # Student attnames
    rename_user: bool = False


@dataclass
class Plan:
    rows: list[PlannedRow]  # rows without problems
    problems: list[dict[str, Any]]
    total: int  # data rows read (example rows excluded)
    new_classes: dict[str, int]  # class name → major id
    links: set[tuple[str, int]]  # (class name, counselor id) not yet linked

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)


class Progress:
    """Percent done of a job. Written to the cache always and to the job row while no write transaction of
    ours is open (a row update inside it would only be seen at commit, and on SQLite would wait for it)."""

    def __init__(self, *, job_id: int, start: int = 0, end: int = 100) -> None:
        self.job_id, self.start, self.end = job_id, start, end
        self.in_transaction = False
        self._last_pct = -1
        self._last_db_pct = 0

    def span(self, start: int, end: int) -> Progress:
        self.start, self.end = start, end
        return self

    def set(self, fraction: float) -> None:
        pct = int(self.start + (self.end - self.start) * max(0.0, min(1.0, fraction)))
        if pct <= self._last_pct:
            return
        self._last_pct = pct
        cache.set(progress_cache_key(self.job_id), pct, 3600)
        # Every few percent (not by time), so the number of queries does not depend on the machine's speed.
        if not self.in_transaction and pct - self._last_db_pct >= 3:
            self._last_db_pct = pct
            ImportJob.objects.filter(pk=self.job_id).update(progress=pct, updated_at=timezone.now())


def progress_cache_key(job_id: int) -> str:
    return f"imports:progress:{job_id}"


def _chunks(values: Iterable, size: int = LOOKUP_CHUNK) -> Iterator[list]:
    items = list(values)
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _date_or_error(raw: Any, header: str, reasons: list[str], example: str) -> dt.date | None:
    try:
        return cell_date(raw)
    except ValueError:
        reasons.append(_("%(col)s无法识别：%(value)s（应如 %(example)s）") % {
            "col": header, "value": cell_text(raw), "example": example})
        return None


def _row_clean(raw: dict[str, Any], present: set[str]) -> tuple[dict[str, Any], list[str]]:
    """Format checks of one row, independent of the database. Returns cleaned values and reasons."""
    reasons: list[str] = []
    v: dict[str, Any] = {
        "student_number": cell_token(raw.get("student_number")),
        "name": cell_text(raw.get("name")),
        "college": cell_text(raw.get("college")),
        "major_code": cell_code(raw.get("major_code")),
        "class_name": cell_text(raw.get("class_name")),
        "counselor": cell_token(raw.get("counselor")),
        "origin_region": cell_code(raw.get("origin_region")),
    }
    missing = [c.header for c in COLUMNS if c.key in REQUIRED_KEYS and not cell_text(raw.get(c.key))]
    if missing:
        reasons.append(_("缺少必填项：%(cols)s") % {"cols": "、".join(missing)})

    number = v["student_number"]
    if number and (len(number) > 20 or not set(number) <= STUDENT_NUMBER_CHARS):
        reasons.append(_("学号“%(value)s”格式不正确（最多 20 位字母或数字）") % {"value": number})
    if len(v["name"]) > 50:
        reasons.append(_("姓名超过 50 个字"))

    gender_text = cell_text(raw.get("gender"))
    v["gender"] = GENDERS.get(gender_text, "")
    if gender_text and not v["gender"]:
        reasons.append(_("性别应为“男”或“女”，而不是“%(value)s”") % {"value": gender_text})

    raw_id = raw.get("national_id")
    v["national_id"] = cell_code(raw_id)
    if v["national_id"] and cell_is_lossy_number(raw_id):
        # Even when the digits left over happen to pass the check, they are not the student's number.
        reasons.append(_("身份证号 %(value)s 被 Excel 存成了数字，只保留了前 15 位有效数字；请把身份证号列设为文本后重新录入") % {
            "value": mask_national_id(v["national_id"])})
        v["national_id"] = ""
    elif v["national_id"]:
        try:
            v["national_id"] = validate_national_id(v["national_id"])
        except ValidationError as exc:
            reasons.append(_("身份证号 %(value)s：%(msg)s") % {
                "value": mask_national_id(v["national_id"]), "msg": exc.messages[0]})
            v["national_id"] = ""
        else:
            id_gender = Gender.MALE if int(v["national_id"][16]) % 2 else Gender.FEMALE
            if v["gender"] and v["gender"] != id_gender:
                reasons.append(_("性别与身份证号不一致（身份证号第 17 位表示%(g)s）") % {
                    "g": Gender(id_gender).label})

    level_text = cell_text(raw.get("education_level"))
    v["education_level"] = LEVELS.get(level_text, "")
    if level_text and not v["education_level"]:
        reasons.append(_("学历层次应为“本科”“硕士”或“博士”，而不是“%(value)s”") % {"value": level_text})

    if len(v["class_name"]) > 100:
        reasons.append(_("班级名称超过 100 个字"))
    region = v["origin_region"]
    if region and (len(region) != 6 or not region.isdigit()):
        reasons.append(_("生源地代码“%(value)s”应为 6 位数字") % {"value": region})

    year_text = cell_code(raw.get("graduation_year")).removesuffix("届").removesuffix("年")
    v["graduation_year"] = int(year_text) if year_text.isdigit() and len(year_text) == 4 else None
    if year_text and (v["graduation_year"] is None or not 1990 <= v["graduation_year"] <= 2100):
        reasons.append(_("毕业年份“%(value)s”应为 4 位年份，如 2027") % {"value": cell_text(raw.get("graduation_year"))})

    if "phone" in present:
        v["phone"] = cell_code(raw.get("phone")).replace("-", "").removeprefix("+86")
        if v["phone"]:
            try:
                v["phone"] = validate_mobile(v["phone"])
            except ValidationError as exc:
                reasons.append(_("手机号 %(value)s：%(msg)s") % {"value": v["phone"], "msg": exc.messages[0]})
    if "email" in present:
        v["email"] = cell_text(raw.get("email")).replace(" ", "")
        if v["email"]:
            try:
                _email(v["email"])
                if len(v["email"]) > 254:
                    raise ValidationError("too long")
            except ValidationError:
                reasons.append(_("电子邮箱“%(value)s”格式不正确") % {"value": v["email"]})
    for key, max_length in OPTIONAL_TEXT_FIELDS.items():
        if key in present:
            v[key] = cell_code(raw.get(key)) if key == "exam_number" else cell_text(raw.get(key))
            if len(v[key]) > max_length:
                reasons.append(_("%(col)s超过 %(n)d 个字") % {"col": BY_KEY[key].header, "n": max_length})
    if "enrolled_on" in present:
        v["enrolled_on"] = _date_or_error(raw.get("enrolled_on"), BY_KEY["enrolled_on"].header, reasons, "2023-09")
    if "graduation_date" in present:
        v["graduation_date"] = _date_or_error(
            raw.get("graduation_date"), BY_KEY["graduation_date"].header, reasons, "2027-06-30")
    return v, reasons


@dataclass
class ParsedFile:
    """The rows of a file after the format checks (`_row_clean`), before any database lookup."""

    present: list[str]  # column keys present in the file
    rows: list[tuple[int, dict[str, Any], list[str]]]  # (Excel row, cleaned values, reasons)

    DATE_KEYS = ("enrolled_on", "graduation_date")

    def to_bytes(self) -> bytes:
        def encode(v: dict[str, Any]) -> dict[str, Any]:
            return {k: (x.isoformat() if k in self.DATE_KEYS and x is not None else x) for k, x in v.items()}

        data = {"version": 1, "present": self.present, "rows": [[n, encode(v), r] for n, v, r in self.rows]}
        return gzip.compress(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(), compresslevel=1)

    @classmethod
    def from_bytes(cls, blob: bytes) -> ParsedFile:
        data = json.loads(gzip.decompress(blob))
        if data.get("version") != 1:
            raise ValueError("unknown version")
        rows = []
        for n, v, r in data["rows"]:
            for k in cls.DATE_KEYS:
                if v.get(k):
                    v[k] = dt.date.fromisoformat(v[k])
            rows.append((n, v, r))
        return cls(present=data["present"], rows=rows)


def import_file_parse(*, fileobj, progress: Progress | None = None) -> ParsedFile:
    """Read every row and apply the format checks. Raises RosterFileError for a file-level problem."""

    def read_progress(done: int, total: int) -> None:
        if progress is not None:
            progress.set(done / max(total, 1))

    present: list[str] | None = None
    rows: list[tuple[int, dict[str, Any], list[str]]] = []
    for row_no, raw in rows_read(fileobj=fileobj, on_progress=read_progress):
        if present is None:
            present = sorted(raw)
        v, reasons = _row_clean(raw, set(present))
        if v["name"].endswith(EXAMPLE_MARK):
            continue  # the template's example row
        rows.append((row_no, v, reasons))
    return ParsedFile(present=present or [], rows=rows)


def import_plan_build(*, parsed: ParsedFile, progress: Progress | None = None) -> Plan:
    """Validate the parsed rows against each other and the database and decide new / update / unchanged.
    A fixed number of queries, whatever the number of rows."""
    present = set(parsed.present)
    cleaned = [(n, v, list(r)) for n, v, r in parsed.rows]  # reasons are added below; keep `parsed` intact

    # Duplicates inside the file: every occurrence is a problem (which one is right is for the office to say).
    for key, label in (("student_number", _("学号")), ("national_id", _("身份证号"))):
        seen: dict[str, list[int]] = defaultdict(list)
        for row_no, v, _reasons in cleaned:
            if v[key]:
                seen[v[key]].append(row_no)
        for row_no, v, reasons in cleaned:
            dup_rows = seen.get(v[key]) if v[key] else None
            if dup_rows and len(dup_rows) > 1:
                others = "、".join(str(r) for r in dup_rows if r != row_no)
                value = mask_national_id(v[key]) if key == "national_id" else v[key]
                reasons.append(_("%(label)s %(value)s 在文件中重复（另见第 %(rows)s 行）") % {
                    "label": label, "value": value, "rows": others})

    # Everything the rows refer to, prefetched into dicts.
    def wanted(key: str) -> set[str]:
        return {v[key] for _n, v, _r in cleaned if v[key]}

    colleges = {c.name: c.pk for c in College.objects.all()}
    college_names = {pk: name for name, pk in colleges.items()}
    majors = {(m.code.upper(), m.level): m for m in Major.objects.all()}
    regions: dict[str, bool] = {}
    for chunk in _chunks(wanted("origin_region")):
        regions.update(Region.objects.filter(code__in=chunk).values_list("code", "is_active"))
    staff: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(wanted("counselor")):
        staff.update((u, (pk, role)) for pk, u, role in
                     User.objects.filter(username__in=chunk).values_list("pk", "username", "role"))
    classes: dict[str, tuple[int, int]] = {}  # name → (id, college id)
    for chunk in _chunks(wanted("class_name")):
        classes.update((name, (pk, college)) for pk, name, college in
                       SchoolClass.objects.filter(name__in=chunk).values_list("pk", "name", "major__college_id"))
    existing: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(wanted("student_number")):
        for s in Student.objects.filter(student_number__in=chunk).values(
            "id", "student_number", "user_id", "user__full_name", "school_class_id", *COMPARED
        ):
            existing[s["student_number"]] = s
    id_owner: dict[str, str] = {}
    for chunk in _chunks(wanted("national_id")):
        id_owner.update(Student.objects.filter(national_id__in=chunk).values_list("national_id", "student_number"))
    accounts: dict[str, tuple[int, str, bool]] = {}
    for chunk in _chunks(wanted("student_number") - set(existing)):
        accounts.update((u, (pk, role, has_student)) for pk, u, role, has_student in
                        User.objects.filter(username__in=chunk).values_list(
                            "pk", "username", "role", "student__id").iterator())
    linked: set[tuple[int, int]] = set()
    through = SchoolClass.counselors.through
    for chunk in _chunks([pk for pk, _c in classes.values()]):
        linked.update(through.objects.filter(schoolclass_id__in=chunk).values_list("schoolclass_id", "user_id"))
    if progress is not None:
        progress.set(0.5)

    rows: list[PlannedRow] = []
    problems: list[dict[str, Any]] = []
    new_classes: dict[str, tuple[int, int]] = {}  # name → (major id, college id), first row wins
    links: set[tuple[str, int]] = set()
    for row_no, v, reasons in cleaned:
        college_id = colleges.get(v["college"]) if v["college"] else None
        if v["college"] and college_id is None:
            reasons.append(_("学院“%(value)s”不存在（请使用系统中的学院全称）") % {"value": v["college"]})
        major = majors.get((v["major_code"], v["education_level"])) if v["major_code"] and v["education_level"] else None
        if v["major_code"] and v["education_level"] and major is None:
            reasons.append(_("专业代码 %(code)s（%(level)s）不存在") % {
                "code": v["major_code"], "level": LEVEL_LABELS[v["education_level"]]})
        elif major is not None and college_id is not None and major.college_id != college_id:
            reasons.append(_("专业代码 %(code)s（%(name)s）属于%(college)s，不属于%(row_college)s") % {
                "code": major.code, "name": major.name, "college": college_names.get(major.college_id, ""),
                "row_college": v["college"]})
        region = v["origin_region"]
        if region and len(region) == 6 and region.isdigit():
            if region not in regions:
                reasons.append(_("生源地代码 %(code)s 不存在（应为 6 位行政区划代码）") % {"code": region})
            elif not regions[region]:
                reasons.append(_("生源地代码 %(code)s 已撤销，请改用现行代码") % {"code": region})
        counselor_id = None
        if v["counselor"]:
            found = staff.get(v["counselor"])
            if found is None:
                reasons.append(_("辅导员工号 %(value)s 不存在") % {"value": v["counselor"]})
            elif found[1] != Role.COUNSELOR:
                reasons.append(_("工号 %(value)s 不是辅导员账号（是%(role)s）") % {
                    "value": v["counselor"], "role": Role(found[1]).label})
            else:
                counselor_id = found[0]
        class_name = v["class_name"]
        if class_name and college_id is not None:
            class_college = classes[class_name][1] if class_name in classes else (
                new_classes[class_name][1] if class_name in new_classes else None)
            if class_college is not None and class_college != college_id:
                reasons.append(_("班级“%(name)s”属于%(college)s，与本行学院不符") % {
                    "name": class_name, "college": college_names.get(class_college, "")})
        number = v["student_number"]
        current = existing.get(number)
        owner = id_owner.get(v["national_id"]) if v["national_id"] else None
        if owner is not None and owner != number:
            reasons.append(_("身份证号 %(id)s 已被学号 %(other)s 的学生使用") % {
                "id": mask_national_id(v["national_id"]), "other": owner})
        account = accounts.get(number) if current is None and number else None
        if account is not None and (account[1] != Role.STUDENT or account[2] is not None):
            reasons.append(_("学号 %(value)s 已被其他账号用作用户名（%(role)s）") % {
                "value": number, "role": Role(account[1]).label})

        if reasons:
            problems.append({"row": row_no, "student_number": number, "name": v["name"], "reasons": reasons})
            continue

        if class_name not in classes and class_name not in new_classes:
            new_classes[class_name] = (major.pk, college_id)
        class_id = classes[class_name][0] if class_name in classes else None
        if counselor_id is not None and (class_id is None or (class_id, counselor_id) not in linked):
            links.add((class_name, counselor_id))
        values = {"name": v["name"], "gender": v["gender"], "national_id": v["national_id"],
                  "education_level": v["education_level"], "college_id": college_id, "major_id": major.pk,
                  "origin_region_id": region, "graduation_year": v["graduation_year"]}
        for key in present:
            if key in COLUMN_FIELDS and COLUMN_FIELDS[key] not in values and key != "class_name":
                values[COLUMN_FIELDS[key]] = v[key]
        row = PlannedRow(row_no=row_no, student_number=number, name=v["name"], national_id=v["national_id"],
                         email=v.get("email", ""), values=values, class_name=class_name)
        if current is not None:
            row.student_id, row.user_id = current["id"], current["user_id"]
            row.changed = [f for f, value in values.items() if current[f] != value]
            if class_id is None or current["school_class_id"] != class_id:
                row.changed.append("school_class_id")
            row.rename_user = current["user__full_name"] != v["name"]
            row.action = "update" if row.changed or row.rename_user else "same"
        elif account is not None:
            row.user_id = account[0]
        rows.append(row)
    if progress is not None:
        progress.set(1.0)
    return Plan(rows=rows, problems=problems, total=len(cleaned),
                new_classes={name: major_id for name, (major_id, _c) in new_classes.items()}, links=links)


# --- writing -------------------------------------------------------------------------------------------


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


def import_plan_apply(*, plan: Plan, job_id: int, progress: Progress | None = None) -> dict[str, int]:
    """Write the plan in one transaction. New accounts get the initial password and must change it;
    the password of an existing account is never touched. Returns the counts."""
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
            # The first statement writes, so that on SQLite the write lock is taken (or waited for) up front.
            ImportJob.objects.filter(pk=job_id).update(updated_at=timezone.now())
            SchoolClass.objects.bulk_create(
                [SchoolClass(name=name, major_id=major_id) for name, major_id in plan.new_classes.items()],
                batch_size=WRITE_BATCH, ignore_conflicts=True,  # created meanwhile by someone else: use it
            )
            class_ids: dict[str, int] = {}
            for chunk in _chunks({r.class_name for r in plan.rows}):
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
                for chunk in _chunks(user_ids):
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
                status=ImportStatus.DONE, progress=100, problems=plan.problems, imported_at=timezone.now(),
                message="", **counts,
            )
            job = ImportJob.objects.select_related("created_by").get(pk=job_id)
            audit_record(actor=job.created_by, action=AuditAction.IMPORT, detail={"job": job_id, **counts})
    finally:
        if progress is not None:
            progress.in_transaction = False
    return counts


# --- jobs ---------------------------------------------------------------------------------------------


def import_job_create(*, upload: UploadedFile, actor: User) -> ImportJob:
    """Check that the upload is an .xlsx workbook within the size limit and store it privately.
    Raises ValidationError with a Chinese message."""
    limit = import_max_bytes()
    if upload.size is not None and upload.size > limit:
        raise ValidationError(_("文件超过 %(mb)d MB 上限，请分批导入。") % {"mb": limit // (1024 * 1024)}, code="too_large")
    if not upload.size:
        raise ValidationError(_("文件是空的。"), code="empty")
    xlsx_check(fileobj=upload)
    upload.seek(0)
    return ImportJob.objects.create(
        created_by=actor, file=upload, original_name=(upload.name or "")[:255], size=upload.size,
        status=ImportStatus.QUEUED,
    )


def import_job_check(*, job_id: int) -> None:
    """Preview: read and validate the stored file and count what an import would do. Writes nothing but the
    job (and, next to the file, the parsed rows, so that the import does not have to parse the file again)."""
    if not ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.CHECKING, progress=1, updated_at=timezone.now()
    ):
        return
    job = ImportJob.objects.get(pk=job_id)
    progress = Progress(job_id=job_id, start=1, end=85)
    with job.file.open("rb") as fh:
        parsed = import_file_parse(fileobj=fh, progress=progress)
    job.rows_file.save(f"{job.file.name.rsplit('/', 1)[-1]}.rows.json.gz", ContentFile(parsed.to_bytes()), save=False)
    plan = import_plan_build(parsed=parsed, progress=progress.span(85, 99))
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportStatus.READY, progress=100, problems=plan.problems, message="", rows_file=job.rows_file.name,
        rows_total=plan.total, rows_new=plan.count("new"), rows_updated=plan.count("update"),
        rows_unchanged=plan.count("same"), rows_error=len(plan.problems),
        classes_new=len(plan.new_classes), counselor_links_new=len(plan.links), updated_at=timezone.now(),
    )


def _parsed_for_import(*, job: ImportJob, progress: Progress) -> ParsedFile:
    """The rows the preview parsed (the stored file cannot change), or the file parsed again if they are gone."""
    if job.rows_file:
        try:
            with job.rows_file.open("rb") as fh:
                return ParsedFile.from_bytes(fh.read())
        except Exception:  # missing or unreadable: parse the workbook again
            logger.warning("import job %s: parsed rows unreadable, parsing the file again", job.pk, exc_info=True)
    with job.file.open("rb") as fh:
        return import_file_parse(fileobj=fh, progress=progress)


def import_job_import(*, job_id: int) -> None:
    """Import: validate the rows again against the database as it is now, then write the good ones."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportStatus.IMPORTING:
        return
    progress = Progress(job_id=job_id, start=1, end=40)
    parsed = _parsed_for_import(job=job, progress=progress)
    plan = import_plan_build(parsed=parsed, progress=progress.span(40, 50))
    import_plan_apply(plan=plan, job_id=job_id, progress=progress.span(50, 99))


def import_job_fail(*, job_id: int, message: str) -> None:
    ImportJob.objects.filter(pk=job_id).update(status=ImportStatus.FAILED, message=message, updated_at=timezone.now())
    cache.delete(progress_cache_key(job_id))


def _run_guarded(task: Callable[..., None], job_id: int) -> None:
    try:
        task(job_id=job_id)
    except RosterFileError as exc:
        import_job_fail(job_id=job_id, message=str(exc))
    except IntegrityError:
        logger.warning("import job %s: integrity error while writing", job_id, exc_info=True)
        import_job_fail(job_id=job_id, message=_(
            "导入期间名单被其他操作修改（例如同一学号或身份证号刚被录入），本次没有写入任何数据。请重新上传文件检查后再导入。"))
    except Exception:
        logger.exception("import job %s failed", job_id)
        try:
            import_job_fail(job_id=job_id, message=_("处理文件时出现意外错误，没有写入任何数据。请检查文件后重新上传，或联系系统管理员。"))
        except Exception:  # the database itself is gone; the job will be marked stale later
            logger.exception("import job %s: could not record the failure", job_id)


def _thread_main(task: Callable[..., None], job_id: int, language: str) -> None:
    try:
        with translation.override(language):
            _run_guarded(task, job_id)
    finally:
        connections.close_all()  # this thread's connections only


def import_job_dispatch(*, job_id: int, task: Callable[..., None]) -> None:
    """Run `task(job_id=…)` in a background thread once the current transaction commits, or inline when
    settings.QUXIANG["IMPORT_RUN_INLINE"] is set."""
    if settings.QUXIANG.get("IMPORT_RUN_INLINE"):
        _run_guarded(task, job_id)
        return
    language = translation.get_language() or settings.LANGUAGE_CODE

    def start() -> None:
        threading.Thread(target=_thread_main, args=(task, job_id, language), name=f"roster-import-{job_id}",
                         daemon=True).start()

    transaction.on_commit(start)


def import_job_start_check(*, job: ImportJob) -> None:
    import_job_dispatch(job_id=job.pk, task=import_job_check)


def import_job_start_import(*, job: ImportJob, actor: User) -> bool:
    """Move a previewed job to importing (once: a double click starts one import) and start it."""
    started = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.READY).update(
        status=ImportStatus.IMPORTING, imported_by=actor, progress=1, updated_at=timezone.now()
    )
    if started:
        cache.delete(progress_cache_key(job.pk))
        import_job_dispatch(job_id=job.pk, task=import_job_import)
    return bool(started)


def import_job_expire_stale(*, job: ImportJob) -> ImportJob:
    """A running job whose worker vanished (server restart) is marked failed instead of spinning forever."""
    if job.status in RUNNING_STATUSES and timezone.now() - job.updated_at > STALE_AFTER:
        import_job_fail(job_id=job.pk, message=_("处理已中断（服务器可能已重启），没有写入任何数据。请重新上传文件。"))
        job.refresh_from_db()
    return job
