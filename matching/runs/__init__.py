"""Matching runs: the engine over all open issues (or one), fanned out in chunk tasks."""
