"""The zh-hans catalogues are complete and compiled: no untranslated string ships."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

KEPU = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(KEPU.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))


def entries(po: Path):
    """(msgid, msgstr, flags) for each entry, read without third-party tools."""
    text = po.read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if line.strip()]
        if not any(line.startswith("msgid") for line in lines):
            continue
        flags = " ".join(line for line in lines if line.startswith("#,"))
        current, parts = None, {"msgid": "", "msgstr": ""}
        for line in lines:
            if line.startswith("#"):
                continue
            for key in ("msgid_plural", "msgid", "msgstr[0]", "msgstr"):
                if line.startswith(key + " "):
                    current = "msgstr" if key.startswith("msgstr") else ("msgid" if key == "msgid" else None)
                    line = line[len(key) + 1 :]
                    break
            if current and line.startswith('"'):
                parts[current] += line.strip()[1:-1]
        yield parts["msgid"], parts["msgstr"], flags


def test_every_app_with_strings_has_a_catalogue():
    apps = {p.parent.name for p in KEPU.glob("*/apps.py")}
    have = {p.parents[3].name for p in CATALOGUES}
    assert apps <= have, f"apps without a zh_Hans catalogue: {sorted(apps - have)}"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parents[3].name)
def test_catalogue_is_complete(po):
    missing = [msgid for msgid, msgstr, flags in entries(po) if msgid and (not msgstr or "fuzzy" in flags)]
    assert not missing, f"{po}: untranslated or fuzzy: {missing[:10]}"


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="gettext's msgfmt is not installed (CI installs it)")
@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parents[3].name)
def test_compiled_catalogue_matches_its_source(po, tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(po)], check=True)
    assert fresh.read_bytes() == po.with_suffix(".mo").read_bytes(), f"run compilemessages for {po}"


@pytest.mark.skipif(not shutil.which("xgettext"), reason="gettext's xgettext is not installed (CI installs it)")
@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parents[3].name)
def test_catalogue_holds_every_string_of_its_app(po, tmp_path):
    """makemessages on a copy of the app finds no message id the catalogue lacks."""
    app = po.parents[3]
    copy = tmp_path / app.name
    shutil.copytree(app, copy, ignore=shutil.ignore_patterns("__pycache__", "tests"))
    subprocess.run(
        [
            sys.executable,
            str(KEPU.parent / "manage.py"),
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-obsolete",
            "--no-location",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        env={**__import__("os").environ, "PYTHONPATH": str(KEPU.parent)},
    )
    fresh = {msgid for msgid, _, _ in entries(copy / "locale/zh_Hans/LC_MESSAGES/django.po") if msgid}
    known = {msgid for msgid, _, _ in entries(po) if msgid}
    assert not fresh - known, f"strings missing from {po}: {sorted(fresh - known)[:10]}"


KNOWN_CLASHES = Path(__file__).with_name("i18n_known_clashes.txt")


def clashes() -> set[str]:
    """Message ids that two apps' catalogues translate differently, as ``id<TAB>app<TAB>app``."""
    seen: dict[str, tuple[str, str]] = {}
    found = set()
    for po in CATALOGUES:
        text = po.read_text(encoding="utf-8")
        with_context = {block for block in text.split("\n\n") if "msgctxt" in block}
        for msgid, msgstr, _flags in entries(po):
            if not msgid or any(f'msgid "{msgid}"' in block for block in with_context):
                continue
            app = po.parents[3].name
            if msgid in seen and seen[msgid][1] != msgstr:
                found.add(f"{msgid}\t{seen[msgid][0]}\t{app}")
            seen.setdefault(msgid, (app, msgstr))
    return found


def test_no_new_message_id_is_translated_two_ways():
    """All catalogues share one gettext domain, where the first installed app's translation of an
    id wins everywhere: the same English id must read the same in every app (a message context,
    ``{% translate "Name" context "person" %}``, separates different meanings). Clashes that
    predate this test are listed in i18n_known_clashes.txt, to be removed as they are fixed;
    the list may only shrink."""
    known = set(KNOWN_CLASHES.read_text(encoding="utf-8").splitlines()) - {""}
    found = clashes()
    assert not found - known, "new clashes:\n" + "\n".join(sorted(found - known))
    assert not known - found, "fixed clashes still listed (remove them):\n" + "\n".join(sorted(known - found))
