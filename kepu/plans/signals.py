"""Signals of the plans app, sent after the transaction that caused them commits."""

from django.dispatch import Signal

#: A plan was published from an import draft. Arguments: ``plan`` (Plan), ``actor`` (Actor).
plan_published = Signal()

#: A unit reported progress on a task. Arguments: ``report`` (ProgressReport), ``actor`` (Actor).
progress_reported = Signal()
