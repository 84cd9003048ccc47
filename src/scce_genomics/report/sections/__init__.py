"""The report's sections, in page order: each is one view (data) and one template (markup).

A view is a function of the :class:`~scce_genomics.report.context.Context` (a tumor panel:
of the context and one tumor) returning a dict; its template under ``report/templates/``
receives that dict as ``v``. To add a section, write the view and the template and add one
entry below (docs/report.md says more). The builder runs every view guarded, so a malformed
input becomes a "could not be drawn" notice instead of a failed report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scce_genomics.report.context import Context
from scce_genomics.report.sections import cnv, compare, methods, qc, samples, somatic, spectra

__all__ = ["SECTIONS", "TUMOR_PANELS", "Section", "TumorPanel"]


@dataclass(frozen=True)
class TumorPanel:
    """One block of each tumor's part of "Per sample" (``templates/tumor/<id>.html.j2``)."""

    id: str
    title: str  # the h4 above it; "" for none
    view: Callable[[Context, str], dict[str, Any]]

    @property
    def template(self) -> str:
        return f"tumor/{self.id}.html.j2"


@dataclass(frozen=True)
class Section:
    """One section of the page, with its h2 and nav entry (``templates/sections/<id>.html.j2``)."""

    id: str
    nav: str
    title: str  # the h2
    view: Callable[[Context], dict[str, Any]]
    panels: tuple[TumorPanel, ...] = field(default=())

    @property
    def template(self) -> str:
        return f"sections/{self.id}.html.j2"


TUMOR_PANELS: tuple[TumorPanel, ...] = (
    TumorPanel("mutations", "", somatic.mutations_view),
    TumorPanel("drivers", "Driver genes", somatic.drivers_view),
    TumorPanel("cnv", "Copy number", cnv.tumor_view),
    TumorPanel("sbs96", "SBS96 spectrum", spectra.sbs96_view),
    TumorPanel("exposures", "Signature exposures", spectra.exposures_view),
    TumorPanel("similarity", "Similarity to reference cohorts", compare.similarity_view),
)

SECTIONS: tuple[Section, ...] = (
    Section("overview", "Cohort overview", "Cohort overview", qc.view),
    Section("samples", "Per sample", "Per sample", samples.view, TUMOR_PANELS),
    Section(
        "comparison",
        "Cohort comparison",
        "Cohort comparison with ESCC and contrast references",
        compare.view,
    ),
    Section("methods", "Methods", "Methods", methods.view),
)
