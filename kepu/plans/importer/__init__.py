"""Work-plan importer: a 工作计划 / 工作要点 document -> a structured, correctable draft.

Pure Python (no Django), so it can be tested and reused on its own. The web app
calls :func:`parse_text` or :func:`parse_docx`, shows the :class:`PlanDraft`
beside its source for correction (as JSON via ``to_dict`` / ``from_dict``), and
resolves the responsible units against its organizations with
:func:`match_units`.
"""

from .docx_reader import parse_docx
from .draft import (
    SCHEMA,
    Comparator,
    ImportWarning,
    NodeKind,
    PlanDraft,
    PlanNode,
    Target,
    Units,
    UnitSource,
)
from .errors import PlanImportError
from .matching import Candidate, GroupToken, Organization, UnitMatch, match_units
from .numbers import parse_number
from .parser import parse_text
from .targets import extract_targets
from .units import split_unit_names
from .upload import decode_text, parse_upload

__all__ = [
    "SCHEMA",
    "Candidate",
    "Comparator",
    "GroupToken",
    "ImportWarning",
    "NodeKind",
    "Organization",
    "PlanDraft",
    "PlanImportError",
    "PlanNode",
    "Target",
    "UnitMatch",
    "UnitSource",
    "Units",
    "decode_text",
    "extract_targets",
    "match_units",
    "parse_docx",
    "parse_number",
    "parse_text",
    "parse_upload",
    "split_unit_names",
]
