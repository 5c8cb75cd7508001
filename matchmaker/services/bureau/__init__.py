"""The science bureau's view (issue 16): figures against the city's targets with drill-downs
(`figures.py` and its `figures_*.py` parts), the targets (`targets.py`), the monthly report
(`reports.py`) and the public open data (`open_data.py`)."""
