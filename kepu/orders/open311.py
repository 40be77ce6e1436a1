"""A read-only Open311 GeoReport v2 view of orders, for civic tools that speak it.

``/open311/v2/services.json`` lists the kinds of service that can be ordered and
``/open311/v2/requests.json`` recent orders, without any personal data: no names, phones
or free-text details, and the place only down to the community. Filters follow the spec:
``service_code``, ``status`` (open/closed), ``start_date``, ``end_date``; at most 1000
rows, newest first (``page`` for more). XML is not offered: ``.json`` only.
"""

from django.http import JsonResponse
from django.urls import path
from django.utils.dateparse import parse_datetime

from kepu.orders import workflow
from kepu.orders.models import Order, ServiceKind, Topic

PAGE = 1000


def services(request):
    rows = [
        {
            "service_code": k.value,
            "service_name": str(k.label),
            "description": str(k.label),
            "metadata": False,
            "type": "batch",
            "keywords": ",".join(t.value for t in Topic),
            "group": "kepu",
        }
        for k in ServiceKind
    ]
    return JsonResponse(rows, safe=False, json_dumps_params={"ensure_ascii": False})


def _status(order: Order) -> str:
    return "open" if order.status in workflow.OPEN_STATES else "closed"


def requests(request):
    qs = Order.objects.select_related("community", "street", "district", "unit").order_by("-created_at", "-id")
    code = request.GET.get("service_code")
    if code:
        qs = qs.filter(kind__in=code.split(","))
    status = request.GET.get("status")
    if status == "open":
        qs = qs.filter(status__in=workflow.OPEN_STATES)
    elif status == "closed":
        qs = qs.exclude(status__in=workflow.OPEN_STATES)
    start = parse_datetime(request.GET.get("start_date", "") or "")
    end = parse_datetime(request.GET.get("end_date", "") or "")
    if start:
        qs = qs.filter(created_at__gte=start)
    if end:
        qs = qs.filter(created_at__lte=end)
    try:
        page = max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        page = 1
    rows = []
    for o in qs[(page - 1) * PAGE : page * PAGE]:
        where = o.community or o.street
        rows.append(
            {
                "service_request_id": o.number,
                "status": _status(o),
                "status_notes": o.get_status_display(),
                "service_name": o.get_kind_display(),
                "service_code": o.kind,
                "description": f"{o.get_topic_display()} · {o.get_population_display()}",
                "agency_responsible": o.unit.name if o.unit_id else "",
                "service_notice": "",
                "requested_datetime": o.created_at.isoformat(),
                "updated_datetime": o.updated_at.isoformat(),
                "expected_datetime": o.scheduled_for.isoformat() if o.scheduled_for else None,
                "address": f"{o.district.name} {o.street.name} {where.name if where != o.street else ''}".strip(),
                "address_id": where.code,
                "zipcode": None,
                "lat": None,
                "long": None,
                "media_url": None,
            }
        )
    return JsonResponse(rows, safe=False, json_dumps_params={"ensure_ascii": False})


urlpatterns = [
    path("v2/services.json", services, name="open311_services"),
    path("v2/requests.json", requests, name="open311_requests"),
]
