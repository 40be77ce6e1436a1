"""People holding a counted role under each place, kept from the memberships (``RoleHolderPlace``,
``RoleHolderMonth``).

Registered volunteers count once per place however many teams they are in: a distinct count that no sum of
per-team rows gives, and counted from the memberships it is a join and a sort over every membership of the city on
each leaders' page. Instead each person has one row per place above every organization where they hold the role,
with their earliest membership there, and ``RoleHolderMonth`` counts those rows by the month of that membership:
the people under a place who had joined by the end of a year are a sum of at most a few dozen rows.

``refresh(people)`` recounts a person's rows from their memberships and moves the month counts by the difference.
The signals below call it on every save and delete of a membership and on a change of a person's ``is_active``,
in the same transaction (``Membership.save`` and ``User.save`` open one when the caller has none; a delete always
runs in one); code that changes memberships with ``QuerySet.update`` or ``bulk_create`` calls it
itself (``rebuild`` after a bulk load). ``recount`` is the distinct count from the memberships, for the tests.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from kepu.core.bulk import add_to_rows
from kepu.core.roles import Role

#: The roles whose holders the figures count per place. Residents are not among them: a million residents would
#: be four million rows, and nobody counts them from memberships.
COUNTED_ROLES = (Role.VOLUNTEER,)


def _models():
    from kepu.accounts.models import Membership, RoleHolderMonth, RoleHolderPlace, User

    return Membership, RoleHolderPlace, RoleHolderMonth, User


def _ancestors(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["".join(f"{p}/" for p in parts[: i + 1]) for i in range(len(parts))]


def _month(moment: datetime) -> date:
    return timezone.localtime(moment).date().replace(day=1)


def _wanted(Membership, user_ids, role) -> dict[tuple[int, str], datetime]:
    """{(person, place path): earliest active membership under it} from the memberships themselves."""
    want: dict[tuple[int, str], datetime] = {}
    rows = Membership.objects.filter(role=role, is_active=True, user__is_active=True)
    if user_ids is not None:
        rows = rows.filter(user_id__in=user_ids)
    for user_id, created_at, path in rows.values_list("user_id", "created_at", "organization__place__path"):
        for prefix in _ancestors(path):
            key = (user_id, prefix)
            if key not in want or created_at < want[key]:
                want[key] = created_at
    return want


def _move_months(RoleHolderMonth, role: str, deltas: Counter) -> None:
    rows = [(role, path, month, n) for (path, month), n in sorted(deltas.items()) if n]
    add_to_rows(RoleHolderMonth, RoleHolderMonth.KEY, ("people",), rows)


def refresh(user_ids) -> None:
    """Recount these people's rows from their memberships, in the caller's transaction."""
    Membership, RoleHolderPlace, RoleHolderMonth, User = _models()
    user_ids = sorted({int(pk) for pk in user_ids if pk is not None})
    if not user_ids:
        return
    with transaction.atomic():
        # One person's memberships changed by two requests at once are recounted one after the other.
        list(User.objects.select_for_update().filter(pk__in=user_ids).order_by("pk").values_list("pk", flat=True))
        for role in COUNTED_ROLES:
            want = _wanted(Membership, user_ids, role)
            have = {
                (r.user_id, r.place_path): r for r in RoleHolderPlace.objects.filter(role=role, user_id__in=user_ids)
            }
            deltas: Counter = Counter()
            gone = []
            for key, row in have.items():
                if key not in want:
                    gone.append(row.pk)
                    deltas[(row.place_path, _month(row.since))] -= 1
            new = []
            for key, since in want.items():
                row = have.get(key)
                if row is None:
                    new.append(RoleHolderPlace(role=role, user_id=key[0], place_path=key[1], since=since))
                    deltas[(key[1], _month(since))] += 1
                elif row.since != since:
                    deltas[(key[1], _month(row.since))] -= 1
                    deltas[(key[1], _month(since))] += 1
                    RoleHolderPlace.objects.filter(pk=row.pk).update(since=since)
            RoleHolderPlace.objects.filter(pk__in=gone).delete()
            RoleHolderPlace.objects.bulk_create(new)
            _move_months(RoleHolderMonth, role, deltas)


def rebuild(models=None) -> int:
    """Empty both tables and fill them again from every membership; return the number of person-place rows.
    ``models`` are (Membership, RoleHolderPlace, RoleHolderMonth) when a migration passes its own."""
    Membership, RoleHolderPlace, RoleHolderMonth = models or _models()[:3]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A membership committed between the read and the commit would be lost; writers wait meanwhile.
            qn = connection.ops.quote_name
            user_table = Membership._meta.get_field("user").related_model._meta.db_table
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {qn(Membership._meta.db_table)}, {qn(user_table)} IN SHARE MODE")
        RoleHolderPlace.objects.all().delete()
        RoleHolderMonth.objects.all().delete()
        made = 0
        for role in COUNTED_ROLES:
            want = _wanted(Membership, None, role)
            RoleHolderPlace.objects.bulk_create(
                (RoleHolderPlace(role=role, user_id=u, place_path=p, since=s) for (u, p), s in want.items()),
                batch_size=5000,
            )
            months = Counter((p, _month(s)) for (_u, p), s in want.items())
            RoleHolderMonth.objects.bulk_create(
                (RoleHolderMonth(role=role, place_path=p, month=m, people=n) for (p, m), n in months.items()),
                batch_size=5000,
            )
            made += len(want)
    return made


def counts(role: str, paths, year: int) -> dict[str, int]:
    """{place path: people holding ``role`` under it who joined by the end of ``year``}: the roll-up's answer."""
    _Membership, _RoleHolderPlace, RoleHolderMonth, _User = _models()
    paths = list(paths)
    rows = (
        RoleHolderMonth.objects.filter(role=role, place_path__in=list(paths), month__lt=date(year + 1, 1, 1))
        .values("place_path")
        .annotate(n=Sum("people"))
        .order_by()
    )
    found = {r["place_path"]: r["n"] or 0 for r in rows}
    return {path: found.get(path, 0) for path in paths}


