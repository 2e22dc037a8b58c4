"""Polling net-snmp's snmpd: v2c, v3 USM, discovery, and keeping secrets secret."""

from __future__ import annotations

import asyncio
import logging

from collectors.client import DeviceUnreachableError, discover_interfaces, poll_once
from fonet.telemetry import DeviceTarget

from .conftest import SNMPD_COMMUNITY, V3_AUTH, V3_PRIV


def test_v2c_poll_reads_real_interfaces(snmpd):
    poll = poll_once([snmpd.v2c()], timeout_s=2)[0]
    assert poll.reachable and poll.error is None, poll.error
    assert poll.sys_uptime_cs is not None and poll.sys_uptime_cs >= 0
    lo = next(i for i in poll.interfaces if i.descr == "lo")
    assert lo.oper == "up" and lo.admin == "up"
    assert lo.counter_bits == 64 and lo.in_octets is not None and lo.in_octets >= 0
    assert lo.name == "lo" and lo.in_errors is not None


def test_v3_auth_priv_poll(snmpd):
    poll = poll_once([snmpd.v3()], timeout_s=2)[0]
    assert poll.reachable and poll.error is None, poll.error
    assert any(i.descr == "lo" for i in poll.interfaces)


def test_wrong_secrets_never_leak(snmpd, caplog):
    bad_v3 = snmpd.v3("v3-badkey", auth_key="wrong-auth-phrase-123", priv_key=V3_PRIV)
    bad_v2 = snmpd.v2c("v2-bad", community="secret-community-xyz")
    with caplog.at_level(logging.DEBUG):
        polls = poll_once([bad_v3, bad_v2, snmpd.v2c()], timeout_s=0.5, retries=0)
    assert [p.reachable for p in polls] == [False, False, True]
    secrets = ("wrong-auth-phrase-123", V3_PRIV, "secret-community-xyz", SNMPD_COMMUNITY,
               V3_AUTH)
    text = " ".join(p.error or "" for p in polls) + caplog.text
    text += " ".join(repr(t) + str(t) for t in (bad_v3, bad_v2, snmpd.v2c()))
    for secret in secrets:
        assert secret not in text
    assert polls[0].error.startswith("v3-badkey (127.0.0.1:")


def test_discover_interfaces(snmpd):
    found = asyncio.run(discover_interfaces(snmpd.v2c(), timeout_s=2))
    lo = next(i for i in found if i.name == "lo")
    assert lo.descr == "lo" and lo.if_index >= 1
    assert lo.oper is None and lo.in_octets is None  # discovery reads names only


def test_discover_unreachable_raises_clear_error():
    target = DeviceTarget("nobody", "127.0.0.1", 9, community="c")
    try:
        asyncio.run(discover_interfaces(target, timeout_s=0.3, retries=0))
    except DeviceUnreachableError as exc:
        assert str(exc).startswith("nobody (127.0.0.1:9): no valid SNMP answer")
    else:
        raise AssertionError("discovery of a dead agent must raise")
