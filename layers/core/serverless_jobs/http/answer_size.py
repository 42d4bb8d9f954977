"""Answers that fit Lambda: JSON in UTF-8 as is, pages measured as Lambda will send them, cut to a budget.

Lambda refuses a function's response over 6 MB (API Gateway then answers 502 to every caller), counted on
the response as the runtime serializes the handler's return value: the proxy response as JSON, the body a
string inside it. The Python runtime's marshaller (aws-lambda-python-runtime-interface-client,
awslambdaric/lambda_runtime_marshaller.py) uses simplejson with `ensure_ascii=False` on python3.12 and later
(the template's runtime is python3.13): it escapes `"`, `\\` and U+0000..U+001F (as the standard library's
json does) and writes every other character as UTF-8. So the API answers UTF-8 unescaped too (`é` costs 2
bytes, not the 7 an ASCII-escaped body costs once escaped again), and a page counts each item's JSON as it
will be escaped again inside the proxy response.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any, Generic, TypeVar

from aws_lambda_powertools.shared.json_encoder import Encoder
from pydantic import BaseModel

T = TypeVar("T")

# Lambda's limit on a synchronous response, in bytes (6 MB; Lambda's own count is 6 MiB, the lower bound is
# kept as a margin).
LAMBDA_RESPONSE_LIMIT = 6_000_000
# Where a page stops taking items: the rest of the proxy response (status, headers, the envelope, nextToken,
# a bulk answer's totals) is a few KB, so a page at its budget is still about 1 MB under the limit.
PAGE_BUDGET = 5_000_000

_as_is = partial(json.dumps, separators=(",", ":"), cls=Encoder, ensure_ascii=False)
_escaped = partial(json.dumps, separators=(",", ":"), cls=Encoder)


def serialize(value: Any) -> str:
    """The API's serializer, for Powertools' resolver and for the pages built here alike: compact JSON, its
    text in UTF-8 as is; ASCII-escaped only if it holds a lone surrogate (a message echoing a request's
    `\\ud800`), which UTF-8 cannot carry and JSON's escape can."""
    text = _as_is(value)
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            return _escaped(value)
    return text


def lambda_bytes(text: str) -> int:
    """The bytes `text` (a body, or part of one) takes inside the proxy response as Lambda serializes it."""
    return len(json.dumps(text, ensure_ascii=False).encode()) - 2  # without the string's quotes


class PageBody(Generic[T]):
    """The items of one page as JSON texts, measured as they go in: `fits` takes an item while the page has
    room for it (the first whatever its size, so every page moves on); `text` is the answer's body."""

    def __init__(self, render: Callable[[T], BaseModel], budget: int = PAGE_BUDGET) -> None:
        self._render, self._budget = render, budget
        self._texts: list[str] = []
        self._size = 0

    def fits(self, item: T) -> bool:
        text = serialize(self._render(item).model_dump(mode="json"))
        size = lambda_bytes(text) + 1  # and its comma
        if self._texts and self._size + size > self._budget:
            return False
        self._texts.append(text)
        self._size += size
        return True

    def full(self, reserve: int) -> bool:
        """Whether the page has less than `reserve` bytes of its budget left."""
        return self._size > self._budget - reserve

    def text(self, field: str, **rest: Any) -> str:
        """The answer: `{field: [the items], **rest}`, as the API's serializer writes it."""
        more = "".join(f",{serialize(name)}:{serialize(value)}" for name, value in rest.items())
        return f"{{{serialize(field)}:[{','.join(self._texts)}]{more}}}"
