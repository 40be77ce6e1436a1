"""Plans' view of the measure registry, which lives in ``kepu.core.measures`` (shared with statistics).

Kept importable so that callers of ``kepu.plans.measures`` go on working: everything the registry
offers is re-exported here. Every app registers its own figures with ``kepu.core.measures.register_measure``
(people registered: accounts; organizations: orgs; activities held, person-times, orders completed, trainings
and the others: their apps); plans registers the population filter its targets offer.
"""

from __future__ import annotations

from kepu.core.measures import (  # noqa: F401 - re-exported for the callers of kepu.plans.measures
    Figure,
    Measure,
    Record,
    RecordList,
    SharedRecord,
    compute_measure,
    filter_options,
    get_measure,
    measure_figures,
    measure_records,
    measure_records_url,
    measures,
    put_measure,
    register_filter_options,
    register_measure,
    unregister_measure,
)


def register_foundation_measures() -> None:

    from kepu.core.populations import Population

    register_filter_options("population", lambda: [(str(v), str(label)) for v, label in Population.choices])
