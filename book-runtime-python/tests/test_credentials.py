import pytest

from bdk_book.credentials import Credentials, MissingCredential


def test_reads_each_credential_file_exactly(secrets):
    c = Credentials(secrets)
    assert c["zendesk_api_key"] == "zd-secret-value-123"
    assert c["slack_bot_token"] == "xoxb-secret-456\n"  # exactly the Secret's value
    assert c.read_bytes("zendesk_api_key") == b"zd-secret-value-123"


def test_lists_credentials_but_not_kubernetes_bookkeeping(secrets):
    assert list(Credentials(secrets)) == ["slack_bot_token", "zendesk_api_key"]
    assert len(Credentials(secrets)) == 2


def test_a_rotation_is_seen_on_the_next_read(secrets):
    c = Credentials(secrets)
    new = secrets / "..2026_02_01_00_00_00.000000002"
    new.mkdir()
    (new / "zendesk_api_key").write_text("rotated")
    (new / "slack_bot_token").write_text("rotated-too")
    tmp = secrets / "..data_tmp"
    tmp.symlink_to(new.name)
    tmp.replace(secrets / "..data")  # Kubernetes' atomic swap
    assert c["zendesk_api_key"] == "rotated"


def test_values_never_show_in_repr_or_str(secrets):
    c = Credentials(secrets)
    for text in (repr(c), str(c)):
        assert "zd-secret-value-123" not in text and "xoxb" not in text
        assert "zendesk_api_key" in text


def test_a_missing_credential_names_it_and_what_exists(secrets):
    with pytest.raises(MissingCredential) as e:
        Credentials(secrets)["github_token"]
    assert "no credential 'github_token'" in str(e.value)
    assert "slack_bot_token, zendesk_api_key" in str(e.value)
    assert isinstance(e.value, KeyError)
    assert Credentials(secrets).get("github_token") is None


@pytest.mark.parametrize("name", ["../etc/passwd", "..data", "/etc/passwd", "", "a/b"])
def test_names_cannot_leave_the_directory(secrets, name):
    with pytest.raises(MissingCredential) as e:
        Credentials(secrets)[name]
    assert "is not a valid Secret key" in str(e.value)


def test_an_absent_directory_has_no_credentials(tmp_path):
    c = Credentials(tmp_path / "nowhere")
    assert list(c) == [] and c.get("x") is None
