"""The bounding box that prefilters searches by place holds every point within the radius."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from medshare.geo import bounding_box, distance_km


@given(latitude=st.floats(-85, 85), longitude=st.floats(-179, 179), radius=st.floats(0.1, 500),
       bearing=st.floats(0, 2 * math.pi), share=st.floats(0, 0.999))
def test_every_point_within_the_radius_lies_in_the_box(latitude, longitude, radius, bearing, share):
    # The point at distance share × radius along bearing (the direct geodesic problem on a sphere).
    angular, lat1, lon1 = share * radius / 6371.0, math.radians(latitude), math.radians(longitude)
    lat2 = math.asin(math.sin(lat1) * math.cos(angular) + math.cos(lat1) * math.sin(angular) * math.cos(bearing))
    lon2 = lon1 + math.atan2(math.sin(bearing) * math.sin(angular) * math.cos(lat1),
                             math.cos(angular) - math.sin(lat1) * math.sin(lat2))
    point_lat, point_lon = math.degrees(lat2), math.degrees(lon2)
    if not -180 <= point_lon <= 180:
        return  # across the antimeridian: regions never span it
    assert distance_km(latitude, longitude, point_lat, point_lon) <= radius + 1e-6
    south, north, west, east = bounding_box(latitude, longitude, radius)
    assert south - 1e-9 <= point_lat <= north + 1e-9
    assert west - 1e-9 <= point_lon <= east + 1e-9


def test_the_box_is_tight_along_the_meridian_and_the_parallel():
    south, north, _, east = bounding_box(26.26, 117.64, 60)
    assert math.isclose(distance_km(26.26, 117.64, north, 117.64), 60, rel_tol=1e-6)
    assert math.isclose(distance_km(26.26, 117.64, south, 117.64), 60, rel_tol=1e-6)
    assert 55 < distance_km(26.26, 117.64, 26.26, east) < 61  # a little wider: great circles bend poleward
