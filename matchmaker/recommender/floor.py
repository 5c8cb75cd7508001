"""The relevance floor: a match whose text score is below it is not shown (no padding).

Calibrated on the dev grades with ``PYTHONPATH=. python benchmarks/floor_calibration.py``
(docs/recommender.md, "Relevance floor"): the highest text score that still keeps at least 95 %
of the relevant matches shown in a top 10 (95.7 % kept at 0.035, 116 of 460 shown matches
dropped); of the shown matches just below it 0-9 % are relevant. Pass it as
``rank(..., min_text_score=RELEVANCE_FLOOR)`` or ``search(..., min_text_score=...)``; the
factors then re-order what is above it and can never lift a match below it.
"""

#: Minimum text score (the same scale as Match.text_score) for a match to be shown anywhere.
RELEVANCE_FLOOR: float = 0.035
