"""Your job handlers: drop a module in this package and decorate its functions with `@handler("name")`.

Every module here is imported the first time a handler is looked up (by the API to validate a name, by the
executor to run one), so a new module needs no registration anywhere else. `examples` holds the built-in
handlers every stack has: echo, fail, sleep and flaky.
"""
