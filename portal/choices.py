"""Vocabularies shared by issues, partners and matching (they live in portal so both sides agree)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ResourceKind(models.TextChoices):
    TECHNOLOGY = "technology", _("技術・ノウハウ")
    PEOPLE = "people", _("人材・ボランティア")
    FUNDING = "funding", _("資金")
    FACILITY = "facility", _("施設・設備")
    NETWORK = "network", _("ネットワーク")
    RESEARCH = "research", _("研究シーズ")
    STUDENTS = "students", _("学生プログラム")


SDG_GOALS = [
    (1, _("1 貧困をなくそう")),
    (2, _("2 飢餓をゼロに")),
    (3, _("3 すべての人に健康と福祉を")),
    (4, _("4 質の高い教育をみんなに")),
    (5, _("5 ジェンダー平等を実現しよう")),
    (6, _("6 安全な水とトイレを世界中に")),
    (7, _("7 エネルギーをみんなに そしてクリーンに")),
    (8, _("8 働きがいも経済成長も")),
    (9, _("9 産業と技術革新の基盤をつくろう")),
    (10, _("10 人や国の不平等をなくそう")),
    (11, _("11 住み続けられるまちづくりを")),
    (12, _("12 つくる責任 つかう責任")),
    (13, _("13 気候変動に具体的な対策を")),
    (14, _("14 海の豊かさを守ろう")),
    (15, _("15 陸の豊かさも守ろう")),
    (16, _("16 平和と公正をすべての人に")),
    (17, _("17 パートナーシップで目標を達成しよう")),
]


# The initial 分野 list (editable afterwards in the database; migration 0003 loads it).
DEFAULT_FIELDS = [
    ("教育・人材育成", "Education & skills"),
    ("健康・福祉", "Health & welfare"),
    ("高齢者支援", "Support for older people"),
    ("子育て支援", "Child-rearing support"),
    ("環境・エネルギー", "Environment & energy"),
    ("防災・安全", "Disaster prevention & safety"),
    ("まちづくり・都市計画", "Urban development"),
    ("DX・デジタル", "DX & digital"),
    ("地域経済・産業", "Local economy & industry"),
    ("多文化共生", "Multicultural community"),
    ("その他", "Other"),
]
