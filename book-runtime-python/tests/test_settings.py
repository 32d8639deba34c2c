import json

import pytest

from bdk_book.settings import Settings, SettingsError


def test_single_tenant_environment_as_the_controller_sets_it(single_settings, secrets):
    s = single_settings
    assert (s.book_type, s.book_version, s.deployment_type) == ("support-desk", "1.0.0", "primary")
    assert s.port == 8080 and s.host == "0.0.0.0" and not s.shared
    t = s.single_tenant
    assert t.instance == "support-desk-b833beea"
    assert t.instance_id == "b833beea-0000-4000-8000-000000000001"
    assert t.customer_id == "acme-corp"
    assert t.environment == "production"
    assert t.log_level == "debug"
    assert t.custom_settings == {"escalation_threshold": 24, "max_tickets_per_hour": 100}
    assert t.credentials.directory == secrets
    # A single-tenant book serves its tenant whatever x-bdk-instance says.
    assert s.tenant_for(None) is t and s.tenant_for("customer-acme/other") is t


def test_defaults_when_the_environment_is_empty():
    s = Settings.from_env({})
    assert s.port == 8080 and s.log_level == "info" and s.book_type is None
    assert s.single_tenant.credentials.directory.as_posix() == "/secrets"
    assert s.single_tenant.custom_settings == {}
    assert (s.drain_seconds, s.grace_seconds, s.max_body_bytes) == (3.0, 20.0, 8 * 1024 * 1024)


def test_shared_workload_reads_each_tenant_from_bdk_tenants(tmp_path):
    tenants = {
        "acme-support": {"instance_id": "i-1", "customer_id": "acme", "log_level": "info",
                         "environment": "production", "custom_settings": {"a": 1},
                         "secrets_dir": "/secrets/acme-support"},
        "globex-support": {"instance_id": "i-2", "customer_id": "globex", "log_level": "warn",
                           "environment": None, "custom_settings": {}, "secrets_dir": "/secrets/globex-support"},
    }
    s = Settings.from_env({"BDK_TENANTS": json.dumps(tenants), "BDK_DEPLOYMENT_TYPE": "shared", "LOG_LEVEL": "info"})
    assert s.shared and s.single_tenant is None
    assert s.tenant_for("customer-acme/acme-support").customer_id == "acme"
    assert s.tenant_for("customer-globex/globex-support").credentials.directory.as_posix() == "/secrets/globex-support"
    assert s.tenant_for("customer-acme/nobody") is None
    assert s.tenant_for(None) is None


@pytest.mark.parametrize("env, message", [
    ({"PORT": "http"}, "PORT: must be a port number 0-65535; got 'http'"),
    ({"PORT": "70000"}, "PORT: must be a port number"),
    ({"LOG_LEVEL": "loud"}, "LOG_LEVEL: must be one of debug, info, warn, error; got 'loud'"),
    ({"BOOK_CUSTOM_SETTINGS": "{not json"}, "BOOK_CUSTOM_SETTINGS: must be a JSON object"),
    ({"BOOK_CUSTOM_SETTINGS": "[1, 2]"}, "BOOK_CUSTOM_SETTINGS: must be a JSON object; got a JSON list"),
    ({"BDK_TENANTS": '{"a": 1}'}, "BDK_TENANTS['a']: must be a JSON object"),
    ({"BDK_TENANTS": '{"a": {"custom_settings": 3}}'}, "BDK_TENANTS['a'].custom_settings: must be a JSON object"),
    ({"BDK_TENANTS": '{"a": {"log_level": "x"}}'}, "BDK_TENANTS['a'].log_level"),
    ({"BDK_SHUTDOWN_DRAIN_SECONDS": "-1"}, "BDK_SHUTDOWN_DRAIN_SECONDS: must be a number of seconds >= 0"),
    ({"BDK_MAX_BODY_BYTES": "0"}, "BDK_MAX_BODY_BYTES: must be a positive integer"),
])
def test_a_malformed_variable_is_refused_naming_it(env, message):
    with pytest.raises(SettingsError) as e:
        Settings.from_env(env)
    assert message in str(e.value)
