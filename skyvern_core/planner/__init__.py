"""The planners: the LLM planner (prompts from templates, structured decisions, schema-held
extraction) and the offline planner (deterministic rules, no model)."""

from __future__ import annotations

from skyvern_core.planner.llm import DECISION_SCHEMA, LLMPlanner, parse_decision
from skyvern_core.planner.offline import OfflinePlanner

__all__ = ["DECISION_SCHEMA", "LLMPlanner", "OfflinePlanner", "parse_decision"]
