"""Comparisons across reports: strategy tables, timelines, what each report says about a strategy."""
