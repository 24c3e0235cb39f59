"""Parsing Trino's query statistics for make bench-dbt (osspulse_dev.bench.dbt)."""

from __future__ import annotations

import pytest

from osspulse_dev.bench.dbt import QueryCollector, parse_duration, parse_size


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0B", 0.0), ("51B", 51.0), ("1.50kB", 1500.0), ("12.5MB", 12.5e6), ("2GB", 2e9)],
)
def test_parse_size(text: str, expected: float) -> None:
    assert parse_size(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0.00ns", 0.0), ("673.85us", 673.85e-6), ("93.51ms", 0.09351), ("1.50s", 1.5), ("2.00m", 120.0)],
)
def test_parse_duration(text: str, expected: float) -> None:
    assert parse_duration(text) == pytest.approx(expected)


def test_figures_add_up_the_queries_of_a_run(settings) -> None:
    collector = QueryCollector(settings, "tag")
    collector.queries = {
        "q1": {"queryStats": {"rawInputPositions": 10, "rawInputDataSize": "1kB", "totalCpuTime": "1.00s"}},
        "q2": {
            "queryStats": {"rawInputPositions": 5, "rawInputDataSize": "500B", "totalCpuTime": "500.00ms"}
        },
    }
    figures = collector.figures("full", 12.34, True)
    assert (figures.queries, figures.rows_read, figures.bytes_read, figures.cpu_s) == (2, 15, 1500.0, 1.5)
    assert figures.wall_s == 12.3
