# dicomserve: the commands a person types. `make test` is what CI runs (.ci/run).
SWIFT ?= swift
PREFIX ?= /usr/local

.PHONY: bootstrap test-data build release run test bench-micro bench-macro clean

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

## Installs packages, fetches the test corpus and references, builds and runs every test.
test: test-data
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel

## The rendering core's micro benchmarks (release build, one core); see benchmarks/README.md.
bench-micro: release test-data
	mkdir -p benchmarks/results
	.build/release/RenderBenchmark --data .testdata/dicom --python .testdata/venv/bin/python | tee benchmarks/results/micro-latest.md

## The server under wrk on loopback (bounded in time): uncached renders and series metadata.
bench-macro: release test-data
	mkdir -p benchmarks/results
	benchmarks/macro.sh | tee benchmarks/results/macro-latest.md

clean:
	rm -rf .build .testdata data
