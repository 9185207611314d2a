"""Accounts, roles, passwords, bearer tokens and web sessions."""
