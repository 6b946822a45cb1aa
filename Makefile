# Proofsheet tasks. `make dev` sets up a fresh machine and launches the app;
# `make test` runs everything CI runs.
SHELL := /bin/bash
TAURI := ui/node_modules/.bin/tauri
KEYRING := .ci/with-keyring.sh

.PHONY: setup dev test lint ui-check ui-build rust-test gateways-setup gateways-test e2e-build e2e bindings bench bench-app bench-ui bench-compare deb clean

setup:
	.ci/setup.sh

dev: setup
	$(TAURI) dev --config src-tauri/tauri.dev.conf.json

# The whole suite. Every target names what it needs, so `make -j test` and any single
# target (`make e2e`) are correct in any order: the app embeds ui/dist (ui-build), and
# the e2e binary is copied out of the shared target dir as soon as it is built, so
# `cargo test` (tauri with `test`) and the custom-protocol build never overwrite each other.
test: lint ui-check rust-test e2e

# The second clippy checks the CLI as `cargo install` builds it: the engine without the
# app's `specta` feature (a workspace build always unifies it in).
lint: ui-build
	@echo "==> $$(date +%T) lint"
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	cargo clippy -p proofsheet-engine -p proofsheet-cli --all-targets --locked -- -D warnings

ui-check:
	@echo "==> $$(date +%T) ui-check"
	cd ui && npm run check && npm run lint && npm test

ui-build:
	cd ui && npm run build

# The workspace tests include the real LiteLLM and Portkey gateways (cli/tests/real_gateways.rs).
# .ci/hermetic.sh fails the run if a test wrote the user's data dir or used the real
# keychain service names.
rust-test: ui-build gateways-setup
	@echo "==> $$(date +%T) rust-test"
	$(KEYRING) .ci/hermetic.sh cargo test --workspace --locked

gateways-setup:
	.ci/setup-gateways.sh

# Only the real-gateway tests: generate through a LiteLLM proxy and a Portkey gateway.
gateways-test: gateways-setup
	$(KEYRING) cargo test --locked -p proofsheet-cli --test real_gateways

# The e2e binary embeds ui/dist and runs as the dev identifier (own data and keychain).
# It builds in the shared target dir, where its dependencies are the test build's (only
# the ~35 crates whose features differ build twice; cargo keeps both variants), and is
# copied out at once: the next `cargo test` replaces target/<profile>/proofsheet with a
# binary that loads the dev URL.
# BENCH_PROFILE=release builds the same app (custom-protocol, dev identifier) with the
# release profile for the whole-app figures (`make bench-ui BENCH_PROFILE=release`).
CARGO_TARGET := $(abspath $(or $(CARGO_TARGET_DIR),target))
E2E_TARGET_DIR := $(CARGO_TARGET)/e2e-app
BENCH_PROFILE ?= debug
E2E_APP := $(E2E_TARGET_DIR)/$(BENCH_PROFILE)/proofsheet
E2E_RELEASE_FLAG := $(if $(filter release,$(BENCH_PROFILE)),--release,)
e2e-build: ui-build
	@echo "==> $$(date +%T) e2e-build"
	TAURI_CONFIG="$$(cat src-tauri/tauri.dev.conf.json)" \
		cargo build --locked --features tauri/custom-protocol $(E2E_RELEASE_FLAG)
	mkdir -p $(dir $(E2E_APP))
	cp $(CARGO_TARGET)/$(BENCH_PROFILE)/proofsheet $(E2E_APP).tmp
	mv $(E2E_APP).tmp $(E2E_APP)

e2e: e2e-build
	@echo "==> $$(date +%T) e2e"
	PROOFSHEET_APP=$(E2E_APP) .ci/e2e.sh

# Rewrites ui/src/lib/bindings.ts and the UI fake's fixtures recorded from the real engine
# (tests/ipc/bindings.rs, fake_fixtures.rs; a run that rewrote something fails), then checks.
bindings:
	-PROOFSHEET_BLESS=1 cargo test --locked --test ipc bindings
	cargo test --locked --test ipc bindings

bench:
	cargo bench --workspace
	$(MAKE) bench-app bench-ui

# BENCH_APP_LIBRARY=DIR opens that library in every run (e.g. the 100k one of bench-ui).
bench-app: e2e-build
	PROOFSHEET_APP=$(E2E_APP) $(if $(BENCH_APP_LIBRARY),PROOFSHEET_BENCH_DATA_DIR=$(abspath $(BENCH_APP_LIBRARY))) \
		.ci/with-keyring.sh xvfb-run -a -s "-screen 0 1600x1000x24" tests/e2e/.venv/bin/python tests/e2e/measure_app.py

# Keystroke-to-cost-table latency and gallery scroll at 100,000 images, in the real app.
BENCH_LIBRARY := target/bench-library-100k
bench-ui: e2e-build
	test -f $(BENCH_LIBRARY)/proofsheet.sqlite3 || \
		cargo run --release -p proofsheet-store --example seed_gallery -- $(BENCH_LIBRARY) 100000 distinct
	PROOFSHEET_APP=$(E2E_APP) PROOFSHEET_BENCH_DATA_DIR=$(abspath $(BENCH_LIBRARY)) .ci/with-keyring.sh \
		xvfb-run -a -s "-screen 0 1600x1000x24" tests/e2e/.venv/bin/python tests/e2e/measure_ui.py

# Engine overhead against LiteLLM's SDK, a LiteLLM proxy hop and a Portkey hop, one run,
# interleaved (issue 17). Needs the pinned gateways (make gateways-setup).
# BENCH_COMPARE_ARGS passes options on, e.g. "--baseline-bin OLD_BINARY" to measure the
# engine of another commit interleaved in the same run (before/after under one load).
bench-compare:
	cargo build --release -p proofsheet-engine --example bench_compare
	tests/gateways/.venv/bin/python tests/bench/compare.py \
		--engine-bin $(CARGO_TARGET)/release/examples/bench_compare $(BENCH_COMPARE_ARGS)

deb: ui-build
	$(TAURI) build --bundles deb

clean:
	cargo clean
	rm -rf ui/dist target/e2e
