"""SNMPv3 per device: one user name, keys per site, polled together by one client.

Real net-snmp agents (tests/collectors/conftest.py: ``v3_pair``, ``running_v3_snmpd``).

    site-a snmpd (engine ID A) --+
                                 +-- one SnmpClient, one event loop, one cycle
    site-b snmpd (engine ID B) --+
    both: user "fonetv3", SHA/AES, different keys
"""

from __future__ import annotations

import asyncio
import logging

from collectors.client import SnmpClient, poll_once
from fonet.telemetry import DeviceTarget

from .conftest import SITE_KEYS, V3_USER, running_v3_snmpd


async def _cycles(client: SnmpClient, targets, count: int):
    try:
        await client.prepare(targets)
        return [await client.poll(targets) for _ in range(count)]
    finally:
        client.close()


def test_same_user_different_keys_poll_in_one_cycle(v3_pair):
    a, b = v3_pair
    targets = [a.target("site-a"), b.target("site-b")]
    assert targets[0].v3_user == targets[1].v3_user == V3_USER
    client = SnmpClient(timeout_s=2, retries=1)
    cycles = asyncio.run(_cycles(client, targets, 3))
    for polls in cycles:
        assert [p.name for p in polls] == ["site-a", "site-b"]
        for p in polls:
            assert p.reachable and p.error is None, p.error
            assert any(i.descr == "lo" for i in p.interfaces)
    # `fonet poll --once` uses a fresh client per run: the same holds.
    polls = poll_once(targets, timeout_s=2, retries=1)
    assert all(p.reachable for p in polls), [p.error for p in polls]


def test_one_engine_serves_both_agents(v3_pair):
    a, b = v3_pair
    client = SnmpClient(timeout_s=2, retries=1)

    async def run():
        try:
            await client.prepare([a.target("site-a"), b.target("site-b")])
            polls = await client.poll([b.target("site-b"), a.target("site-a")])
            return polls, client.engines
        finally:
            client.close()

    polls, engines = asyncio.run(run())
    assert all(p.reachable for p in polls), [p.error for p in polls]
    assert engines == 1


def test_a_wrong_key_marks_only_its_device(v3_pair, caplog):
    a, b = v3_pair
    wrong = a.target("site-a-wrong", auth_key=SITE_KEYS["site-b"][0],
                     priv_key=SITE_KEYS["site-b"][1])
    with caplog.at_level(logging.DEBUG):
        polls = poll_once([a.target("site-a"), wrong, b.target("site-b")], timeout_s=1,
                          retries=0)
    assert [p.reachable for p in polls] == [True, False, True], [p.error for p in polls]
    assert polls[1].error.startswith("site-a-wrong (127.0.0.1:")
    text = caplog.text + " ".join(p.error or "" for p in polls)
    for keys in SITE_KEYS.values():
        for key in keys:
            assert key not in text


def test_cloned_engine_ids_with_different_keys(tmp_path):
    """Two agents configured with the same engine ID (cloned configs), same user, other keys.

    The USM table is keyed by (engine ID, user), so the client serves the second key set
    from a second engine in the same loop.
    """
    with running_v3_snmpd(tmp_path / "c1", V3_USER, "auth-clone-one-4a", "priv-clone-one-4a",
                          engine_id="fonet-cloned") as c1, \
            running_v3_snmpd(tmp_path / "c2", V3_USER, "auth-clone-two-9b",
                             "priv-clone-two-9b", engine_id="fonet-cloned") as c2:
        client = SnmpClient(timeout_s=2, retries=1)

        async def run():
            try:
                targets = [c1.target("clone-1"), c2.target("clone-2")]
                await client.prepare(targets)
                first = await client.poll(targets)
                second = await client.poll(targets)
                return first + second, client.engines
            finally:
                client.close()

        polls, engines = asyncio.run(run())
    assert all(p.reachable and p.error is None for p in polls), [p.error for p in polls]
    assert engines == 2


def test_v3_agents_answering_junk_mark_only_themselves(v3_pair, junk_servers):
    a, _ = v3_pair
    junk = [DeviceTarget(f"v3-{kind}", "127.0.0.1", server.port, v3_user=V3_USER,
                         auth_proto="SHA", auth_key=a.auth_key, priv_proto="AES",
                         priv_key=a.priv_key)
            for kind, server in junk_servers.items()]
    polls = poll_once([*junk, a.target("site-a")], timeout_s=0.5, retries=0)
    assert [p.reachable for p in polls] == [False, False, True], [p.error for p in polls]
    for poll in polls[:2]:
        assert poll.error.startswith(f"{poll.name} (127.0.0.1:")
        assert "no SNMPv3 engine ID discovered" in poll.error


def test_an_agent_with_a_new_engine_id_is_probed_again(tmp_path):
    """The agent behind an address is replaced (new engine ID, same user and keys): the
    client, still running, discovers the new ID instead of failing from then on."""
    keys = ("auth-replaced-1c2d", "priv-replaced-3e4f")
    client = SnmpClient(timeout_s=1, retries=0)
    loop = asyncio.new_event_loop()
    try:
        with running_v3_snmpd(tmp_path / "old", V3_USER, *keys, engine_id="fonet-old") as old:
            target = old.target("replaced")
            first = loop.run_until_complete(client.poll([target]))[0]
        assert first.reachable, first.error
        with running_v3_snmpd(tmp_path / "new", V3_USER, *keys, engine_id="fonet-new",
                              port=old.port):
            results = [loop.run_until_complete(client.poll([target]))[0] for _ in range(3)]
    finally:
        client.close()
        loop.close()
    assert results[-1].reachable, [r.error for r in results]
