# The two commands of the README: `make demo` runs the main job, `make test` runs the tests and builds the docs.
# Each runs the setup first when it has not been done.
VENV := .venv
STAMP := $(VENV)/.setup-done
# Where `make test` builds the documentation site (mkdocs.yml), only to check it builds: ignored by git.
# Not --quiet: mkdocs 1.6's --quiet drops the warnings --strict counts, so a broken link would pass
# (mkdocs/mkdocs#4126). NO_MKDOCS_2_WARNING silences Material's notice about MkDocs 2.
SITE_DIR := build/site
MKDOCS := NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs

.PHONY: setup test demo lint replica docs

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $(STAMP)

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest
	$(MKDOCS) build --strict --site-dir $(SITE_DIR)

demo: setup
	$(VENV)/bin/bsr demo

replica: setup
	$(VENV)/bin/bsr replica serve --host 127.0.0.1 --port 8765

# The documentation site on http://127.0.0.1:8001, rebuilt as its pages change.
docs: setup
	$(MKDOCS) serve --dev-addr 127.0.0.1:8001
