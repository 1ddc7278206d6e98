"""The LLM planner: prompts from templates, structured decisions, schema-held extraction."""

from __future__ import annotations

from skyvern_core.planner.llm import DECISION_SCHEMA, LLMPlanner, parse_decision

__all__ = ["DECISION_SCHEMA", "LLMPlanner", "parse_decision"]
