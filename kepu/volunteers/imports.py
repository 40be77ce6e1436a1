def import_run(job_id):
    raise NotImplementedError
