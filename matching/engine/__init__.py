"""Pure-Python matching core: text analysis, TF-IDF retrieval and pair ranking.

Nothing in this package imports Django, so it can run in any worker, in benchmarks and in tests
without settings or a database.
"""
