"""The science library's section of the leaders' page (``kepu.core.figures``): pieces published and their reach.

As the measures define them (``kepu/resources/measures.py``): a piece counts once, in the year its first version
was published, where its unit sits; reach is the people pushes created in the year were sent to, where the pusher
sits. One grouped query each per level of place.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kepu.core.figures import FigureDef, FigureProvider, by_path_prefix, register_provider
from kepu.resources.measures import _published, _pushes


def values(places, year: int) -> dict[str, dict]:
    published = by_path_prefix(_published({"year": year}), "place_path", places, {"n": Count("pk")})
    reach = by_path_prefix(_pushes({"year": year}), "place_path", places, {"n": Sum("sent")})
    return {
        p.code: {
            "resources.published": Decimal(published[p.code]["n"] or 0),
            "resources.reach": Decimal(reach[p.code]["n"] or 0),
        }
        for p in places
    }


def records_url(key: str, place, year: int) -> str:
    query = {"place": place.code, "year": year}
    return reverse("resources:figures") + "?" + urlencode(query)


def register() -> None:
    register_provider(
        FigureProvider(
            section="resources",
            label=_("Science resources"),
            order=50,
            figures=(
                FigureDef("resources.published", _("Pieces published"), "种", measure="resources.published"),
                FigureDef(
                    "resources.reach",
                    _("People reached by pushed science resources"),
                    "人次",
                    measure="resources.reach",
                ),
            ),
            values=values,
            records_url=records_url,
        )
    )
