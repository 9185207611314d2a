"""Patients: each institution's local patient records (and, in time, the master patient index)."""
