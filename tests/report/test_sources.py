"""Catalogue sources cited by paper title and section heading."""

from __future__ import annotations

from tdcoord.coordination.catalogue import list_models
from tdcoord.report.sources import cite, cite_text


def test_seed_001_cited_by_title_and_heading() -> None:
    c = cite("001_584bb78bb87c721f.txt", "§III.A, paragraph 4")
    assert "Global Perspectives on TSO-DSO Coordination Models" in c
    assert "§III.A “Australia”, paragraph 4" in c
    assert ".txt" not in c


def test_seed_000_sections_named() -> None:
    c = cite_text("000_359f80fe2203bbba.txt §1.2, §1.4 and §3.2")
    assert "“A phased approach framework for distributed resource penetration”" in c
    assert "“Energy pricing, scheduling, and activation of services”" in c
    assert ".txt" not in c


def test_every_catalogue_source_is_cited_without_file_name() -> None:
    for m in list_models():
        c = cite(m.source.seed, m.source.section)
        assert ".txt" not in c and "“" in c, m.id


def test_unknown_sources_pass_through() -> None:
    assert cite("own", "§1") == "own §1"
    assert cite_text("a user note") == "a user note"
