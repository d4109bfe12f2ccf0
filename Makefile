# The two commands a newcomer needs: `make run` and `make test`.
.PHONY: setup run test bench clean

setup:
	@bash deploy/setup.sh

run: setup
	.venv/bin/wire run

test: setup
	.venv/bin/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

bench: setup
	.venv/bin/wire bench

clean:
	rm -rf .wire
