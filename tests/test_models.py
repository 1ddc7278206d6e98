"""Models: request validation, the status lifecycle, IDs, settings."""

from __future__ import annotations

import itertools

import pytest
from pydantic import ValidationError

from skyvern_core import Settings
from skyvern_core.errors import InvalidTransitionError
from skyvern_core.ids import id_timestamp, new_id
from skyvern_core.models import (
    ProxyLocation,
    StepStatus,
    TaskRequest,
    TaskStatus,
    check_step_transition,
    check_task_transition,
)

LEGAL_TASK = {
    ("created", "queued"),
    ("created", "failed"),
    ("created", "canceled"),
    ("queued", "running"),
    ("queued", "failed"),
    ("queued", "canceled"),
    ("running", "completed"),
    ("running", "terminated"),
    ("running", "failed"),
    ("running", "canceled"),
    ("running", "queued"),
}
LEGAL_STEP = {
    ("created", "running"),
    ("created", "failed"),
    ("created", "canceled"),
    ("running", "completed"),
    ("running", "failed"),
    ("running", "canceled"),
}


@pytest.mark.parametrize(("cur", "new"), list(itertools.product(TaskStatus, TaskStatus)))
def test_every_task_transition(cur: TaskStatus, new: TaskStatus):
    if (cur.value, new.value) in LEGAL_TASK:
        check_task_transition(cur, new)
    else:
        with pytest.raises(InvalidTransitionError, match=f"from '{cur.value}' to '{new.value}'"):
            check_task_transition(cur, new)


@pytest.mark.parametrize(("cur", "new"), list(itertools.product(StepStatus, StepStatus)))
def test_every_step_transition(cur: StepStatus, new: StepStatus):
    if (cur.value, new.value) in LEGAL_STEP:
        check_step_transition(cur, new)
    else:
        with pytest.raises(InvalidTransitionError):
            check_step_transition(cur, new)


def test_final_statuses():
    assert {s for s in TaskStatus if s.is_final} == {
        TaskStatus.completed,
        TaskStatus.terminated,
        TaskStatus.failed,
        TaskStatus.canceled,
    }
    assert {s for s in TaskStatus if s.is_cancelable} == {
        TaskStatus.created,
        TaskStatus.queued,
        TaskStatus.running,
    }


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"url": "example.com"}, "url must be an absolute http or https URL"),
        ({"url": "file:///etc/passwd"}, "url must be an absolute http or https URL"),
        ({"webhook_callback_url": "ftp://x"}, "webhook_callback_url must be an absolute"),
        ({"totp_verification_url": "/relative"}, "totp_verification_url must be an absolute"),
        ({"proxy_location": "MOON"}, "proxy_location"),
        ({"extracted_information_schema": {"type": 12}}, "not a valid JSON Schema at type"),
        ({"extracted_information_schema": "{not json"}, "is not valid JSON"),
        ({"navigation_goal": None}, "a task needs a navigation_goal"),
        ({"max_steps": 0}, "max_steps"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_requests_name_the_field(fields: dict, message: str):
    base = {"url": "https://example.com", "navigation_goal": "do it"}
    with pytest.raises(ValidationError, match=message):
        TaskRequest(**{**base, **fields})


def test_request_accepts_the_spec_fields():
    request = TaskRequest(
        url="https://www.example.com",
        navigation_goal="Apply for a job",
        data_extraction_goal="Was the job application successful?",
        navigation_payload={"name": "Chris P. Bacon", "nested": {"a": [1, 2]}},
        webhook_callback_url="https://hooks.example.com/x",
        proxy_location="RESIDENTIAL_GB",
        extracted_information_schema='{"type": "object"}',
        totp_verification_url="https://mywebsite.com/two_factor_code",
        totp_identifier="myemail@example.com",
    )
    assert request.proxy_location is ProxyLocation.RESIDENTIAL_GB
    assert request.extracted_information_schema == {"type": "object"}
    assert ProxyLocation("US-CA").value == "US-CA"
    assert TaskRequest(url="https://a.b", navigation_goal="x").proxy_location is ProxyLocation.NONE


def test_ids_are_prefixed_unique_and_sortable():
    ids = [new_id("task") for _ in range(2000)]
    assert all(i.startswith("tsk_") and len(i) == 30 for i in ids)
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert new_id("step").startswith("stp_") and new_id("organization").startswith("o_")
    import time

    assert abs(id_timestamp(ids[0]) - time.time()) < 5


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SKYVERN_MAX_STEPS", "7")
    monkeypatch.setenv("SKYVERN_PLUGINS", "sqlite, local_artifacts")
    settings = Settings(max_retries=1)
    assert settings.max_steps == 7 and settings.max_retries == 1
    assert settings.plugins == ["sqlite", "local_artifacts"]
    monkeypatch.setenv("SKYVERN_MAX_STEPS", "zero")
    with pytest.raises(ValidationError, match="max_steps"):
        Settings()


def test_an_unknown_skyvern_variable_is_reported(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    monkeypatch.setenv("SKYVERN_MAX_STEP", "3")  # a typo of SKYVERN_MAX_STEPS
    with caplog.at_level("WARNING"):
        settings = Settings()
    assert settings.max_steps == 10
    assert "SKYVERN_MAX_STEP names no skyvern-core setting" in caplog.text


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"type": "string", "pattern": "(unclosed"}, "pattern at pattern that is not a valid"),
        (
            {"properties": {"code": {"pattern": "[z-a]"}}},
            "at properties/code/pattern that is not a valid regular expression",
        ),
        (
            {"patternProperties": {"^a": {}}, "unevaluatedProperties": False},
            "combines unevaluatedProperties with patternProperties",
        ),
    ],
)
def test_schema_patterns_that_cannot_be_run_are_refused(schema: dict, message: str):
    with pytest.raises(ValidationError, match=message):
        TaskRequest(url="https://a.b", navigation_goal="x", extracted_information_schema=schema)


