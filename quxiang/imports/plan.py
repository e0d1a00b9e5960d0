"""Roster import, step 2: compare the parsed rows with each other and with the database and decide, row by
row, new / update / unchanged or a problem (`import_plan_build`). Lookups are prefetched into dicts in a
fixed number of queries, whatever the number of rows. The preview and the import both build the plan (the
database may change in between)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from quxiang.accounts.models import Role, User
from quxiang.core.validators import mask_national_id
from quxiang.imports.cleaning import ParsedFile
from quxiang.imports.columns import OPTIONAL_TEXT_FIELDS
from quxiang.imports.progress import Progress
from quxiang.reference.models import Region
from quxiang.roster.models import College, EducationLevel, Major, SchoolClass, Student

LOOKUP_CHUNK = 2000  # values per `__in` query (SQLite allows 32766 parameters)
LEVEL_LABELS = dict(EducationLevel.choices)

# Student fields written from each column (FK columns resolve to an id).
COLUMN_FIELDS = {
    "name": "name", "gender": "gender", "national_id": "national_id", "education_level": "education_level",
    "college": "college_id", "major_code": "major_id", "class_name": "school_class_id",
    "origin_region": "origin_region_id", "graduation_year": "graduation_year", "phone": "phone", "email": "email",
    "enrolled_on": "enrolled_on", "graduation_date": "graduation_date",
    **{key: key for key in OPTIONAL_TEXT_FIELDS},
}
COMPARED = [f for f in COLUMN_FIELDS.values() if f != "school_class_id"]


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



def chunks(values: Iterable, size: int = LOOKUP_CHUNK) -> Iterator[list]:
    items = list(values)
    for i in range(0, len(items), size):
        yield items[i : i + size]



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
    for chunk in chunks(wanted("origin_region")):
        regions.update(Region.objects.filter(code__in=chunk).values_list("code", "is_active"))
    staff: dict[str, tuple[int, str]] = {}
    for chunk in chunks(wanted("counselor")):
        staff.update((u, (pk, role)) for pk, u, role in
                     User.objects.filter(username__in=chunk).values_list("pk", "username", "role"))
    classes: dict[str, tuple[int, int]] = {}  # name → (id, college id)
    for chunk in chunks(wanted("class_name")):
        classes.update((name, (pk, college)) for pk, name, college in
                       SchoolClass.objects.filter(name__in=chunk).values_list("pk", "name", "major__college_id"))
    existing: dict[str, dict[str, Any]] = {}
    for chunk in chunks(wanted("student_number")):
        for s in Student.objects.filter(student_number__in=chunk).values(
            "id", "student_number", "user_id", "user__full_name", "school_class_id", *COMPARED
        ):
            existing[s["student_number"]] = s
    id_owner: dict[str, str] = {}
    for chunk in chunks(wanted("national_id")):
        id_owner.update(Student.objects.filter(national_id__in=chunk).values_list("national_id", "student_number"))
    accounts: dict[str, tuple[int, str, bool]] = {}
    for chunk in chunks(wanted("student_number") - set(existing)):
        accounts.update((u, (pk, role, has_student)) for pk, u, role, has_student in
                        User.objects.filter(username__in=chunk).values_list(
                            "pk", "username", "role", "student__id").iterator())
    linked: set[tuple[int, int]] = set()
    through = SchoolClass.counselors.through
    for chunk in chunks([pk for pk, _c in classes.values()]):
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
