# The two commands of the README: `make demo` runs the main job, `make test` runs the tests.
# Each runs the setup first when it has not been done.
VENV := .venv
STAMP := $(VENV)/.setup-done

.PHONY: setup test demo lint replica

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $(STAMP)

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest

demo: setup
	$(VENV)/bin/bsr demo

replica: setup
	$(VENV)/bin/bsr replica serve --host 127.0.0.1 --port 8765
