"""Speed, memory and retrieval quality of the matching engine on synthetic ward texts.

Texts are assembled from realistic phrases of six fields (three topics each), so every text has
a known topic: a resource on the issue's topic is relevant (label 2), one from the same field is
partly relevant (label 1). Topics deliberately share words across fields (見守り for elderly
people and for children, データ in 防災 and DX, 空き in 空き家 and 空き店舗), which is where
compound terms could matter; the last table compares the analyzer with and without them.

    .venv/bin/python benchmarks/bench_engine.py --issues 10000 --resources 10000 --k 20
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matching.engine.ranker import evaluate_ranking
from portal.textengine.analyzer import JapaneseAnalyzer
from portal.textengine.index import fit_index, top_k, transform

TOPICS: dict[str, dict[str, list[str]]] = {
    "高齢者支援": {
        "見守り": ["一人暮らし高齢者の見守り", "高齢者見守りサービス", "独居高齢者の孤立防止",
                   "安否確認の仕組み", "見守りセンサーの設置", "地域の見守りネットワーク"],
        "買い物支援": ["高齢者の買い物支援", "移動販売車の運行", "買い物弱者対策",
                       "食料品の宅配サービス", "商店街と連携した配達"],
        "介護予防": ["介護予防教室", "フレイル予防の体操", "高齢者の健康づくり",
                     "認知症予防プログラム", "通いの場の運営"],
    },
    "子育て": {
        "保育": ["一時預かり保育", "保育士不足の解消", "病児保育の受け皿",
                 "子育て世帯の負担軽減", "保育施設の空き状況の発信"],
        "居場所": ["子ども食堂の運営", "放課後の居場所づくり", "子どもの見守り",
                   "登下校の見守り活動", "学習支援教室"],
        "相談": ["子育て相談窓口", "孤立する子育て家庭への支援", "産後ケアの充実",
                 "育児不安の解消", "子育てアプリによる情報提供"],
    },
    "防災": {
        "訓練": ["地域の防災訓練", "避難訓練の参加率向上", "防災教育プログラム",
                 "災害時要配慮者の避難支援", "防災リーダーの育成"],
        "避難所": ["避難所運営の改善", "備蓄品の管理", "避難所の感染症対策",
                   "帰宅困難者対策", "福祉避難所の確保"],
        "情報": ["ハザードマップの周知", "防災アプリの開発", "災害情報の多言語発信",
                 "浸水リスクの可視化", "防災データの活用"],
    },
    "DX": {
        "手続き": ["行政手続きのオンライン化", "窓口業務の効率化", "電子申請システム",
                   "キャッシュレス決済の導入", "書類の電子化"],
        "デバイド": ["高齢者向けスマホ教室", "デジタルデバイド対策", "デジタル活用支援員",
                     "オンライン診療の普及", "ICT機器の貸し出し"],
        "データ": ["オープンデータの公開", "データ分析による政策立案", "AIを活用した需要予測",
                   "人流データの分析", "ダッシュボードの構築"],
    },
    "環境": {
        "食品ロス": ["食品ロスの削減", "フードドライブの実施", "余剰食品の活用",
                     "家庭ごみの減量", "生ごみの堆肥化"],
        "緑化": ["屋上緑化の推進", "ヒートアイランド対策", "街路樹の維持管理",
                 "都市農園の活用", "生物多様性の保全"],
        "脱炭素": ["脱炭素社会の実現", "再生可能エネルギーの導入", "省エネ改修の促進",
                   "電気自動車の充電設備", "カーボンニュートラルの普及啓発"],
    },
    "地域活性化": {
        "商店街": ["商店街の空き店舗対策", "商店街のにぎわい創出", "地元店舗の販路拡大",
                   "地域通貨の導入", "商店街イベントの企画"],
        "空き家": ["空き家の利活用", "空き家の適正管理", "空き家を活用した地域拠点",
                   "空き家所有者への相談対応", "リノベーションまちづくり"],
        "観光": ["インバウンド観光の促進", "観光資源の発掘", "多言語観光案内",
                 "観光客の回遊性向上", "地域の魅力発信"],
    },
}  # fmt: skip

WARDS = ["千代田区", "中央区", "港区", "新宿区", "文京区", "台東区", "墨田区", "江東区",
         "品川区", "目黒区", "大田区", "世田谷区", "渋谷区", "中野区", "杉並区", "豊島区",
         "北区", "荒川区", "板橋区", "練馬区", "足立区", "葛飾区", "江戸川区"]  # fmt: skip
ORGANISATIONS = ["株式会社みらいテック", "さくらソリューションズ株式会社", "あおば商事株式会社",
                 "東都大学 社会福祉学部", "城南大学 工学部 情報システム研究室",
                 "北辰大学 教育学部", "ひかりラボ株式会社", "一般社団法人まちづくり協議会",
                 "湾岸大学 環境学部 都市環境研究室", "NPO法人つなぐ"]  # fmt: skip

ISSUE_SENTENCES = [
    "{ward}では{phrase}が大きな課題となっています。",
    "近年、{phrase}への対応が求められています。",
    "区民アンケートでも{phrase}に関する要望が多く寄せられました。",
    "{phrase}について、民間企業や大学の知見を活用したいと考えています。",
    "現在、{phrase}の担い手が不足しており、新たな連携先を探しています。",
    "町会や自治会と協力して{phrase}を進めたいと考えています。",
]
RESOURCE_SENTENCES = [
    "{org}は{phrase}に取り組んできました。",
    "{phrase}のノウハウを地域に還元したいと考えています。",
    "これまでに{count}件の{phrase}の実績があります。",
    "{phrase}に関する共同研究や実証実験に協力できます。",
    "学生ボランティアと連携した{phrase}の企画が可能です。",
    "専門スタッフが{phrase}を一貫してサポートします。",
]
ASIDES = ["また、{phrase}にも関心があります。", "{phrase}との組み合わせも検討しています。"]
# Cross-cutting concerns that every field mentions: the noise real texts are full of.
COMMON_PHRASES = ["人材の確保", "多世代交流の促進", "地域住民の参加", "効果検証の方法",
                  "持続可能な運営体制", "関係機関との情報共有", "周知啓発の強化",
                  "外国人住民との共生", "予算の確保", "ボランティアの育成"]  # fmt: skip
ISSUE_OPENINGS = ["{ward}の地域課題です。", "{ward}の町会から寄せられた相談です。",
                  "{ward}役所の担当課からの募集です。"]  # fmt: skip
RESOURCE_OPENINGS = ["{org}の提案です。", "{org}から提供できる資源の紹介です。"]
CLOSINGS = [
    "詳細はお問い合わせください。",
    "まずはオンラインでの打ち合わせから始められれば幸いです。",
    "予算や期間については相談に応じます。",
    "区内の複数地域での展開も視野に入れています。",
]
TOPIC_KEYS = [(field, topic) for field, topics in TOPICS.items() for topic in topics]


@dataclass(frozen=True)
class Corpus:
    texts: list[str]
    fields: np.ndarray
    topics: np.ndarray


def generate(
    count: int, *, openings: list[str], sentences: list[str], rng: random.Random
) -> Corpus:
    """Texts of 150-300 characters: one or two sentences on the text's own topic, often a
    neighbouring topic of the same field or a stray one from another field, common concerns."""
    texts, fields, topics = [], [], []
    field_names = list(TOPICS)
    for _ in range(count):
        topic_id = rng.randrange(len(TOPIC_KEYS))
        field, topic = TOPIC_KEYS[topic_id]
        slots = {"ward": rng.choice(WARDS), "org": rng.choice(ORGANISATIONS)}
        phrases = rng.sample(TOPICS[field][topic], rng.randint(1, 2))
        if rng.random() < 0.6:
            phrases.append(rng.choice(rng.choice(list(TOPICS[field].values()))))
        if rng.random() < 0.5:
            stray_topics = TOPICS[rng.choice(field_names)]
            phrases.append(rng.choice(rng.choice(list(stray_topics.values()))))
        parts = [rng.choice(openings).format(**slots)]
        for phrase in phrases:
            template = rng.choice(sentences if phrase in TOPICS[field][topic] else ASIDES)
            parts.append(template.format(phrase=phrase, count=rng.randint(3, 60), **slots))
        while sum(map(len, parts)) < 150:
            template = rng.choice(sentences)
            phrase = rng.choice(COMMON_PHRASES)
            parts.append(template.format(phrase=phrase, count=rng.randint(3, 60), **slots))
        parts.append(rng.choice(CLOSINGS))
        texts.append("".join(parts)[:300])
        fields.append(field_names.index(field))
        topics.append(topic_id)
    return Corpus(texts=texts, fields=np.array(fields), topics=np.array(topics))


def timed[T](function: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def retrieval_quality(
    *, issues: Corpus, resources: Corpus, bigrams: bool, sample: int
) -> dict[str, float]:
    """Ranking quality of plain cosine over all resources for a sample of issues."""
    index = fit_index(
        documents=issues.texts + resources.texts, analyzer=JapaneseAnalyzer(bigrams=bigrams)
    )
    queries = transform(index, issues.texts[:sample])
    scores = (queries @ transform(index, resources.texts).T).toarray()
    same_topic = issues.topics[:sample, None] == resources.topics[None, :]
    same_field = issues.fields[:sample, None] == resources.fields[None, :]
    labels = np.where(same_topic, 2, np.where(same_field, 1, 0))
    groups = np.repeat(np.arange(len(queries.indptr) - 1), len(resources.texts))
    metrics = evaluate_ranking(scores=scores.ravel(), labels=labels.ravel(), groups=groups)
    metrics["vocabulary"] = float(len(index.terms))
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--quality-sample", type=int, default=2000, help="issues to judge")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    issues = generate(args.issues, openings=ISSUE_OPENINGS, sentences=ISSUE_SENTENCES, rng=rng)
    resources = generate(
        args.resources, openings=RESOURCE_OPENINGS, sentences=RESOURCE_SENTENCES, rng=rng
    )
    documents = issues.texts + resources.texts
    lengths = [len(text) for text in documents]
    analyzer = JapaneseAnalyzer()

    analyzer("ウォームアップ")  # dictionary load is a one-off per process, not per document
    _, tokenize_seconds = timed(lambda: [analyzer(text) for text in documents])
    index, fit_seconds = timed(lambda: fit_index(documents=documents))
    (queries, targets), transform_seconds = timed(
        lambda: (transform(index, issues.texts), transform(index, resources.texts))
    )
    blob, dump_seconds = timed(index.to_bytes)
    neighbours, top_k_seconds = timed(
        lambda: top_k(query_matrix=queries, target_matrix=targets, k=args.k)
    )

    def match_text(text: str) -> list[list[tuple[int, float]]]:
        return top_k(query_matrix=transform(index, [text]), target_matrix=targets, k=args.k)

    sampled = rng.sample(range(args.issues), min(50, args.issues))
    single = [
        timed(partial(top_k, query_matrix=queries[row], target_matrix=targets, k=args.k))[1]
        for row in sampled
    ]
    single_analyzed = [timed(partial(match_text, issues.texts[row]))[1] for row in sampled]
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    hits = sum(
        issues.topics[row] == resources.topics[column]
        for row, found in enumerate(neighbours)
        for column, _ in found[:1]
    )

    rows = [
        ("issues x resources", f"{args.issues:,} x {args.resources:,}"),
        ("characters per text (mean)", f"{statistics.mean(lengths):.0f}"),
        ("tokenization, all texts", f"{tokenize_seconds:.2f} s"),
        ("  throughput", f"{sum(lengths) / tokenize_seconds / 1e6:.2f} M chars/s"),
        ("fit_index (tokenizes again)", f"{fit_seconds:.2f} s"),
        ("transform issues + resources", f"{transform_seconds:.2f} s"),
        (
            "vocabulary / nnz per row",
            f"{len(index.terms):,} / {targets.nnz / targets.shape[0]:.1f}",
        ),
        ("index blob (to_bytes)", f"{len(blob) / 1024:.1f} KiB in {dump_seconds * 1e3:.1f} ms"),
        (f"top_k, all issues, k={args.k}", f"{top_k_seconds:.2f} s"),
        ("top_k, one query (median of 50)", f"{statistics.median(single) * 1e3:.1f} ms"),
        ("  with transform of its text", f"{statistics.median(single_analyzed) * 1e3:.1f} ms"),
        ("top-1 on the issue's topic", f"{hits / args.issues:.1%}"),
        ("peak RSS", f"{peak_rss_mib:,.0f} MiB"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")

    sample = min(args.quality_sample, args.issues)
    print(f"\nretrieval quality, {sample} issues ranked against all resources")
    print(f"{'analyzer':<22}{'MRR':>8}{'P@5':>8}{'nDCG@10':>9}{'terms':>9}")
    for name, bigrams in (("unigrams", False), ("unigrams + bigrams", True)):
        metrics = retrieval_quality(
            issues=issues, resources=resources, bigrams=bigrams, sample=sample
        )
        print(
            f"{name:<22}{metrics['mrr']:>8.4f}{metrics['p_at_5']:>8.4f}"
            f"{metrics['ndcg_at_10']:>9.4f}{metrics['vocabulary']:>9,.0f}"
        )


if __name__ == "__main__":
    main()
