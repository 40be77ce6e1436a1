"""Permissions live in the policies (issue 12): pages, API, admin, forms and template tags ask ``can()``,
they never compare roles themselves; and every action asked is a member of the policy's enum.

The checks read the source (``ast``), so a new module is covered without anyone listing it. A view may
still gate a whole page by role with ``@role_required(...)`` (the page's 403, which ``opens()`` and the
permission walk read); what it may not do is decide, inside its body, by comparing roles.
"""

from __future__ import annotations

import ast
import re
from enum import StrEnum
from pathlib import Path

import pytest

from kepu.core.permissions import Policy, UnknownAction, can, registered, require

KEPU = Path(__file__).resolve().parents[2]

#: Attributes whose reading is a role decision wherever it appears in a page, an API module or the admin.
ROLE_ATTRIBUTES = {"is_city", "is_superuser", "has_role"}
#: Names of role sets (``Role``, ``STAFF_ROLES``, ``OFFICES`` …): comparing with them is a role check.
ROLE_NAME = re.compile(r"^(Role|[A-Z_]*ROLES|OFFICES?|FOLLOWERS|WORKERS|ORG_STAFF|AREA_STAFF)$")

#: Where a role may be read by name, and why.
ALLOWED = {
    # The role router: which home a person lands on is the role itself (its layout and menu), not an access
    # decision about any record; each home's content comes from the apps' registries, scoped by policy.
    ("core/views.py", "home"),
    ("core/views.py", "role_home"),
    ("core/views.py", "_resident_home"),
    # Names a role in words for the audit trail's rows; decides nothing.
    ("core/views.py", "_role_label"),
}


def _modules():
    for path in sorted(KEPU.glob("*/*.py")) + sorted(KEPU.glob("*/templatetags/*.py")):
        rel = path.relative_to(KEPU).as_posix()
        name = path.name
        if (
            name.startswith(("views", "api", "forms"))
            or name == "admin.py"
            or "/templatetags/" in f"/{rel}"
            or rel.split("/")[1] in ("views", "api")
        ):
            yield rel, path


def _mentions_role(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and sub.attr == "role":
            return True
        if isinstance(sub, ast.Name) and ROLE_NAME.match(sub.id):
            return True
        if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and ROLE_NAME.match(sub.value.id):
            return True
    return False


def role_checks(rel: str, source: str) -> list[str]:
    """Role decisions made in the bodies of a module's functions (decorators excluded)."""
    found = []
    tree = ast.parse(source)
    for func in ast.walk(tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(func, ast.Lambda):
            body = [func.body]
            name = "<lambda>"
        else:
            body = func.body
            name = func.name
        if (rel, name) in ALLOWED:
            continue
        for stmt in body:
            for node in ast.walk(stmt):
                if isinstance(node, ast.Compare) and _mentions_role(node):
                    found.append(f"{rel}:{node.lineno} {name}: {ast.unparse(node)}")
                elif isinstance(node, ast.Attribute) and node.attr in ROLE_ATTRIBUTES:
                    found.append(f"{rel}:{node.lineno} {name}: {ast.unparse(node)}")
                elif (
                    isinstance(node, ast.Attribute)
                    and node.attr == "is_staff"
                    and rel != "core/admin.py"  # entering Django's admin site at all: PolicyAdmin's own gate
                ):
                    found.append(f"{rel}:{node.lineno} {name}: {ast.unparse(node)}")
    return sorted(set(found))


TEMPLATE_ROLE = re.compile(r"\{%[^%]*\b(\w+\.role\b|\w+\.is_city\b|\w+\.is_staff\b|\w+\.is_superuser\b)[^%]*%\}")


def test_pages_api_admin_and_forms_ask_policies_instead_of_comparing_roles():
    found = []
    for rel, path in _modules():
        found += role_checks(rel, path.read_text(encoding="utf-8"))
    assert found == [], "role decided outside a policy; ask can() instead:\n" + "\n".join(found)


def test_templates_compare_no_roles():
    found = []
    for path in sorted(KEPU.glob("*/templates/**/*.html")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in TEMPLATE_ROLE.finditer(line):
                found.append(f"{path.relative_to(KEPU)}:{n}: {m.group(1)}")
    assert found == [], "a template decides by role; pass the policy's answer from the view:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "def v(request):\n    if request.actor.role in STAFF_ROLES:\n        pass\n",
        "def v(request):\n    return {'x': request.actor.is_city}\n",
        "def v(request):\n    return request.actor.role == Role.EXPERT\n",
        "def v(request):\n    return request.user.is_superuser\n",
        "class A:\n    def has_module_permission(self, request):\n        return request.user.is_staff\n",
    ],
)
def test_the_check_catches_role_comparisons(source):
    assert role_checks("orders/views.py", source)


def test_the_check_lets_the_page_gate_and_policy_questions_pass():
    source = (
        "@role_required(Role.DISTRICT_ADMIN, *STAFF_ROLES)\n"
        "def v(request):\n"
        "    return can(request.actor, OrderAction.VIEW, order) and order.status == 'done'\n"
    )
    assert role_checks("orders/views.py", source) == []


# --- Actions are enum members ---------------------------------------------------------------------------
def _action_arguments():
    """Every action argument passed to can()/require() in the code, with the module's imported names."""
    for path in sorted(KEPU.rglob("*.py")):
        rel = path.relative_to(KEPU).as_posix()
        if "/tests/" in f"/{rel}" or "/migrations/" in rel:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            alias.asname or alias.name: f"{node.module}.{alias.name}"
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
            for alias in node.names
        }
        module = "kepu." + rel[:-3].replace("/", ".")
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in ("can", "require"):
                yield f"{rel}:{node.lineno}", node.args[1], imported, module


