"""What a long-running web process does once, after Django is set up and before its first request."""

from __future__ import annotations

import gc


def settle() -> None:
    """Load what every request needs, then take everything loaded so far out of the garbage collector's sight.

    A full collection walks every tracked object the process holds. After start-up that is a quarter of a million
    (models, URL patterns, templates' nodes, translations) that live as long as the process, and walking them cost
    a request 110-150 ms about once in sixteen on the leaders' page (bench/leaders/README.md). ``gc.freeze()``
    moves them to a generation the collector never scans; objects made later are collected as before.
    """
    from django.urls import get_resolver

    from kepu.core import search

    get_resolver().url_patterns  # noqa: B018 - imports every app's views and URL patterns now
    search.warm()
    gc.collect()  # what start-up left as garbage goes now, not frozen with the rest
    gc.freeze()
