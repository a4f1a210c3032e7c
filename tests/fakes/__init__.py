"""Test doubles for the services the pool talks to (see `fakes.siliconflow`)."""

from fakes.siliconflow import BEHAVIOURS, FakeSiliconFlow

__all__ = ["BEHAVIOURS", "FakeSiliconFlow"]
