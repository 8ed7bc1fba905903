"""The dashboard's figures, one module per page, built from storage's queries: plain dataclasses that the pages
render and the JSON API returns as they are; no SQL here."""
