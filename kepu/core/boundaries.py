"""The app-boundary contracts for import-linter, derived from the tree so that a new app is covered the day it
is added (``python -m kepu.core.boundaries > .importlinter``; a test fails while the committed file differs).

An app's public face is its ``selectors``, ``services`` and ``signals``, plus the vocabulary it shares
(``choices``: the enums other apps store, such as place levels) and, for places, its UI components (the
place ``picker`` and ``maps``, which read places through its selectors). Every other module of an app is
forbidden to the others. Core depends on no app. Tests, demo seeds and migrations are outside the rule: they
build a world the way a fixture does. Imports under ``TYPE_CHECKING`` (annotations) couple no code and are
not counted.
"""

from pathlib import Path

KEPU = Path(__file__).resolve().parents[1]
PUBLIC = {"selectors", "services", "signals", "choices", "picker", "maps"}
#: Modules Django or the platform loads by name, never imported by another app.
LOADED = {"__init__", "apps", "tests", "migrations", "locale", "templates", "static", "management", "templatetags"}
#: Demo data: built across apps like a test fixture.
DEMO = {"seed", "demo"}


def apps() -> list[str]:
    return sorted(p.name for p in KEPU.iterdir() if (p / "apps.py").exists() and p.name != "core")


def _modules(app: str) -> list[str]:
    here = KEPU / app
    names = {p.stem for p in here.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    return sorted(names - PUBLIC - LOADED - DEMO)


def contracts() -> str:
    names = apps()
    out = [
        "[importlinter]",
        "root_package = kepu",
        "exclude_type_checking_imports = True",
        "",
        "[importlinter:contract:core]",
        "name = kepu.core depends on no app",
        "type = forbidden",
        "source_modules =",
        "    kepu.core",
        "forbidden_modules =",
        *(f"    kepu.{a}" for a in names),
        "ignore_imports =",
        "    kepu.core.tests.** -> kepu.**",
        "",
    ]
    for app in names:
        out += [
            f"[importlinter:contract:{app}]",
            f"name = other apps use only kepu.{app}'s selectors, services and signals",
            "type = forbidden",
            "source_modules =",
            *(f"    kepu.{b}" for b in [*names, "core"] if b != app),
            "forbidden_modules =",
            *(f"    kepu.{app}.{m}" for m in _modules(app)),
            "allow_indirect_imports = True",
            "ignore_imports =",
            "    kepu.*.tests.** -> kepu.**",
            *(f"    kepu.*.{d} -> kepu.**" for d in sorted(DEMO)),
            "",
        ]
    return "\n".join(out)


if __name__ == "__main__":
    print(contracts(), end="")
