"""Use cases, one module per noun: functions of (repo, ..., now) that never print or exit."""
