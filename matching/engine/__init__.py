"""Pair ranking for matching: hand-weighted cold start, learned pairwise ranker, metrics.

Text analysis and TF-IDF retrieval live in portal.textengine (the FAQ assistant uses them too).
"""
