"""Renderers: functions of a Report (or of several). None of them touches a model."""
