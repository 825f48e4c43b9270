"""The web face of ecowatch: the FastAPI application (REST API under /api/v1) and the pages it serves."""
