"""Records for the fault scenarios, built through the app's own services (run under load_settings by
bench/faults/run.py): --complete N students get a complete draft (type, organisation, one evidence PDF,
archive by 匹配) ready for 提交; --organisation M students get a draft with the organisation step done
(ready for an upload). Students are taken in order after --skip. Prints JSON on the last line."""

from __future__ import annotations

import argparse
import io
import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "load_settings")
django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402
from pypdf import PdfWriter  # noqa: E402

from quxiang.evidence.services import evidence_add  # noqa: E402
from quxiang.organisations.models import Organisation  # noqa: E402
from quxiang.reference.models import DestinationType  # noqa: E402
from quxiang.registrations import services  # noqa: E402
from quxiang.registrations.forms import ArchiveForm, OrganisationForm  # noqa: E402
from quxiang.roster.models import Student  # noqa: E402


def pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def organisation_done(student: Student, org: Organisation):
    reg = services.registration_start(student=student, actor=student.user)
    reg = services.registration_set_type(registration=reg,
                                         destination_type=DestinationType.objects.get(key="dispatch_general"))
    form = OrganisationForm({
        "org_uscc": org.uscc, "org_name": org.name, "org_shanghai_reg_no": org.shanghai_reg_no,
        "org_nature": org.nature_id, "org_industry": org.industry_id, "org_region": org.region_id,
        "org_address": org.address, "org_postcode": org.postcode, "org_contact_name": org.contact_name,
        "org_contact_phone": org.contact_phone, "job_category": "13", "signed_on": "2027-03-01",
    }, org_kind=reg.destination_type.org_kind)
    assert form.is_valid(), form.errors
    return services.registration_save_organisation(registration=reg, data=form.cleaned_data)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip", type=int, default=0)
    parser.add_argument("--complete", type=int, default=0)
    parser.add_argument("--organisation", type=int, default=0)
    args = parser.parse_args()
    if not connection.settings_dict["NAME"].startswith("quxiang_fault"):
        sys.exit("refusing: not a fault database")
    students = list(Student.objects.select_related("user", "origin_region").order_by("student_number")
                    [args.skip : args.skip + args.complete + args.organisation])
    orgs = list(Organisation.objects.order_by("id")[:50])
    complete, partial = [], []
    data = pdf()
    for i, student in enumerate(students):
        reg = organisation_done(student, orgs[i % len(orgs)])
        if i < args.complete:
            evidence_add(registration=reg, upload=SimpleUploadedFile("协议书.pdf", data, "application/pdf"),
                         actor=student.user)
            form = ArchiveForm(services.archive_match_authority(registration=reg))
            assert form.is_valid(), form.errors
            services.registration_save_archive(registration=reg, data=form.cleaned_data)
            complete.append({"number": student.student_number, "registration": reg.pk})
        else:
            partial.append({"number": student.student_number, "registration": reg.pk})
    print(json.dumps({"complete": complete, "organisation": partial}))


if __name__ == "__main__":
    main()
