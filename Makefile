# dicomserve: the commands a person types. `make test` is what CI runs (.ci/run).
SWIFT ?= swift
PREFIX ?= /usr/local

DESTDIR ?=
BINDIR = $(PREFIX)/bin
DATADIR = $(PREFIX)/share/dicomserve
SYSCONFDIR ?= /etc

.PHONY: bootstrap test-data build release run lint test fuzz bench bench-micro bench-macro install uninstall clean

bootstrap:
	scripts/bootstrap

test-data: bootstrap
	scripts/fetch-test-data

build: bootstrap
	$(SWIFT) build

release: bootstrap
	$(SWIFT) build -c release

## Installs what is missing, builds release, generates and imports the demo studies into ./data
## (once) and serves them on http://127.0.0.1:8080 (DICOMSERVE_HOST / _PORT / _DATA_DIR to change).
run: release test-data
	scripts/run-demo

## swift-format (the toolchain's, configured by .swift-format) over every Swift file: any finding fails.
lint:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests benchmarks/RenderBenchmark

## Installs packages, fetches the test corpus and references, checks the format, builds and runs every test, then fuzzes
## each parser briefly (FUZZ_SECONDS each, default 8).
## The suites that bound a latency (a query during a hostile upload, requests through a Redis outage)
## run after the others, alone, so that the rest of the suite saturating both cores cannot fail them.
TIMED_SUITES = HostileBatchTests|ParseIsolationTests|RedisOutageEndToEndTests

## Each test run is bounded (scripts/bounded: past the deadline it stops the run and names the tests
## still running); every process a test starts dies with the test process (Tests/TestSupport/TestChildren).
test: test-data lint
	$(SWIFT) build --build-tests
	scripts/bounded 25 $(SWIFT) test --skip-build --parallel --skip '$(TIMED_SUITES)'
	scripts/bounded 10 $(SWIFT) test --skip-build --filter '$(TIMED_SUITES)'
	scripts/bounded 10 scripts/fuzz --seconds $(or $(FUZZ_SECONDS),8) --seed 1

## Coverage-guided fuzzing (libFuzzer + ASan) of every parser, SECONDS each (default 300); TARGETS to choose.
fuzz: test-data
	scripts/fuzz --seconds $(or $(SECONDS),300) $(TARGETS)

## dicomserve beside Orthanc and the Python baseline (benchmarks/README.md): about 12 minutes, or under 3 with QUICK=1.
bench:
	benchmarks/run $(if $(QUICK),--quick,)

## The rendering core's micro benchmarks (release build, one core); see benchmarks/README.md.
bench-micro: release test-data
	mkdir -p benchmarks/results
	.build/release/RenderBenchmark --data .testdata/dicom --python .testdata/venv/bin/python | tee benchmarks/results/micro-latest.md

## The server under wrk on loopback (bounded in time): uncached renders and series metadata.
bench-macro: release test-data
	mkdir -p benchmarks/results
	benchmarks/macro.sh | tee benchmarks/results/macro-latest.md

## Installs the release binary (built before by `make release`, not as root), presets, systemd unit (+ sysusers entry), env example and nginx site.
## PREFIX (default /usr/local) and DESTDIR (staging root) as usual; see README "Deploying".
install:
	@[ -x .build/release/dicomserve ] || { echo "make install: build first, as yourself: make release" >&2; exit 2; }
	install -D -m 0755 .build/release/dicomserve $(DESTDIR)$(BINDIR)/dicomserve
	install -d $(DESTDIR)$(DATADIR)/presets
	install -m 0644 presets/*.json $(DESTDIR)$(DATADIR)/presets/
	install -d $(DESTDIR)$(DATADIR)/web/js
	install -m 0644 web/*.html web/*.css $(DESTDIR)$(DATADIR)/web/
	install -m 0644 web/js/*.js $(DESTDIR)$(DATADIR)/web/js/
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/dicomserve/README.md
	sed -e 's|/usr/local/bin/dicomserve|$(BINDIR)/dicomserve|' -e 's|/usr/local/share|$(PREFIX)/share|' systemd/dicomserve.service \
		| install -D -m 0644 /dev/stdin $(DESTDIR)$(SYSCONFDIR)/systemd/system/dicomserve.service
	install -D -m 0644 systemd/dicomserve.sysusers $(DESTDIR)/usr/lib/sysusers.d/dicomserve.conf
	install -D -m 0644 systemd/dicomserve.env.example $(DESTDIR)$(SYSCONFDIR)/dicomserve/dicomserve.env.example
	[ -e $(DESTDIR)$(SYSCONFDIR)/dicomserve/dicomserve.env ] || \
		sed -e 's|^#DICOMSERVE_PRESETS=.*|DICOMSERVE_PRESETS=$(DATADIR)/presets|' systemd/dicomserve.env.example \
		| install -D -m 0640 /dev/stdin $(DESTDIR)$(SYSCONFDIR)/dicomserve/dicomserve.env
	install -D -m 0644 nginx/dicomserve.conf $(DESTDIR)$(SYSCONFDIR)/nginx/sites-available/dicomserve
	install -D -m 0644 nginx/dicomserve-locations.conf $(DESTDIR)$(SYSCONFDIR)/nginx/snippets/dicomserve-locations.conf
	@if [ -z "$(DESTDIR)" ] && command -v systemd-sysusers >/dev/null; then systemd-sysusers; fi
	@if [ -z "$(DESTDIR)" ] && getent group dicomserve >/dev/null; then chgrp dicomserve $(SYSCONFDIR)/dicomserve/dicomserve.env; fi
	@echo "installed; next: edit $(SYSCONFDIR)/dicomserve/dicomserve.env, then systemctl daemon-reload && systemctl enable --now dicomserve"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/dicomserve $(DESTDIR)$(SYSCONFDIR)/systemd/system/dicomserve.service \
		$(DESTDIR)/usr/lib/sysusers.d/dicomserve.conf $(DESTDIR)$(SYSCONFDIR)/nginx/sites-available/dicomserve \
		$(DESTDIR)$(SYSCONFDIR)/nginx/snippets/dicomserve-locations.conf $(DESTDIR)$(SYSCONFDIR)/dicomserve/dicomserve.env.example
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(PREFIX)/share/doc/dicomserve
	@echo "kept $(SYSCONFDIR)/dicomserve/dicomserve.env and the data in /var/lib/dicomserve"

clean:
	rm -rf .build .testdata data