def recount(role: str, path: str, year: int) -> int:
    """The same figure counted from the memberships themselves (people active, each once)."""
    Membership, *_rest = _models()
    end = datetime.combine(date(year + 1, 1, 1), time.min, tzinfo=timezone.get_current_timezone())
    return (
        Membership.objects.filter(
            role=role,
            is_active=True,
            user__is_active=True,
            created_at__lt=end,
            organization__place__path__startswith=path,
        ).aggregate(n=Count("user_id", distinct=True))["n"]
        or 0
    )


# --- Keeping them: every save and delete of a membership, and a person's switching on or off -----------------------
def _membership_changed(sender, instance, **kwargs):
    if instance.role in COUNTED_ROLES and not kwargs.get("raw"):
        refresh([instance.user_id])


def _person_saved(sender, instance, created=False, update_fields=None, raw=False, **kwargs):
    if raw or created or (update_fields is not None and "is_active" not in update_fields):
        return
    Membership, *_rest = _models()
    if Membership.objects.filter(user_id=instance.pk, role__in=COUNTED_ROLES).exists():
        refresh([instance.pk])


def _organization_saving(sender, instance, raw=False, **kwargs):
    if not raw and instance.pk:
        instance._holders_place_was = sender.objects.filter(pk=instance.pk).values_list("place_id", flat=True).first()


def _organization_saved(sender, instance, created=False, raw=False, **kwargs):
    """An organization moved to another place takes its people's rows with it (rare; in chunks, so a large team
    stays within SQLite's limit on query parameters)."""
    if raw or created or getattr(instance, "_holders_place_was", instance.place_id) == instance.place_id:
        return
    Membership, *_rest = _models()
    people = list(
        Membership.objects.filter(organization_id=instance.pk, role__in=COUNTED_ROLES)
        .values_list("user_id", flat=True)
        .distinct()
    )
    for start in range(0, len(people), 900):
        refresh(people[start : start + 900])


def connect() -> None:
    post_save.connect(_membership_changed, sender="accounts.Membership", dispatch_uid="holders.membership_saved")
    post_delete.connect(_membership_changed, sender="accounts.Membership", dispatch_uid="holders.membership_deleted")
    post_save.connect(_person_saved, sender="accounts.User", dispatch_uid="holders.person_saved")
    pre_save.connect(_organization_saving, sender="orgs.Organization", dispatch_uid="holders.organization_saving")
    post_save.connect(_organization_saved, sender="orgs.Organization", dispatch_uid="holders.organization_saved")
