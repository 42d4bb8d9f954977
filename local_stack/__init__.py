"""The local stack: the functions of template.yaml in one process over moto (`make dev`).

The same function code runs as on AWS; only the invoker (a worker pool instead of Lambda async invoke)
and the tick's trigger (a loop instead of EventBridge) differ. The tests reuse its template reader.
"""
