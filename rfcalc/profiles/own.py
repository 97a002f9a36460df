"""rfcalc's own counting (the default profile): every layer as the analyzer counts it."""
from __future__ import annotations

from ..layers.base import Family
from .base import Profile, every, own_count

PROFILE = Profile("rfcalc", "rfcalc (default)", "rfcalc's own conventions", (), every(Family, own_count))
