"""Audit codes live in one namespace, ``kepu.<app label>.<event>`` (or ``….<object>.<event>``), written out.

Leaders and auditors read the trail by these codes; a code built by concatenation or an app writing
another app's namespace would make the trail unsearchable. Checked over the source (every literal
passed to ``log_action``) and over every declared workflow.
"""

import ast
import re
from pathlib import Path

from django.apps import apps

from kepu.core.workflow import WORKFLOWS

ROOT = Path(__file__).resolve().parents[2]
CODE = re.compile(r"^kepu\.([a-z_]+)\.[a-z_]+(\.[a-z_]+)?$")


def _app_of(path: Path) -> str:
    return path.relative_to(ROOT).parts[1]


def _calls():
    for path in sorted(ROOT.glob("kepu/**/*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "log_action":
                if len(node.args) >= 2:
                    yield path, node.lineno, node.args[1]


def test_every_audit_code_is_written_out_in_its_apps_namespace():
    bad = []
    for path, line, arg in _calls():
        where = f"{path.relative_to(ROOT)}:{line}"
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            m = CODE.match(arg.value)
            if not m or m.group(1) != _app_of(path):
                bad.append(f"{where} {arg.value}")
        elif isinstance(arg, ast.JoinedStr | ast.BinOp):
            # The one exception: the admin audits a change as kepu.<the object's app>.admin_changed.
            if path.relative_to(ROOT).as_posix() != "kepu/core/admin.py":
                bad.append(f"{where}: a code built from pieces")
        # Anything else is a workflow's ``audit_code(name)``: checked below.
    assert not bad, "\n".join(bad)


def test_every_workflow_audits_in_its_apps_namespace():
    assert len(WORKFLOWS) >= 6
    for workflow in WORKFLOWS:
        label = workflow.model._meta.app_label
        assert apps.get_app_config(label)
        for t in workflow:
            code = workflow.audit_code(t.name)
            m = CODE.match(code)
            assert m and m.group(1) == label, (workflow.name, code)


def test_every_audit_code_reads_in_words():
    """The trail shows what happened in words, never a bare code (admin changes aside: kepu.<app>.admin_changed
    is put into words by the admin's own label)."""
    from kepu.core.audit import known_codes

    known = known_codes()
    literals = [arg for _path, _line, arg in _calls() if isinstance(arg, ast.Constant)]
    codes = {arg.value for arg in literals if isinstance(arg.value, str)}
    codes |= {workflow.audit_code(t.name) for workflow in WORKFLOWS for t in workflow}
    assert sorted(codes - known) == []
