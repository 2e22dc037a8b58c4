"""Fixtures of the API tests: a private copy of a planned regency store, and one token per role."""

from __future__ import annotations

import pytest

from tests.api import copy_store, make_tokens, planned_store


@pytest.fixture(scope="module")
def store(regency_db_file, tmp_path_factory, request):  # noqa: ANN001, ANN201
    """URL of a planned regency store private to the test module."""
    folder = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    return copy_store(planned_store(regency_db_file), folder)


@pytest.fixture(scope="module")
def tokens(store):  # noqa: ANN001, ANN201
    """One token per role: ``{"viewer": ..., "engineer": ..., "admin": ...}``."""
    return make_tokens(store)
