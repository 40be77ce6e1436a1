"""Activities, visit booking and check-in: the science calendar of the city (DOMAIN.md, workflow 2).

For other apps:

* services: ``activity_create``/``activity_submit``/``activity_review``/``activity_cancel``,
  ``registration_create`` (self, on behalf, groups), ``registration_cancel``,
  ``registration_accept_offer``, ``offers_expire`` (periodic task ``tasks.expire_offers``),
  ``check_in``, ``walk_in_record``, ``venue_create``/``venue_publish_slots`` (预约参观),
  ``delivered_service_record`` (what the orders receiver calls);
* selectors: ``public_activities(CalendarFilter)``, ``activity_for_visitor``,
  ``my_registrations``, ``figures`` and ``figures_by_activity`` (sessions, registrations,
  check-ins, person-times by population; delivered service orders included, never twice);
* the activity and registration machines (``workflow``) send ``kepu.core.workflow.transitioned``;
* listens to ``kepu.orders.signals.order_delivered`` (``receivers``).
"""
