"""SQL storage for reports, solve attempts, job runs and model versions.

SQLAlchemy 2 models, the engine from a URL, and the queries the other rooms use."""