def _resolve(dotted: str):
    import importlib

    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name, None)


def test_every_action_asked_in_the_code_is_an_enum_member():
    bad = []
    for where, arg, imported, module in _action_arguments():
        if isinstance(arg, ast.Constant):
            bad.append(f"{where}: the string {arg.value!r}")
        elif isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name) and arg.value.id.endswith("Action"):
            kind = _resolve(imported.get(arg.value.id, f"{module}.{arg.value.id}"))
            if not (isinstance(kind, type) and issubclass(kind, StrEnum) and arg.attr in kind.__members__):
                bad.append(f"{where}: {ast.unparse(arg)} is not a member of a StrEnum of actions")
        elif isinstance(arg, ast.Name | ast.IfExp | ast.Attribute):
            continue  # a variable (an enum member chosen at run time, checked by can() itself)
        else:
            bad.append(f"{where}: {ast.unparse(arg)}")
    assert bad == [], "\n".join(bad)


def test_every_policy_declares_its_actions_as_string_enums():
    for model, policy in registered().items():
        kinds = policy.actions if isinstance(policy.actions, tuple) else (policy.actions,)
        assert kinds and all(issubclass(k, StrEnum) for k in kinds), model


def test_an_unknown_action_is_an_error_not_a_refusal(db):
    from kepu.accounts.models import User
    from kepu.core.actor import ANONYMOUS, Actor
    from kepu.orders.models import Order
    from kepu.orders.permissions import OrderAction
    from kepu.resources.permissions import ResourceAction

    someone = Actor(user=User.objects.create(username="perms-probe"))
    for actor in (ANONYMOUS, someone):
        with pytest.raises(UnknownAction):
            can(actor, "veiw", Order())
        with pytest.raises(UnknownAction):
            require(actor, ResourceAction.PUSH, Order())  # another app's action
        assert can(actor, OrderAction.VIEW, Order()) is False


def test_a_policy_without_actions_cannot_be_registered():
    from kepu.core.permissions import register

    class Nothing(Policy):
        model = object

    with pytest.raises(TypeError):
        register(Nothing)
