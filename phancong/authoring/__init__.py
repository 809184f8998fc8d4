"""Authoring plans: the plan as a workbook, and a first draft from the plan's own text."""
