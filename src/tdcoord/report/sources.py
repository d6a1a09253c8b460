"""Cite a catalogue source by paper title and section heading, not by seed file name.

The catalogue names its sources as ``{seed: <file>, section: "§III.A, paragraph 4"}``; readers
cannot look a file name up. :func:`cite` turns that into "<paper>, §III.A Australia, paragraph 4":
the paper's title (as printed at the top of the seed text) and the heading of the cited section
(as printed in the seed). Seed 000's text carries no title line, so it is described by its own
abstract and keywords and the citation says the title is not given.
"""

from __future__ import annotations

import re

#: Seed file stem prefix → how the paper is cited (title, authors where the text names them).
PAPERS: dict[str, str] = {
    "001": (
        "M. Couto, M. S. Javadi, G. J. Osório, J. P. S. Catalão, “Global Perspectives on TSO-DSO "
        "Coordination Models for Distributed Energy Resources Market Integration”"
    ),
    "000": (
        "paper on TSO–DSO interactions with DERs in Europe and the US (title not given in the "
        "source text; keywords: distribution system operator, transmission-distribution "
        "coordination functions)"
    ),
}

#: Section number → heading, per paper, as printed in the seed texts.
HEADINGS: dict[str, dict[str, str]] = {
    "001": {
        "I": "Introduction",
        "II": "TSO-DSO Coordination Models",
        "II.A": "Defining a TSO-DSO Coordination Model",
        "II.B": "Actors",
        "III": "Global Perspectives on the TSO-DSO Models",
        "III.A": "Australia",
        "III.B": "Europe",
        "III.C": "North America",
        "IV": "Conclusions",
    },
    "000": {
        "1": "Introduction",
        "1.1": "The global reach of distributed energy resources",
        "1.2": "A phased approach framework for distributed resource penetration",
        "1.3": "Distributed energy services and market presence",
        "1.4": "Pricing of distributed energy resources",
        "1.5": "Possible conflicts between electricity services",
        "2": "New roles of distribution system operators",
        "2.1": "Distribution system operator roles for initial phase of DER penetration",
        "2.2": "Distribution system operators roles in subsequent phase of DER penetration",
        "2.3": "Long-term planning and procurement of distributed energy resources",
        "3": "Interactions between transmission and distribution",
        "3.1": "Energy flows and forecasting",
        "3.2": "Energy pricing, scheduling, and activation of services",
        "3.3": "Emergency situations",
        "4": "Conclusions",
    },
}

_SECTION = re.compile(r"§([0-9IVX]+(?:\.[0-9A-Z]+)?)")


def paper_key(seed: str) -> str | None:
    """The paper key (``"000"``, ``"001"``) of a seed file name, or None if unknown."""
    m = re.match(r"\s*(\d{3})_", seed)
    return m.group(1) if m and m.group(1) in PAPERS else None


def cite(seed: str, section: str) -> str:
    """``seed``/``section`` as "<paper title>, §<n> <heading>…": every ``§n`` in ``section``
    that names a known heading gets the heading after it; unknown seeds are returned as given."""
    key = paper_key(seed)
    if key is None:
        return f"{seed} {section}".strip()
    heads = HEADINGS[key]

    def named(m: re.Match[str]) -> str:
        num = m.group(1)
        return f"§{num} “{heads[num]}”" if num in heads else m.group(0)

    return f"{PAPERS[key]}, {_SECTION.sub(named, section)}"


def cite_text(source: str) -> str:
    """A ``"<seed file> <section>"`` string (as in the report's models frame) cited by title;
    text that does not start with a seed file name is returned unchanged."""
    m = re.match(r"\s*(\d{3}_[0-9a-f]+\.txt)\s*(.*)", source)
    if m is None:
        return source
    return cite(m.group(1), m.group(2))
