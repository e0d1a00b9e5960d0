from __future__ import annotations

from quxiang.organisations.models import Organisation, OrganisationSource
from quxiang.reference.models import OrgKind


def organisation_upsert_from_registration(*, registration) -> Organisation | None:
    """A verified record teaches the directory: later students typing the same USCC find it
    (往年录用过我校毕业生的单位可通过社会信用代码检索匹配)."""
    dtype = registration.destination_type
    if dtype is None or dtype.org_kind not in (OrgKind.EMPLOYER, OrgKind.SCHOOL) or not registration.org_uscc:
        return None
    values = {
        "name": registration.org_name,
        "region_id": registration.org_region_id,
        "source": OrganisationSource.VERIFIED_RECORD,
    }
    optional = {
        "shanghai_reg_no": registration.org_shanghai_reg_no,
        "nature_id": registration.org_nature_id,
        "industry_id": registration.org_industry_id,
        "address": registration.org_address,
        "postcode": registration.org_postcode,
        "contact_name": registration.org_contact_name,
        "contact_phone": registration.org_contact_phone,
    }
    # An admitting school's record carries fewer details: never blank out what the directory knows.
    values.update({k: v for k, v in optional.items() if v})
    org, _created = Organisation.objects.update_or_create(uscc=registration.org_uscc, defaults=values)
    return org
