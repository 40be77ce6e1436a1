"""Background work: Excel imports."""

from django_tasks import task


@task()
def run_import(job_id: int) -> None:
    from kepu.volunteers.imports import import_run

    import_run(job_id)
