"""Replaying an image: what it was made with, what runs here for each setting, and why.

``build_plan(read(path), backend="local")`` -> ``ReplayPlan`` (no generation); ``plan.params`` is
what a backend then runs. Light at import: stdlib and promptlab's core only.
"""

from promptlab.replay.model_step import ServerInventory
from promptlab.replay.plan import Character, PlanItem, ReplayPlan, Status, build_plan, plan_json

__all__ = ["Character", "PlanItem", "ReplayPlan", "ServerInventory", "Status", "build_plan", "plan_json"]
