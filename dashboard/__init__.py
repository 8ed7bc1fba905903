"""Web dashboard over storage: accuracy, job runs, reports and relabelling.

Server-rendered FastAPI pages and a JSON API."""