def test_size_limits_apply_with_the_agents_limits_in_the_context():
    limits = Settings(max_goal_chars=10, max_schema_pattern_chars=5).input_limits
    data = {"url": "https://a.b", "navigation_goal": "x" * 11}
    assert TaskRequest.model_validate(data).navigation_goal == "x" * 11  # no limits given
    with pytest.raises(ValidationError, match="SKYVERN_MAX_GOAL_CHARS"):
        TaskRequest.model_validate(data, context={"limits": limits})
    schema = {"type": "string", "pattern": "abcdef"}
    with pytest.raises(ValidationError, match=r"limit is 5 \(SKYVERN_MAX_SCHEMA_PATTERN_CHARS"):
        TaskRequest.model_validate(
            {"url": "https://a.b", "navigation_goal": "x", "extracted_information_schema": schema},
            context={"limits": limits},
        )


def test_a_large_valid_extraction_is_not_failed_for_the_time_the_rest_of_the_check_takes():
    import time

    from skyvern_core.schemacheck import schema_errors

    fields = [f"field_{n}" for n in range(12)]
    item = {
        "type": "object",
        "properties": {
            "number": {"type": "string", "pattern": r"^BILL-\d+$"},
            **{name: {"type": "string", "minLength": 1, "maxLength": 40} for name in fields},
        },
        "required": ["number", *fields],
    }
    rows = [{"number": f"BILL-{n}", **{name: "Acme" for name in fields}} for n in range(2000)]
    started = time.monotonic()
    assert schema_errors(rows, {"type": "array", "items": item}, timeout=0.08) == []
    # The whole check takes longer than the patterns' budget; only the searches count.
    assert time.monotonic() - started > 0.08


def test_schema_errors_bound_the_time_of_patterns():
    import time

    from skyvern_core.schemacheck import schema_errors

    schema = {"type": "array", "items": {"type": "string", "pattern": "^(a|aa)+$"}}
    started = time.monotonic()
    problems = schema_errors(["a" * 40 + "!"] * 50, schema, timeout=0.2)
    # One budget for every match of the validation, not 0.2 s for each of the 50 values.
    assert time.monotonic() - started < 6
    assert problems == [
        "the pattern '^(a|aa)+$' ran out of time (0.2 s for every pattern of the schema "
        "together; it backtracks too much), so the extraction cannot be checked against it"
    ]
    pattern_schema = {
        "type": "object",
        "properties": {"id": {"type": "string"}},
        "patternProperties": {"^x_": {"type": "integer"}},
        "additionalProperties": False,
    }
    assert schema_errors({"id": "1", "x_a": 2}, pattern_schema) == []
    assert schema_errors({"id": "1", "x_a": "2", "other": 1}, pattern_schema) == [
        "at (root): 'other' do not match any of the regexes: '^x_'",
        "at x_a: '2' is not of type 'integer'",
    ]


@pytest.mark.parametrize("value", ["agent.example.com", "ftp://x.example", "https://a.b/?q=1"])
def test_public_base_url_must_be_an_absolute_http_url(value: str):
    with pytest.raises(ValidationError, match="public_base_url"):
        Settings(public_base_url=value)
    assert Settings(public_base_url="https://a.example/agent/").public_base_url == (
        "https://a.example/agent"
    )
