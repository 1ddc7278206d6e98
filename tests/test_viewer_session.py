"""The viewer's signed session cookie and CSRF tokens, without a browser."""

from __future__ import annotations

import time

from skyvern_core.asgi.ui import Sessions


def test_a_session_reads_back_only_as_signed_and_before_it_expires():
    sessions = Sessions(b"k" * 32, ttl=60)
    session = sessions.new("org_1", "hash")
    value = sessions.dump(session)
    assert sessions.load(value) == session
    body, mac = value.split(".")
    # Another organization written into the body breaks the signature.
    forged = body[:-2] + ("AA" if body[-2:] != "AA" else "BB")
    assert sessions.load(f"{forged}.{mac}") is None
    assert sessions.load(value + "x") is None
    assert sessions.load("") is None and sessions.load(None) is None
    # Another key, or a later time, refuses it.
    assert Sessions(b"j" * 32, ttl=60).load(value) is None
    assert sessions.load(value, now=time.time() + 61) is None


def test_csrf_tokens_belong_to_one_session():
    sessions = Sessions(b"k" * 32, ttl=60)
    one, two = sessions.new(), sessions.new()
    assert one.session_id != two.session_id
    token = sessions.csrf_token(one)
    assert sessions.csrf_ok(one, token)
    assert not sessions.csrf_ok(two, token)
    assert not sessions.csrf_ok(one, None) and not sessions.csrf_ok(one, "")
    assert not sessions.csrf_ok(one, "é" + token[1:])
    # A cookie value never passes for a token, nor the other way round.
    assert not sessions.csrf_ok(one, sessions.dump(one))
    assert sessions.load(token) is None
