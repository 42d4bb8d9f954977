"""serverless-jobs core: schedules, the job store, the run protocol and the handler registry.

Nothing here knows about API Gateway; the functions under functions/ parse their events and call in.
"""
