"""Server-rendered pages: shared helpers, templates and static files."""
