"""Schedules: interval, cron and EventBridge expressions, wall-clock times across DST, and windows."""
