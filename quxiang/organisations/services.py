from __future__ import annotations

from quxiang.organisations.models import Organisation, OrganisationAlias, OrganisationSource
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
    existing = Organisation.objects.filter(uscc=registration.org_uscc).first()
    via_alias = False
    if existing is None:
        # A record typed with a merged-away code must not bring the removed row back: it feeds the survivor.
        alias = OrganisationAlias.objects.select_related("organisation").filter(uscc=registration.org_uscc).first()
        existing, via_alias = (alias.organisation, True) if alias is not None else (None, False)
    if existing is not None and (via_alias or existing.source == OrganisationSource.OFFICE):
        # The office's own entry is authoritative, and a survivor keeps its own name and code: a student's
        # record only fills its blanks.
        for field, value in values.items():
            if field != "source" and value and not getattr(existing, field):
                setattr(existing, field, value)
        existing.save()
        return existing
    org, _created = Organisation.objects.update_or_create(uscc=registration.org_uscc, defaults=values)
    return org


# Fields a merge may fill on the kept row when it has them blank (never overwritten when set).
MERGE_FILL_FIELDS = (
    "shanghai_reg_no", "nature", "industry", "region", "address", "postcode", "contact_name", "contact_phone",
)


class OrganisationMergeError(ValueError):
    """The two rows cannot be merged; the message is Chinese."""


def organisation_merge(*, keep: Organisation, remove: Organisation) -> Organisation:
    """Merge two directory rows of the same organisation (e.g. one typed with an old or mistyped USCC):
    `keep` stays with its name and USCC, takes over any detail it lacks from `remove`, and every row that
    references `remove` is repointed to `keep`; then `remove` is deleted and its USCC becomes an alias of
    `keep`, so the lookup (web 检索匹配 and API) still finds the organisation by the old code.

    Registrations copy organisation data by value (they must say what the paper agreement said), so they
    are not rewritten; the directory row is what a merge changes."""
    from django.db import transaction
    from django.utils.translation import gettext as _

    if keep.pk == remove.pk:
        raise OrganisationMergeError(_("不能把一家单位与它自己合并。"))
    with transaction.atomic():
        rows = {o.pk: o for o in Organisation.objects.select_for_update().filter(pk__in=[keep.pk, remove.pk])}
        if len(rows) != 2:
            raise OrganisationMergeError(_("要合并的单位已不存在，请刷新后重试。"))
        kept, removed = rows[keep.pk], rows[remove.pk]
        changed = []
        for name in MERGE_FILL_FIELDS:
            attname = Organisation._meta.get_field(name).attname
            if not getattr(kept, attname) and getattr(removed, attname):
                setattr(kept, attname, getattr(removed, attname))
                changed.append(attname)
        # Anything that references the directory by foreign key follows the kept row (the aliases of the
        # removed row among them).
        for relation in Organisation._meta.related_objects:
            if relation.one_to_many or relation.one_to_one:
                relation.related_model._base_manager.filter(**{relation.field.name: removed}).update(
                    **{relation.field.name: kept}
                )
        removed_uscc = removed.uscc
        removed.delete()
        OrganisationAlias.objects.update_or_create(uscc=removed_uscc, defaults={"organisation": kept})
        # The kept row's own code needs no alias (one left over from an earlier merge would only shadow it).
        OrganisationAlias.objects.filter(uscc=kept.uscc).delete()
        if changed:
            kept.save(update_fields=[*changed, "updated_at"])
        return kept
