"""The key of a flow, and the URL forms a replay compares.

A flow's key is built from what makes two tasks the same flow: the start URL normalized
(query parameters sorted, known trackers removed), the navigation goal with the payload's
values replaced by their keys, the payload's keys sorted, the extraction goal and schema,
and the planner's signature. A task may give its own key (``replay_key``) instead.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from skyvern_core.models import TaskRequest
from skyvern_core.replay.templates import payload_values, shown_payload, template

__all__ = [
    "TRACKING_PARAMETERS",
    "flow_key",
    "flow_material",
    "normalize_url",
    "payload_paths",
    "planner_signature",
    "url_pattern",
]

TRACKING_PARAMETERS = frozenset(
    {
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "fbclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref_src",
        "spm",
    }
)
"""Query parameters left out of a normalized URL (besides every ``utm_*``)."""

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Path segments that name one record (an id, a number, a hash) rather than a page.
_VOLATILE_SEGMENT = re.compile(
    r"^(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,}"
    r"|(?=[a-z0-9_-]*\d)[a-z0-9_-]{12,})$",
    re.IGNORECASE,
)


def _tracker(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("utm_") or lowered in TRACKING_PARAMETERS


def _netloc(parts: Any) -> str:
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host = f"{host}:{port}"
    return host


def normalize_url(url: str) -> str:
    """``url`` with its scheme and host in lower case, no default port, no fragment, the
    query parameters sorted and the known trackers removed."""
    parts = urlsplit(url.strip())
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _tracker(k)
    )
    return urlunsplit(
        (parts.scheme.lower(), _netloc(parts), parts.path or "/", urlencode(query), "")
    )


def url_pattern(url: str) -> str:
    """The pattern of a page's URL: normalized, with the query's values left out (its
    names kept) and path segments that name one record (numbers, ids) as ``*``."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https"):
        return parts.scheme.lower() + ":"
    segments = [
        "*" if _VOLATILE_SEGMENT.match(segment) else segment
        for segment in (parts.path or "/").split("/")
    ]
    names = sorted(
        {k for k, _ in parse_qsl(parts.query, keep_blank_values=True) if not _tracker(k)}
    )
    query = "&".join(names)
    return urlunsplit((parts.scheme.lower(), _netloc(parts), "/".join(segments) or "/", query, ""))


def planner_signature(planner: Any) -> str:
    """What a planner's decisions depend on, so that another planner records a flow of its
    own: its ``replay_signature`` attribute if it has one; for the LLM planner, its model
    and a digest of its prompt templates; else its class."""
    own = getattr(planner, "replay_signature", None)
    if isinstance(own, str) and own:
        return own
    from skyvern_core.planner.llm import LLMPlanner

    if isinstance(planner, LLMPlanner):
        source = planner.env.loader
        assert source is not None
        prompts = planner.system_prompt + source.get_source(planner.env, "decide.j2")[0]
        digest = hashlib.sha256(prompts.encode("utf-8")).hexdigest()[:12]
        return f"llm:{planner.settings.llm_model}:{digest}"
    cls = type(planner)
    return f"{cls.__module__}.{cls.__qualname__}"


def flow_material(request: TaskRequest, planner: str) -> dict[str, Any]:
    """What the key of the request's flow is built from (see the module docstring)."""
    values = payload_values(shown_payload(request.navigation_payload))
    return {
        "url": normalize_url(request.url),
        "goal": template(request.navigation_goal or "", values),
        "payload_keys": sorted(payload_paths(request.navigation_payload)),
        "extraction_goal": request.data_extraction_goal or "",
        "schema": request.extracted_information_schema,
        "planner": planner,
    }


def payload_paths(payload: Any, prefix: str = "") -> list[str]:
    """The paths of every leaf of the payload, booleans and empty values included."""
    if isinstance(payload, dict):
        if set(payload) in ({"$file"}, {"$secret"}):
            return [prefix]
        out: list[str] = []
        for key, value in payload.items():
            out += payload_paths(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(payload, list):
        return [k for i, v in enumerate(payload) for k in payload_paths(v, f"{prefix}[{i}]")]
    return [prefix] if prefix else []


def flow_key(request: TaskRequest, planner: str) -> str:
    """The key a task's replay entries are stored under: ``key:`` and the task's own
    ``replay_key``, or ``flow:`` and a digest of :func:`flow_material`."""
    if request.replay_key:
        return f"key:{request.replay_key}"
    material = json.dumps(flow_material(request, planner), sort_keys=True, ensure_ascii=False)
    return "flow:" + hashlib.sha256(material.encode("utf-8")).hexdigest()[:40]
