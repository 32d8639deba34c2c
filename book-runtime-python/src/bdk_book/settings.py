"""What the book-controller tells a book container, read from its environment once at start.

A single-tenant workload (deployment type primary or secondary) gets ``BOOK_TYPE``,
``BOOK_VERSION``, ``BDK_DEPLOYMENT_TYPE``, ``PORT``, ``SECRETS_DIR``, ``CUSTOMER_ID``,
``LOG_LEVEL``, ``ENVIRONMENT``, ``BDK_INSTANCE``, ``BDK_INSTANCE_ID`` and
``BOOK_CUSTOM_SETTINGS`` (a JSON object). A shared workload gets ``BDK_TENANTS`` instead: a JSON
object from instance name to that tenant's ``instance_id``, ``customer_id``, ``log_level``,
``environment``, ``custom_settings`` and ``secrets_dir``. See docs/book-contract.md.

Anything malformed is refused at start with a message naming the variable.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .credentials import Credentials
from .logs import parse_level

DEFAULT_PORT = 8080
DEFAULT_SECRETS_DIR = "/secrets"


class SettingsError(ValueError):
    """A variable of the book's environment is malformed; the message names it."""


@dataclass(frozen=True)
class Tenant:
    """The customer instance a webhook is for: who, with which settings and credentials."""

    instance: str | None
    instance_id: str | None
    customer_id: str | None
    log_level: str
    environment: str | None
    custom_settings: Mapping[str, Any]
    credentials: Credentials = field(repr=True)


@dataclass(frozen=True)
class Settings:
    book_type: str | None
    book_version: str | None
    deployment_type: str | None
    host: str
    port: int
    log_level: str
    shared: bool
    tenants: Mapping[str, Tenant]
    drain_seconds: float
    grace_seconds: float
    max_body_bytes: int

    @property
    def single_tenant(self) -> Tenant | None:
        return None if self.shared else next(iter(self.tenants.values()), None)

    def tenant_for(self, instance_header: str | None) -> Tenant | None:
        """The tenant an ``x-bdk-instance`` header (``<customer-namespace>/<instance>``) names.

        A single-tenant workload serves its one tenant whatever the header says (the gateway
        routes only its own instance's webhooks to it); a shared workload needs the header.
        """
        if not self.shared:
            return self.single_tenant
        if not instance_header:
            return None
        name = instance_header.rsplit("/", 1)[-1]
        return self.tenants.get(name)

    @staticmethod
    def from_env(env: Mapping[str, str]) -> "Settings":
        log_level = env.get("LOG_LEVEL") or "info"
        try:
            parse_level(log_level)
        except ValueError as e:
            raise SettingsError(str(e)) from None
        secrets_dir = env.get("SECRETS_DIR") or DEFAULT_SECRETS_DIR
        tenants_json = env.get("BDK_TENANTS")
        if tenants_json:
            tenants = _tenants(tenants_json, secrets_dir)
            shared = True
        else:
            instance = env.get("BDK_INSTANCE") or None
            tenant = Tenant(
                instance=instance,
                instance_id=env.get("BDK_INSTANCE_ID") or None,
                customer_id=env.get("CUSTOMER_ID") or None,
                log_level=log_level,
                environment=env.get("ENVIRONMENT") or None,
                custom_settings=_json_object("BOOK_CUSTOM_SETTINGS", env.get("BOOK_CUSTOM_SETTINGS")),
                credentials=Credentials(secrets_dir),
            )
            tenants = {instance or "": tenant}
            shared = False
        return Settings(
            book_type=env.get("BOOK_TYPE") or None,
            book_version=env.get("BOOK_VERSION") or None,
            deployment_type=env.get("BDK_DEPLOYMENT_TYPE") or None,
            host=env.get("HOST") or "0.0.0.0",
            port=_port(env.get("PORT")),
            log_level=log_level,
            shared=shared,
            tenants=tenants,
            drain_seconds=_seconds("BDK_SHUTDOWN_DRAIN_SECONDS", env.get("BDK_SHUTDOWN_DRAIN_SECONDS"), 3.0),
            grace_seconds=_seconds("BDK_SHUTDOWN_GRACE_SECONDS", env.get("BDK_SHUTDOWN_GRACE_SECONDS"), 20.0),
            max_body_bytes=_positive_int("BDK_MAX_BODY_BYTES", env.get("BDK_MAX_BODY_BYTES"), 8 * 1024 * 1024),
        )


def _port(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_PORT
    try:
        port = int(value)
    except ValueError:
        raise SettingsError(f"PORT: must be a port number 0-65535; got {value!r}") from None
    if not 0 <= port <= 65535:
        raise SettingsError(f"PORT: must be a port number 0-65535; got {value!r}")
    return port


def _seconds(name: str, value: str | None, default: float) -> float:
    if value is None or value == "":
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise SettingsError(f"{name}: must be a number of seconds >= 0; got {value!r}") from None
    if not seconds >= 0:
        raise SettingsError(f"{name}: must be a number of seconds >= 0; got {value!r}")
    return seconds


def _positive_int(name: str, value: str | None, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name}: must be a positive integer; got {value!r}") from None
    if number <= 0:
        raise SettingsError(f"{name}: must be a positive integer; got {value!r}")
    return number


def _json_object(name: str, value: str | None) -> Mapping[str, Any]:
    if value is None or value == "":
        return {}
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as e:
        raise SettingsError(f"{name}: must be a JSON object; {e.msg} at character {e.pos}") from None
    if not isinstance(parsed, dict):
        raise SettingsError(f"{name}: must be a JSON object; got a JSON {type(parsed).__name__}")
    return parsed


def _tenants(value: str, secrets_dir: str) -> dict[str, Tenant]:
    raw = _json_object("BDK_TENANTS", value)
    tenants: dict[str, Tenant] = {}
    for name, t in raw.items():
        where = f"BDK_TENANTS[{name!r}]"
        if not isinstance(t, dict):
            raise SettingsError(f"{where}: must be a JSON object")
        settings = t.get("custom_settings") or {}
        if not isinstance(settings, dict):
            raise SettingsError(f"{where}.custom_settings: must be a JSON object")
        level = t.get("log_level") or "info"
        try:
            parse_level(level)
        except ValueError:
            raise SettingsError(f"{where}.log_level: must be one of debug, info, warn, error; got {level!r}") from None
        tenants[name] = Tenant(
            instance=name,
            instance_id=t.get("instance_id"),
            customer_id=t.get("customer_id"),
            log_level=level,
            environment=t.get("environment"),
            custom_settings=settings,
            credentials=Credentials(t.get("secrets_dir") or f"{secrets_dir}/{name}"),
        )
    return tenants
