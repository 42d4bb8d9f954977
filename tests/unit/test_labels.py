"""Label rules: what a key, a value and a selector may be, and that a selector splits at its only `=`."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from serverless_jobs.domain.errors import InvalidInput
from serverless_jobs.domain.labels import KEY_PATTERN, VALUE_PATTERN, Label, check_labels, parse_selector

keys = st.from_regex(re.compile(KEY_PATTERN), fullmatch=True)
values = st.from_regex(re.compile(VALUE_PATTERN), fullmatch=True)


@given(keys, values)
def test_every_valid_label_reads_back_from_its_selector(key: str, value: str) -> None:
    assert check_labels({key: value}) == {key: value}
    assert parse_selector(Label(key, value).text()) == Label(key, value)


@pytest.mark.parametrize("text", ["team", "team=a=b", "team =a", "team=a+b", "team=a&b", "tëam=a", "team=\n"])
def test_a_selector_that_is_not_one_label_is_refused_naming_label(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"^label: "):
        parse_selector(text)


def test_a_label_is_carried_only_with_its_exact_value() -> None:
    label = Label("team", "billing")
    assert label.on({"team": "billing", "env": "prod"})
    assert not label.on({"team": "Billing"})
    assert not label.on({"Team": "billing"})
    assert not label.on({})
