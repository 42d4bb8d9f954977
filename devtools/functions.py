"""Loads each function's handler the way Lambda does: from its CodeUri folder, by its Handler string."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devtools.aws_calls import attributed
from devtools.template import function_spec

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def load_function_module(logical_id: str) -> Any:
    """The handler module, loaded once per process under its own name (typed Any: its attributes are its own).

    Loading it builds its `lambda_handler` from the environment, as Lambda's init phase does.
    """
    spec = function_spec(logical_id)
    name = spec.module
    if name in sys.modules:
        return sys.modules[name]
    module_spec = importlib.util.spec_from_file_location(name, spec.code_dir / f"{spec.module}.py")
    assert module_spec is not None
    assert module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    module_spec.loader.exec_module(module)
    return module


def build_function(logical_id: str, *args: Any, **kwargs: Any) -> LambdaHandler:
    """The function's handler from its module's `build(...)`, given these arguments.

    The AWS calls made while it runs count as this function's (devtools.aws_calls), so the tests can check
    them against the function's deployed role.
    """
    handler: LambdaHandler = load_function_module(logical_id).build(*args, **kwargs)
    return attributed(logical_id, handler)


@dataclass
class FakeLambdaContext:
    """The attributes of Lambda's context object that Powertools and the functions read."""

    function_name: str = "test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    remaining_millis: int = 30_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis
