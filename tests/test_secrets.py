"""Which payload keys are secrets, and how a secret's value is kept out of text for the model
and the records, whatever way the page writes it."""

from __future__ import annotations

import time

import pytest

from skyvern_core.models import Element, PageState, Step, Task, TaskRequest
from skyvern_core.protocols import PlanContext
from skyvern_core.secrets import is_secret_key, key_words, placeholder, redact, split_secrets

# The rule's table: the keys a user writes, and what they are. README.md and
# docs/python-api.md show the same table.
SECRET_KEYS = [
    "password",
    "Password",
    "account_password",
    "newPassword",
    "userpassword",
    "db-passwd",
    "pwd",
    "passcode",
    "passphrase",
    "secret",
    "client_secret",
    "clientSecret",
    "token",
    "access_token",
    "authToken",
    "refresh-token",
    "api_key",
    "apiKey",
    "APIKey",
    "api-key",
    "apikey",
    "access_key",
    "private_key",
    "pin",
    "card_pin",
    "pin_code",
    "cvv",
    "cvc",
    "cvv2",
    "card.cvv",
    "security_code",
    "securityCode",
    "ssn",
    "social_security_number",
    "socialSecurity",
    "otp",
    "totp",
    "otp_code",
    "totp_secret",
    "card_number",
    "cardNumber",
    "cardnumber",
    "card.number",
    "payment.card.number",
    "credit_card",
    "card_no",
    "iban",
    "bank.iban",
    "account_number",
    "accountNumber",
]
NOT_SECRET_KEYS = [
    "passenger_name",
    "passengers[0].name",
    "passport_country",
    "passport",
    "secretary",
    "tokens_used",
    "token_count",
    "token_type",
    "password_hint",
    "access_key_id",
    "pinterest_url",
    "spinner",
    "opinion",
    "shipping",
    "keyboard",
    "email",
    "name",
    "address.city",
    "account_type",
    "routing_number",
    "phone",
    "postal_code",
    "code_of_conduct_accepted",
]


@pytest.mark.parametrize("key", SECRET_KEYS)
def test_keys_that_name_a_secret(key: str) -> None:
    assert is_secret_key(key), (key, key_words(key))


@pytest.mark.parametrize("key", NOT_SECRET_KEYS)
def test_keys_that_do_not(key: str) -> None:
    assert not is_secret_key(key), (key, key_words(key))


def test_key_words_split_every_way_keys_are_written() -> None:
    assert key_words("card.cvvCode") == ["card", "cvv", "code"]
    assert key_words("APIKey") == ["api", "key"]
    assert key_words("social-security_number") == ["social", "security", "number"]
    assert key_words("items[2].cvv2") == ["items", "2", "cvv2"]


def test_the_docs_show_the_rule_as_it_is() -> None:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for page in (root / "README.md", root / "docs" / "python-api.md"):
        text = page.read_text()
        table = text.split("| a secret | not a secret |\n")[1].split("\n\n")[0]
        rows = re.findall(r"^\| (.*?) \| ?(.*?) ?\|$", table, re.M)
        assert len(rows) == len(table.strip().splitlines()) - 1, table
        secret = [k for row, _ in rows for k in re.findall(r"`([^`]+)`", row)]
        plain = [k for _, row in rows for k in re.findall(r"`([^`]+)`", row)]
        assert len(secret) > 20 and len(plain) > 15, page.name
        assert [k for k in secret if not is_secret_key(k)] == [], page.name
        assert [k for k in plain if is_secret_key(k)] == [], page.name
        for key in ("passenger_name", "passport_country", "secretary", "tokens_used", "iban"):
            assert f"`{key}`" in text, (page.name, key)


def test_split_secrets_keeps_other_values_and_skips_flags() -> None:
    shown, secrets = split_secrets(
        {
            "passenger_name": "Ada Lovelace",
            "passport_country": "GB",
            "tokens_used": 1200,
            "pin_required": True,
            "card": {"number": "4111 1111 1111 1111", "holder": "Ada"},
            "ssn": {"$secret": "123-45-6789"},
        }
    )
    assert shown == {
        "passenger_name": "Ada Lovelace",
        "passport_country": "GB",
        "tokens_used": 1200,
        "pin_required": True,
        "card": {"number": "{{secret:card.number}}", "holder": "Ada"},
        "ssn": "{{secret:ssn}}",
    }
    assert secrets == {"card.number": "4111 1111 1111 1111", "ssn": "123-45-6789"}


