"""The evaluation report (評価報告書) per 年度 or quarter: requested, built by a task, downloaded,
published (the public results page is evaluation.public)."""
