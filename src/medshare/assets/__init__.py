"""Shared assets: equipment, rooms and research instruments listed, booked without conflict, settled."""
