# The two entry points: `make demo` (set up + run the demo end to end) and `make test`.
SHELL := /bin/bash
VENV := .venv/bin
CORES ?= $(shell nproc)

.PHONY: setup demo test lint clean

setup:
	@scripts/setup.sh

# Deterministic from the seed; written once, so re-running the demo resumes instead of redoing.
demo/data/units.tsv: | setup
	$(VENV)/scce-genomics simulate --outdir demo/data --seed 7

demo: setup demo/data/units.tsv
	PATH=$(CURDIR)/.venv/bin:$$PATH $(VENV)/snakemake --configfile config/demo/config.yaml \
	  --cores $(CORES) --rerun-incomplete
	@echo "Report: results/demo/report/report.html"

lint: setup
	$(VENV)/ruff check src tests benchmarks
	$(VENV)/ruff format --check src tests benchmarks
	$(VENV)/mypy
	$(VENV)/snakefmt --check Snakefile workflow

test: lint
	PATH=$(CURDIR)/.venv/bin:$$PATH $(VENV)/pytest

clean:
	rm -rf results demo .snakemake test-artifacts
