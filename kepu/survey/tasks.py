"""Background work: scoring and estimation of a round."""

from django_tasks import task


@task()
def run_estimation(run_id: int) -> str:
    """Score the round's approved responses and estimate literacy by group (see ``services.estimation_execute``)."""
    from kepu.survey.services import estimation_execute

    return estimation_execute(run_id=run_id).status
