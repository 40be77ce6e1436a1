"""The dictionary editions that ship with the app (TOML files; see ``kepu/statistics/editions.py``)."""

from pathlib import Path

HERE = Path(__file__).resolve().parent
BUNDLED = HERE / "edition-2024.toml"


def load_bundled(path: Path = BUNDLED, *, audit: bool = False):
    from kepu.statistics.services import edition_load

    return edition_load(actor=None, content=path.read_bytes(), source=path.name, audit=audit)


def _missing(codes, kind: str, model, Edition, path: Path):
    """The rows of ``kind`` ("indicators" or "rules") of the bundled file whose codes the database never had, and
    the edition row that records their addition; ([], None) on a fresh database (it gets the whole file)."""
    from kepu.statistics import editions

    if not Edition.objects.exists():
        return [], None
    parsed = editions.read(path.read_bytes())
    if parsed.problems:
        raise ValueError("; ".join(str(p) for p in parsed.problems[:10]))
    present = set(model.objects.filter(code__in=codes).values_list("code", flat=True))
    rows = [row for row in getattr(parsed, kind) if row["code"] in set(codes) - present]
    if not rows:
        return [], None
    edition = Edition.objects.create(
        name=parsed.name,
        source=path.name,
        digest=parsed.digest,
        valid_from=parsed.valid_from,
        indicators=len(rows) if kind == "indicators" else 0,
        rules=len(rows) if kind == "rules" else 0,
    )
    return rows, edition


def add_indicators(codes, *, Indicator, Table, Edition, path: Path = BUNDLED) -> int:
    """Give a database that loaded the bundled file before ``codes`` were added to it those indicators.

    A fresh database is left alone (it gets the whole file after migrating). Only codes the database has
    never had are created, so a definition a later edition file changed is never touched; the addition
    is kept as an edition row of its own (what was loaded, from which file). The models are passed in,
    so a data migration can use its historical ones. Returns how many indicators were added.
    """
    rows, edition = _missing(codes, "indicators", Indicator, Edition, path)
    tables = {t.code: t for t in Table.objects.filter(code__in={row["table"] for row in rows})}
    for row in rows:
        Indicator.objects.create(**{**row, "table": tables[row["table"]], "edition": edition})
    return len(rows)


def add_rules(codes, *, Rule, Edition, path: Path = BUNDLED) -> int:
    """``add_indicators`` for validation rules. Returns how many rules were added."""
    rows, edition = _missing(codes, "rules", Rule, Edition, path)
    for row in rows:
        Rule.objects.create(**{**row, "edition": edition})
    return len(rows)
