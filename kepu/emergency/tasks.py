"""Background work: the fan-out of an event (steps shared by several workers, elderly first; SMS and WeChat in
channel tasks), fast-track reviews past their deadline, packs past
their review date, and calls of the expert team that went unanswered."""

from django_tasks import task

from kepu.core.scheduler import every


@task()
def fan_out(event_id: int) -> None:
    from kepu.emergency.services import fan_out_run

    fan_out_run(event_id)


@task()
def fan_out_work(event_id: int) -> int:
    """One of the workers sharing an event's fan-out steps (elderly first)."""
    from kepu.emergency.services import fan_out_work_run

    return fan_out_work_run(event_id)


@every(minutes=1)
@task()
def emergency_calls_check() -> int:
    """An expert who did not accept in time is passed over: the next of the team is called."""
    from kepu.emergency.services import calls_check

    return calls_check()


@every(minutes=1)
@task()
def emergency_fast_tracks_check() -> int:
    """A fast-track review not decided within two hours goes to the next expert of the team; the office is told."""
    from kepu.emergency.services import fast_tracks_check

    return fast_tracks_check()


@every(hours=1)
@task()
def emergency_packs_expire() -> int:
    from kepu.emergency.services import packs_expire

    return packs_expire()


@task()
def fan_out_channels(event_place_id: int, wave: int) -> int:
    """SMS and WeChat for the deliveries one statement of the fan-out wrote (queued rows, in batches)."""
    from kepu.emergency.services import channels_run

    return channels_run(event_place_id, wave)
