"""Supervision and public trust: directory trust records, credit and blacklisting, joint cases, complaints."""
