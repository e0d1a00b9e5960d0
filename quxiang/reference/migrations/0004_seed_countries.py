"""Seed countries and regions abroad (ISO 3166-1 alpha-2) from the pinned `pycountry` package.

Chinese names come from pycountry's iso3166-1 zh_CN catalogue, preferring the translation of the
common name (韩国 for KR, 伊朗 for IR) over the formal name (大韩民国). A few catalogue entries differ
from the names Chinese users expect and are corrected below. China itself is excluded; Hong Kong, Macao
and Taiwan are regions of China listed first under 境外 as 中国香港 / 中国澳门 / 中国台湾.

Idempotent (update_or_create on the code); reverse is a no-op."""

import gettext

from django.db import migrations

CHINA_REGIONS = {
    "HK": ("中国香港", "Hong Kong, China", 1),
    "MO": ("中国澳门", "Macao, China", 2),
    "TW": ("中国台湾", "Taiwan, China", 3),
}

COMMON_DESTINATIONS = ["US", "GB", "AU", "CA", "JP", "KR", "SG", "DE", "FR", "NZ"]

# Where the zh_CN catalogue's wording is not what Chinese users expect.
NAME_FIXES = {
    "BD": "孟加拉国",
    "BO": "玻利维亚",
    "CD": "刚果（金）",
    "CG": "刚果（布）",
    "GT": "危地马拉",
    "KG": "吉尔吉斯斯坦",
    "KH": "柬埔寨",
    "MT": "马耳他",
    "PF": "法属波利尼西亚",
}


def seed(apps, schema_editor):
    import pycountry

    Country = apps.get_model("reference", "Country")
    zh = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"], fallback=True)
    for country in pycountry.countries:
        code = country.alpha_2
        if code == "CN":
            continue
        common = getattr(country, "common_name", None)
        name_en = common or country.name
        if code in CHINA_REGIONS:
            name_zh, name_en, sort_order = CHINA_REGIONS[code]
            is_china_region = True
        else:
            name_zh = NAME_FIXES.get(code) or zh.gettext(name_en)
            is_china_region = False
            if code in COMMON_DESTINATIONS:
                sort_order = 10 + COMMON_DESTINATIONS.index(code)
            else:
                sort_order = 100
        Country.objects.update_or_create(
            code=code,
            defaults={
                "name_zh": name_zh[:60],
                "name_en": name_en[:100],
                "is_china_region": is_china_region,
                "sort_order": sort_order,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("reference", "0003_seed_regions")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
