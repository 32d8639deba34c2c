import io

import pytest

from bdk_book.logs import Logger, format_value, parse_level


def test_one_line_per_event_key_value(log_stream):
    Logger(20, log_stream).info("webhook_handled", webhook_id="abc-1", status=200, processed=True, note=None)
    line = log_stream.getvalue()
    assert line.endswith("\n") and line.count("\n") == 1
    assert " level=info event=webhook_handled webhook_id=abc-1 status=200 processed=true note=-" in line
    assert line.startswith("ts=")


@pytest.mark.parametrize("value, shown", [
    ("plain", "plain"),
    ("two words", '"two words"'),
    ('forged" event=x', '"forged\\" event=x"'),
    ("a=b", '"a=b"'),
    ("line\nbreak", '"line\\nbreak"'),
    ("caf\u00e9", '"caf\\u00e9"'),
    ("", '""'),
])
def test_values_cannot_break_the_line_or_forge_keys(value, shown):
    assert format_value(value) == shown


def test_values_are_bounded():
    shown = format_value("x" * 1000)
    assert len(shown) < 300 and shown.endswith("...")


def test_level_filters_and_bind_adds_context():
    out = io.StringIO()
    log = Logger(parse_level("warn"), out).bind(book="support-desk")
    log.info("quiet")
    log.warn("loud", n=1)
    assert "quiet" not in out.getvalue()
    assert "event=loud book=support-desk n=1" in out.getvalue()


def test_unknown_level_names_the_variable():
    with pytest.raises(ValueError, match="LOG_LEVEL"):
        parse_level("verbose")
