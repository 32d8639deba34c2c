import io

import pytest

from bdk_book.credentials import Credentials
from bdk_book.logs import Logger
from bdk_book.settings import Settings


@pytest.fixture
def log_stream():
    return io.StringIO()


@pytest.fixture
def log(log_stream):
    return Logger(10, log_stream)


@pytest.fixture
def secrets(tmp_path):
    """A credentials directory laid out as Kubernetes mounts a Secret (symlinks into ..data)."""
    directory = tmp_path / "secrets"
    data = directory / "..2026_01_01_00_00_00.000000001"
    data.mkdir(parents=True)
    (data / "zendesk_api_key").write_text("zd-secret-value-123")
    (data / "slack_bot_token").write_text("xoxb-secret-456\n")
    (directory / "..data").symlink_to(data.name)
    for name in ("zendesk_api_key", "slack_bot_token"):
        (directory / name).symlink_to(f"..data/{name}")
    return directory


@pytest.fixture
def single_env(secrets):
    return {
        "BOOK_TYPE": "support-desk",
        "BOOK_VERSION": "1.0.0",
        "BDK_DEPLOYMENT_TYPE": "primary",
        "PORT": "8080",
        "SECRETS_DIR": str(secrets),
        "CUSTOMER_ID": "acme-corp",
        "LOG_LEVEL": "debug",
        "ENVIRONMENT": "production",
        "BDK_INSTANCE": "support-desk-b833beea",
        "BDK_INSTANCE_ID": "b833beea-0000-4000-8000-000000000001",
        "BOOK_CUSTOM_SETTINGS": '{"escalation_threshold":24,"max_tickets_per_hour":100}',
    }


@pytest.fixture
def single_settings(single_env):
    return Settings.from_env(single_env)


def credentials_of(settings: Settings) -> Credentials:
    return settings.single_tenant.credentials
