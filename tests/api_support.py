"""Helpers of the API v1 tests: a seller's key and a client that sends it."""

from __future__ import annotations

from typing import Any

from django.test import Client

from marketplace_core.api_keys.services import create_key


class KeyClient:
    """Django's test client sending ``Authorization: Bearer <token>`` with every request."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.client = Client()

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(headers or {})}

    def get(self, path: str, data: Any = None, **kwargs: Any) -> Any:
        return self.client.get(path, data, headers=self._headers(kwargs.pop("headers", None)),
                               **kwargs)

    def post(self, path: str, data: Any = None, *, json: bool = True, **kwargs: Any) -> Any:
        if json:
            kwargs.setdefault("content_type", "application/json")
        return self.client.post(path, data if data is not None else {},
                                headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def patch(self, path: str, data: Any, **kwargs: Any) -> Any:
        return self.client.patch(path, data, content_type="application/json",
                                 headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.client.delete(path, headers=self._headers(kwargs.pop("headers", None)),
                                  **kwargs)


def key_client(seller: Any, scope: str = "write") -> KeyClient:
    return KeyClient(create_key(seller, name="Test", scope=scope).token)