SECRETS = {
    "ssn": "123-45-6789",
    "card.number": "4111 1111 1111 1111",
    "phone": "+1 (555) 010-4477",
    "pin": "4821",
    "password": "hunter2",
}


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("SSN on file: 123456789.", "ssn"),
        ("SSN on file: 123 45 6789.", "ssn"),
        ("SSN on file: 123.45.6789.", "ssn"),
        ("SSN on file: 123-45-6789.", "ssn"),
        ("Card 4111111111111111 charged", "card.number"),
        ("Card 4111-1111-1111-1111 charged", "card.number"),
        ("Card 4111 1111 1111 1111 charged", "card.number"),
        ("Card 4111 \u2013 1111 \u2013 1111 \u2013 1111 charged", "card.number"),
        ("Call 1-555-010-4477 now", "phone"),
        ("Call +1 555.010.4477 now", "phone"),
        ("PIN 4 8 2 1 set", "pin"),
        ("Your password hunter2 is weak", "password"),
    ],
)
def test_a_secret_is_redacted_in_any_way_it_is_written(text: str, path: str) -> None:
    redacted = redact(text, SECRETS)
    assert placeholder(path) in redacted, redacted
    digits = "".join(ch for ch in SECRETS[path] if ch.isdigit())
    assert digits not in "".join(ch for ch in redacted if ch.isdigit()), redacted
    assert "hunter2" not in redacted


def test_other_numbers_are_left_alone_and_placeholders_are_not_rewritten() -> None:
    text = "Order 123-45-6780 of 12 items, total 4,821.00, code 1234"
    assert redact(text, {"ssn": "123-45-6789", "pin": "4821"}) == text
    # One pass: a placeholder just put in is never matched by another secret.
    assert redact("my secret", {"password": "secret", "other": "password"}) == (
        "my {{secret:password}}"
    )
    # A short value is not a secret to hunt for in text (it would be everywhere).
    assert redact("ab ab", {"x": "ab"}) == "ab ab"


def test_redaction_is_linear_in_the_text() -> None:
    # Worst cases for a pattern with separators: long runs of near misses.
    texts = [
        "1234567 " * 130_000,
        "1-2-3-4-5-6-7-8-" * 65_000,
        "4111 1111 1111 111" * 55_000,
    ]
    for text in texts:
        started = time.perf_counter()
        redact(text, SECRETS)
        assert time.perf_counter() - started < 2.0, text[:40]


def test_the_prompt_never_shows_a_secret_written_another_way() -> None:
    from skyvern_core.planner.llm import LLMPlanner
    from skyvern_core.testing import ScriptedLLM

    payload = {"name": "Ada", "ssn": "123-45-6789", "card_number": "4111 1111 1111 1111"}
    page = PageState(
        url="https://bank.test/confirm",
        title="Confirm",
        text="We have your SSN as 123 45 6789 and card 4111-1111-1111-1111.",
        elements=[
            Element(id="e1", role="textbox", label="SSN", value="123456789"),
            Element(id="e2", role="textbox", label="Card", value="4111.1111.1111.1111"),
        ],
    )
    task = Task(
        task_id="tsk_1",
        organization_id="o_1",
        request=TaskRequest(url=page.url, navigation_goal="Confirm", navigation_payload=payload),
        max_steps=10,
    )
    step = Step(step_id="stp_1", task_id=task.task_id, organization_id="o_1", order=0)
    secrets = split_secrets(payload)[1]
    context = PlanContext(task=task, page=page, history=[], step=step, secrets=secrets)
    user = LLMPlanner(ScriptedLLM()).decide_messages(context)[1].content
    digits = "".join(ch for ch in user if ch.isdigit())
    assert "123456789" not in digits and "4111111111111111" not in digits, user
    assert "{{secret:ssn}}" in user and "{{secret:card_number}}" in user
