"""Managing webhook subscriptions: the service key only, secrets once, private targets refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from litestar.testing import AsyncTestClient

from ottoq.clock import ManualClock
from ottoq.settings import Settings
from ottoq.web.app import create_app
from tests.helpers import NASHVILLE_NORTH

HOOKS = "/functions/v1/ottoq-webhooks"
PUBLIC_URL = "http://93.184.216.34/hooks"  # an address literal: checked without DNS or traffic
ANON, SERVICE = "anon-key-for-tests", "service-key-for-tests"


@pytest.fixture
async def keyed(db_dsn: str, clock: ManualClock) -> AsyncIterator[AsyncTestClient]:
    settings = Settings(clock="manual", anon_key=ANON, service_key=SERVICE, allow_keyless=False)
    async with AsyncTestClient(app=create_app(settings, db_dsn, clock=clock)) as client:
        yield client


async def test_create_list_update_delete(client: AsyncTestClient) -> None:
    body = {
        "url": PUBLIC_URL,
        "event_types": ["JOB_SCHEDULED"],
        "depot_ids": [str(NASHVILLE_NORTH)],
    }
    created = await client.post(HOOKS, json=body)
    assert created.status_code == 201, created.text
    webhook = created.json()["webhook"]
    assert webhook["secret"].startswith("whsec_") and webhook["is_active"]

    listed = (await client.get(HOOKS)).json()["webhooks"]
    assert [w["id"] for w in listed] == [webhook["id"]]
    assert "secret" not in listed[0]
    shown = (await client.get(f"{HOOKS}/{webhook['id']}/")).json()["webhook"]
    assert "secret" not in shown and shown["event_types"] == ["JOB_SCHEDULED"]

    changed = await client.patch(
        f"{HOOKS}/{webhook['id']}", json={"event_types": [], "is_active": False}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["webhook"]["event_types"] == []
    assert changed.json()["webhook"]["disabled_reason"] == "switched off through the API"

    assert (await client.delete(f"{HOOKS}/{webhook['id']}")).status_code == 200
    assert (await client.get(f"{HOOKS}/{webhook['id']}")).status_code == 404
    assert (await client.delete(f"{HOOKS}/{webhook['id']}")).status_code == 404


async def test_bad_subscriptions_are_refused(client: AsyncTestClient) -> None:
    cases = [
        {"url": "ftp://93.184.216.34/x"},
        {"url": "not a url"},
        {"url": "http://user:pw@93.184.216.34/"},
        {"url": PUBLIC_URL, "depot_ids": [str(uuid4())]},
        {"url": PUBLIC_URL, "event_types": ["job created"]},
    ]
    for body in cases:
        response = await client.post(HOOKS, json=body)
        assert response.status_code in (400, 422), (body, response.text)
        assert "error" in response.json()
    assert (await client.get(f"{HOOKS}/not-a-uuid")).status_code == 404
    assert (await client.get(f"{HOOKS}/{uuid4()}/deliveries")).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
async def test_private_targets_are_refused_by_default(client: AsyncTestClient, url: str) -> None:
    response = await client.post(HOOKS, json={"url": url})
    assert response.status_code == 422, response.text
    assert "private or loopback" in response.json()["error"]


async def test_moving_a_subscription_to_a_private_target_is_refused(
    client: AsyncTestClient,
) -> None:
    webhook = (await client.post(HOOKS, json={"url": PUBLIC_URL})).json()["webhook"]
    moved = await client.patch(f"{HOOKS}/{webhook['id']}", json={"url": "http://127.0.0.1/"})
    assert moved.status_code == 422


async def test_anon_key_and_no_key_cannot_manage_webhooks(keyed: AsyncTestClient) -> None:
    anon = {"apikey": ANON}
    some_id = uuid4()
    calls = [
        ("GET", HOOKS, None),
        ("POST", HOOKS, {"url": PUBLIC_URL}),
        ("GET", f"{HOOKS}/{some_id}", None),
        ("PATCH", f"{HOOKS}/{some_id}", {"is_active": True}),
        ("DELETE", f"{HOOKS}/{some_id}", None),
        ("GET", f"{HOOKS}/{some_id}/deliveries", None),
    ]
    for method, path, body in calls:
        nobody = await keyed.request(method, path, json=body)
        assert nobody.status_code == 401, (method, path, nobody.text)
        reader = await keyed.request(method, path, json=body, headers=anon)
        assert reader.status_code == 403, (method, path, reader.text)

    service = {"Authorization": f"Bearer {SERVICE}"}
    created = await keyed.post(HOOKS, json={"url": PUBLIC_URL}, headers=service)
    assert created.status_code == 201
    assert (await keyed.get(HOOKS, headers=service)).status_code == 200
