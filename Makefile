# The two commands a newcomer needs: `make run` and `make test`.
.PHONY: setup run test bench eval clean chaos

setup:
	@bash deploy/setup.sh

run: setup
	.venv/bin/wire run

test: setup
	.venv/bin/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

# One table: each figure, its bound or peer measured in the same run, the ratio
# (BENCH_ARGS=--quick for a check of the harness, BENCH_ARGS="--soak 900" for the soak).
bench: setup
	.venv/bin/python -m bench $(BENCH_ARGS)

# Faults while articles flow on the 3-broker cluster with 2 replicas per worker;
# prints the checker's summary and the fault table (not part of `make test`,
# which runs the short version: tests/e2e/test_chaos.py).
CHAOS_ARTICLES ?= 10000
CHAOS_RATE ?= 25
chaos: setup
	.venv/bin/python -m services.cli.chaos -n $(CHAOS_ARTICLES) --rate $(CHAOS_RATE)

clean:
	rm -rf .wire

# Article-body extraction scored on the shared benchmark (../shared/data/extraction-benchmark):
# its HTML pages, then the same pages as scraped plain text (../shared/data/scraped-text).
BENCHMARK ?= ../shared/data/extraction-benchmark
SCRAPED_TEXT ?= ../shared/data/scraped-text
eval: setup
	@mkdir -p .wire
	.venv/bin/wire extract $(BENCHMARK)/html --out .wire/extract.json
	.venv/bin/wire eval --pred .wire/extract.json --truth $(BENCHMARK)/ground-truth.json
	.venv/bin/wire extract $(SCRAPED_TEXT)/txt --out .wire/extract-text.json
	.venv/bin/wire eval --pred .wire/extract-text.json --truth $(BENCHMARK)/ground-truth.json
