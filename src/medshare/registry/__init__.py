"""Institutions, licences, medical communities, practitioners and their multi-site registrations."""
