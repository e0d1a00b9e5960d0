"""Current Chinese names of countries (埃斯瓦蒂尼 since 2018, 北马其顿 already, 蒙古国 …), full-width
brackets in Chinese names, the pinyin sort key of every row, and no more "common destinations first":
the list is 中国香港 / 中国澳门 / 中国台湾, then every other country by pinyin.

A name is only replaced while it is still the one 0004 seeded (or pycountry's catalogue wording), so a
name the office corrected in the admin is kept. Reverse is a no-op."""

from django.db import migrations

# code: (current name, names it may still have from the seed)
CURRENT_NAMES = {
    "SZ": ("埃斯瓦蒂尼", {"斯威士兰"}),
    "MN": ("蒙古国", {"蒙古"}),
    "FM": ("密克罗尼西亚联邦", {"密克罗尼西亚"}),
    "IM": ("马恩岛", {"曼岛"}),
    "PN": ("皮特凯恩群岛", {"皮特凯恩"}),
    "TF": ("法属南部领地", {"法属南半球领地"}),
    "HM": ("赫德岛和麦克唐纳群岛", {"赫德岛与麦克唐纳群岛"}),
    "GS": ("南乔治亚岛和南桑威奇群岛", {"南乔治亚和南桑德韦奇群岛"}),
    "SH": ("圣赫勒拿、阿森松和特里斯坦-达库尼亚", {"圣赫勒拿-阿森松-特里斯坦-达库尼亚"}),
    "CC": ("科科斯（基林）群岛", {"科科斯 (基林) 群岛"}),
    "FK": ("福克兰群岛（马尔维纳斯）", {"福克兰群岛 (马尔维纳斯)"}),
}
# 0004 put these first with sort_order 10…19; they now sort by pinyin like every other country.
SEEDED_COMMON = ["US", "GB", "AU", "CA", "JP", "KR", "SG", "DE", "FR", "NZ"]


def full_width_brackets(name: str) -> str:
    return name.replace(" (", "（").replace("(", "（").replace(") ", "）").replace(")", "）")


def forwards(apps, schema_editor):
    from quxiang.reference.pinyin import pinyin_sort_key

    Country = apps.get_model("reference", "Country")
    for country in Country.objects.all():
        name = country.name_zh
        current, old = CURRENT_NAMES.get(country.code, (None, set()))
        if current and name in old:
            name = current
        name = full_width_brackets(name)
        sort_order = country.sort_order
        if country.code in SEEDED_COMMON and sort_order == 10 + SEEDED_COMMON.index(country.code):
            sort_order = 100
        country.name_zh, country.sort_order, country.name_pinyin = name, sort_order, pinyin_sort_key(name)
        country.save(update_fields=["name_zh", "sort_order", "name_pinyin"])


class Migration(migrations.Migration):
    dependencies = [("reference", "0007_country_name_pinyin")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
