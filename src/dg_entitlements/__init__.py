"""Contract tests for Deepgram account entitlements: probe, judge, explain, report."""

__version__ = "0.1.0"
