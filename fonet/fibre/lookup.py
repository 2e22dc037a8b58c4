"""Finding the objects of the fibre layer (and the links they carry) by code, name or id."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from fonet.errors import NotFoundError
from fonet.store.fibre import Closure, FibreCable, Odf
from fonet.store.models import Link

T = TypeVar("T")


def find_by_key(session: Session, model: type[T], key: InstrumentedAttribute[Any],
                ref: str | int, what: str) -> T:
    """Return the ``model`` row whose ``key`` column is ``ref``, else the one with id ``ref``.

    Raises
    ------
    NotFoundError
        Neither exists; the message names ``what`` and ``ref``.
    """
    obj = session.scalar(select(model).where(key == str(ref)))
    if obj is None and str(ref).isascii() and str(ref).isdigit():  # not "²"
        obj = session.get(model, int(ref))
    if obj is None:
        raise NotFoundError(f"no {what} {ref!r}")
    return obj


def find_link(session: Session, ref: str | int) -> Link:
    """Return a link by name or id; :class:`NotFoundError` if there is none."""
    return find_by_key(session, Link, Link.name, ref, "link named")


def find_cable(session: Session, ref: str | int) -> FibreCable:
    """Return a cable by code or id; :class:`NotFoundError` if there is none."""
    return find_by_key(session, FibreCable, FibreCable.code, ref, "cable")


def find_closure(session: Session, ref: str | int) -> Closure:
    """Return a closure by code or id; :class:`NotFoundError` if there is none."""
    return find_by_key(session, Closure, Closure.code, ref, "closure")


def find_odf(session: Session, ref: str | int) -> Odf:
    """Return an ODF by code or id; :class:`NotFoundError` if there is none."""
    return find_by_key(session, Odf, Odf.code, ref, "ODF")
