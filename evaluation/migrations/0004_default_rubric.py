"""The committee's starting rubric (評価観点); evaluators edit the list on the committee screen.

The criteria follow the seed's 外部評価委員会 and 評価指標体系: outcomes against the plan, effect
on the community issue, residents' participation and satisfaction, cost-effectiveness
(public vs partner share), the partnership itself, and continuation.
"""

from django.db import migrations

CRITERIA = [
    ("目標の達成度", "計画した成果指標（アウトプット・アウトカム）の達成状況"),
    ("地域課題への効果", "住民や地域への影響、課題の改善の度合い"),
    ("住民の参加と満足度", "住民の参加の広がりと満足度調査の結果"),
    ("費用対効果", "公的負担・団体負担と成果の釣り合い"),
    ("連携体制", "役割分担、情報共有、コーディネーターの伴走"),
    ("継続性・発展性", "事業終了後の継続、他区への展開の見込み"),
]


def add_rubric(apps, schema_editor):
    criterion = apps.get_model("evaluation", "RubricCriterion")
    for order, (name, description) in enumerate(CRITERIA, start=1):
        criterion.objects.get_or_create(
            name=name, defaults={"description": description, "order": order * 10}
        )


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0003_questionnaires_rubric_ward_targets_feed_intervals")]

    operations = [migrations.RunPython(add_rubric, migrations.RunPython.noop)]
