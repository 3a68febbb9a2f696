"""Driving Debian's Chromium with Playwright against a live OTTO-Q (never a downloaded browser)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

# The machine is small and shared: allow a page this long to show what a test waits for.
WAIT_MS = 20_000
expect.set_options(timeout=WAIT_MS)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
F = "/functions/v1"


@contextmanager
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def open_page(browser: Browser, url: str, viewport: ViewportSize = DESKTOP) -> Iterator[Page]:
    """A fresh tab (its own sessionStorage) on `url`; page errors fail the test at the end."""
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(url)
        yield page
    finally:
        context.close()
    assert errors == [], errors


class Api:
    """The HTTP API of the server under test, as another client would call it."""

    def __init__(self, base: str, key: str | None = None) -> None:
        headers = {"apikey": key} if key else {}
        self.http = httpx.Client(base_url=base, headers=headers, timeout=30)

    def get(self, path: str) -> Any:
        response = self.http.get(f"{F}/{path}")
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: dict[str, Any], expect: int = 200) -> Any:
        response = self.http.post(f"{F}/{path}", json=body)
        assert response.status_code == expect, response.text
        return response.json()

    def request_job(self, ref: str, job_type: str, depot: Any, **extra: Any) -> dict[str, Any]:
        body = {"vehicle_id": ref, "job_type": job_type, "preferred_depot_id": str(depot), **extra}
        job: dict[str, Any] = self.post("ottoq-jobs-request", body, expect=201)["job"]
        return job

    def arrive(self, ref: str) -> None:
        self.post("ottoq-vehicles-arrive", {"vehicle_id": ref})

    def tick(self) -> dict[str, Any]:
        summary: dict[str, Any] = self.post("ottoq-scheduler", {})
        return summary

    def has_route(self, path: str) -> bool:
        """Whether the server has this route at all, from its OpenAPI document."""
        paths = self.http.get("/openapi.json").json().get("paths", {})
        return path in paths

    def close(self) -> None:
        self.http.close()
