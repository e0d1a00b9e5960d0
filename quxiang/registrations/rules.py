"""What each destination type carries: its organisation fields (by organisation kind), the evidence it
accepts, and how its dates and hints read. One table for the forms, the services, the templates and the API,
so that a type change, a save and a submit agree on what belongs to a type."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from quxiang.reference.models import DestinationType, OrgKind

ORGANISATION_FIELDS = (
    "org_name", "org_uscc", "org_shanghai_reg_no", "org_nature", "org_industry", "org_region", "org_address",
    "org_postcode", "org_contact_name", "org_contact_phone", "job_category", "signed_on", "abroad_country",
    "abroad_name_original", "programme", "programme_original",
)
ARCHIVE_FIELDS = (
    "origin_authority_name", "archive_destination", "archive_unit", "archive_address", "archive_postcode",
    "archive_contact", "archive_phone",
)
# The archive goes to the employer (与签约单位相同): these come from the organisation step.
ARCHIVE_RECEIVER_FIELDS = ARCHIVE_FIELDS[1:]

# The organisation step of each kind: which fields the form shows, and which of them are required.
ORG_KIND_FIELDS: dict[str, dict[str, list[str]]] = {
    OrgKind.EMPLOYER: {
        "required": ["org_uscc", "org_name", "org_nature", "org_industry", "org_region", "org_address",
                     "org_postcode", "org_contact_name", "org_contact_phone", "job_category", "signed_on"],
        "optional": ["org_shanghai_reg_no"],
    },
    OrgKind.SCHOOL: {
        "required": ["org_uscc", "org_name", "org_region"],
        "optional": ["org_address", "org_postcode"],
    },
    OrgKind.ABROAD: {
        "required": ["abroad_country", "org_name", "abroad_name_original", "programme"],
        "optional": ["programme_original", "signed_on"],
    },
    OrgKind.NONE: {"required": [], "optional": []},
}


def organisation_fields(*, org_kind: str) -> frozenset[str]:
    """The organisation fields a record of this kind may carry; every other one stays empty."""
    spec = ORG_KIND_FIELDS.get(org_kind, ORG_KIND_FIELDS[OrgKind.NONE])
    return frozenset(spec["required"] + spec["optional"])


def signed_on_label(*, org_kind: str | None) -> str:
    """签约日期 for an agreement or contract; abroad the date is the offer's or the visa's."""
    return _("录取或签证日期") if org_kind == OrgKind.ABROAD else _("签约日期")


# --- evidence -----------------------------------------------------------------------------------------

# What an uploaded file is, recorded when it is uploaded (EvidenceFile.kind). A type's first kind is what
# its uploads are recorded as; further kinds are what it also accepts from an earlier type (an agreement
# signed with a military unit is evidence of 部队录用; a 录取 Offer is never an agreement).
EVIDENCE_KIND_LABELS = {
    "agreement": gettext_lazy("就业协议书"),
    "military_proof": gettext_lazy("入伍通知书或与部队单位签订的协议书"),
    "civil_service_proof": gettext_lazy("公务员单位协议书或录用公函"),
    "transfer_letter": gettext_lazy("调档政审函"),
    "offer": gettext_lazy("录取 Offer"),
    "work_visa": gettext_lazy("工作签证或境外单位录用通知"),
    "labour_contract": gettext_lazy("劳动合同"),
    "hiring_proof": gettext_lazy("聘用协议或劳动合同"),
    "flexible_form": gettext_lazy("灵活就业登记表"),
    "grassroots_notice": gettext_lazy("基层项目录取通知书或服务协议"),
    "xuandiao_notice": gettext_lazy("选调生录用通知书或录用公函"),
}
TYPE_EVIDENCE: dict[str, tuple[str, ...]] = {
    "dispatch_general": ("agreement",),
    "dispatch_startup": ("agreement",),
    "dispatch_military": ("military_proof", "agreement"),
    "dispatch_civil_service": ("civil_service_proof", "agreement"),
    "study_master": ("transfer_letter",),
    "study_second_degree": ("transfer_letter",),
    "abroad_study": ("offer",),
    "abroad_work": ("work_visa",),
    "labour_contract": ("labour_contract",),
    "research_assistant": ("hiring_proof", "labour_contract"),
    "flexible_other": ("flexible_form",),
    "flexible_freelance": ("flexible_form",),
    "grassroots_sanzhiyifu": ("grassroots_notice",),
    "grassroots_west": ("grassroots_notice",),
    "grassroots_xuandiao": ("xuandiao_notice",),
    "grassroots_local_other": ("grassroots_notice",),
}
# Paper the counselor stamps (鉴证盖章), which the student brings along.
PAPER_KINDS = frozenset({"agreement", "military_proof", "civil_service_proof"})


def _kinds(destination_type: DestinationType | None) -> tuple[str, ...]:
    if destination_type is None or not destination_type.needs_evidence:
        return ()
    # A type the office added later accepts what was uploaded for it and nothing else.
    return TYPE_EVIDENCE.get(destination_type.key, (f"type:{destination_type.key}",))


def evidence_kind(*, destination_type: DestinationType | None) -> str:
    """What a file uploaded now for this type is recorded as ("" when the type takes no evidence)."""
    kinds = _kinds(destination_type)
    return kinds[0] if kinds else ""


def evidence_accepts(*, destination_type: DestinationType | None, kind: str) -> bool:
    return bool(kind) and kind in _kinds(destination_type)


def evidence_kind_label(*, kind: str) -> str:
    return str(EVIDENCE_KIND_LABELS.get(kind, _("佐证材料")))


def evidence_needed(*, destination_type: DestinationType) -> str:
    """What the student uploads for this type, in the words of the type table."""
    return destination_type.evidence_hint or evidence_kind_label(kind=evidence_kind(destination_type=destination_type))


def submit_guidance(*, destination_type: DestinationType | None) -> str:
    """What happens after 提交, for the evidence this type really has (the review page and the success message)."""
    if destination_type is None:
        return ""
    if not destination_type.needs_evidence:
        return _("该去向无需上传佐证材料，辅导员核对登记信息后即可鉴证。落实去向后请及时变更登记。")
    kind = evidence_kind(destination_type=destination_type)
    if kind in PAPER_KINDS:
        return _("请携带%(evidence)s原件到辅导员处办理鉴证盖章。") % {"evidence": evidence_kind_label(kind=kind)}
    return _("辅导员将核对您上传的佐证材料（%(evidence)s），如需原件会另行通知。") % {
        "evidence": evidence_needed(destination_type=destination_type)}


ARCHIVE_TO_EMPLOYER_ONLY = gettext_lazy("该去向没有签约单位，档案不能转至签约单位，请选择“回生源地”或“其他”。")


def implied_nature_message(*, destination_type: DestinationType) -> str:
    return _("“%(type)s”的单位性质应为“%(nature)s”，请按协议书核对后选择。") % {
        "type": destination_type.name, "nature": destination_type.implied_nature.name,
    }
