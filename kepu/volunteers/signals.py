"""Signals the volunteers app sends (sent after the transaction commits)."""

from django.dispatch import Signal

#: Hours entered the ledger. ``entry``: the new ``HoursEntry`` (a correction has ``corrects`` set).
hours_credited = Signal()

#: A volunteer's total crossed a star threshold (100/300/600/1000/1500 h). ``volunteer``, ``stars`` (0-5).
star_level_changed = Signal()

#: An expert was invited to an order or an activity. ``invitation``: the ``ExpertInvitation``
#: (``target`` is "order" or "activity", ``target_id`` its number).
expert_invited = Signal()
