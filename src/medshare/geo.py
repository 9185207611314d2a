"""Distances on the earth's surface, for searches by place (assets, referral receivers)."""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0
KM_PER_DEGREE_LATITUDE = math.pi * EARTH_RADIUS_KM / 180


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(latitude: float, longitude: float, radius_km: float) -> tuple[float, float, float, float]:
    """(south, north, west, east) in degrees of a box holding every point within radius_km.

    For a cheap indexable prefilter in SQL; the exact distance decides after. Near a pole the
    box spans every longitude.
    """
    dlat = radius_km / KM_PER_DEGREE_LATITUDE
    south, north = latitude - dlat, latitude + dlat
    if north >= 90 or south <= -90:
        return max(south, -90.0), min(north, 90.0), -180.0, 180.0
    dlon = math.degrees(math.asin(min(1.0, math.sin(math.radians(dlat)) / math.cos(math.radians(latitude)))))
    return south, north, longitude - dlon, longitude + dlon
