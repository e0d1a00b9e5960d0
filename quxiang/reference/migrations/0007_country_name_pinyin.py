# Countries sort by the pinyin of their Chinese name, 中国香港 / 中国澳门 / 中国台湾 first.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("reference", "0006_verbose_names")]

    operations = [
        migrations.AddField(
            model_name="country",
            name="name_pinyin",
            field=models.CharField(blank=True, editable=False, max_length=200, verbose_name="拼音"),
        ),
        migrations.AlterField(
            model_name="country",
            name="sort_order",
            field=models.PositiveIntegerField(
                default=100, help_text="数字小的排在前面；相同时按中文名称的拼音排序。", verbose_name="排序"
            ),
        ),
        migrations.AlterModelOptions(
            name="country",
            options={
                "ordering": ["-is_china_region", "sort_order", "name_pinyin", "code"],
                "verbose_name": "国家和地区", "verbose_name_plural": "国家和地区",
            },
        ),
    ]
