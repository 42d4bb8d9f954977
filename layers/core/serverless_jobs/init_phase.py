"""Lambda's init phase without the garbage collector, which there costs time and frees nothing.

Loading a function (Powertools, pydantic, botocore and its service data, the handler's own build) makes
hundreds of thousands of objects that live as long as the function. CPython's collector runs over them
again and again while they are made: 40-80 ms of each function's cold start (bench.cold_start), nearly
all of it wasted. So each function module turns collection off before its first import (`gc.disable()`,
the one statement above its imports) and calls `init_done()` once its handler is built.
"""

from __future__ import annotations

import gc


def init_done() -> None:
    """Collection back on, for what requests allocate; what init made is moved out of its sight for good.

    `gc.freeze` keeps the first full collection (in the first request, or any later one) from walking every
    object init made, which would cost again what turning it off saved. A cycle left as garbage by init
    stays in memory: it would have been one among the objects that live as long as the function anyway.
    """
    gc.freeze()
    gc.enable()
