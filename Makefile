# BDK gateway tier — the two commands:
#   make run    build, then run the whole stack locally (embedded Kubernetes API, services, real Envoy)
#   make test   everything CI runs (unit, integration and end-to-end tests against real Envoy)
#   make cluster / make cluster-down   a real single-node Kubernetes cluster on this machine (root)
#
# Variables:
#   ARGS="--envoy-port 8081 …"   extra flags for the local stack (make run ARGS=--help lists them)
#   KUBECONFIG=PATH              on the make command line: use that cluster instead of the embedded API
#                                (a KUBECONFIG merely exported in your shell is ignored on purpose)
#   ENVOY_BIN=PATH               use this Envoy binary (else envoy on PATH, else the one in .venv)
#   NATS_SERVER_BIN=PATH         use this nats-server (>= 2.11) instead of the pinned build (make nats-server)
#   PYTHON, MVN                  interpreters/tools to use (default python3, mvn)
#   BENCH_ARGS="--seconds 20 --connections 16"   options of make bench's webhook benchmark (--help lists them)
#   AUTH_BENCH_ARGS="--requests 5000 --rounds 3"   options of make bench's library authentication benchmark
#   TRANSCODER_BENCH_ARGS="--seconds 20"            options of make bench's GetBook benchmark (REST vs gRPC through Envoy vs direct; --variants)
#   QUEUED_BENCH_ARGS="--requests 5000"            options of make bench's queued-delivery benchmark (--help lists them)
#   SCALE_ARGS="--books 20000 --namespaces 2000"   options of make bench-scale (--help lists them)
#   ADS_ARGS="--books 10000 --changes 20"          options of make bench-ads (--help lists them)
#   CONVERGENCE_ARGS="--books 2000 --envoys 3 --route-layout single --ads-api GRPC"   options of make bench-convergence (--help lists them; default layout scoped, ADS DELTA_GRPC)
#   ENVOY_MEMORY_ARGS="--books 10000 --runs delta+scoped"   options of make bench-envoy-memory (--help lists them)
#   IMAGE_BASE=debian|official   base images of make images / make test (images/base-flags.sh):
#                                debian (default) = built here from Debian packages, no registry needed;
#                                official = eclipse-temurin / python from their registry
#   JAVA_BASE_IMAGE=REF, PYTHON_BASE_IMAGE=REF   any other base image (registry ref or tar:///path)
#   RUN_IMAGES=false             make test: skip starting the images with podman (default true)
#   CLUSTER_E2E=false            make test: leave out the real-node suite (make e2e-cluster)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
MVN ?= mvn
VENV := .venv
ENVOY_STAMP := $(VENV)/.envoy-requirements.stamp
STACK_CLASSPATH := local-stack/target/classpath.txt
XDS_CLASSPATH := xds-server/target/bench-classpath.txt
GHZ := $(HOME)/.cache/bdk/bench-tools/bin/ghz

CLUSTER_E2E ?= true
RUN_ARGS := $(ARGS)
ifeq ($(origin KUBECONFIG),command line)
RUN_ARGS += --kubeconfig $(KUBECONFIG)
endif

# Every module that makes an image (its pom sets jib.skip=false): add a new service here.
IMAGE_MODULES := xds-server,library-service,ext-authz,book-controller,webhook-relay,book-runtime-python,images/envoy,images/nats-server
IMAGE_BASE ?= debian
RUN_IMAGES ?= true
export IMAGE_BASE JAVA_BASE_IMAGE PYTHON_BASE_IMAGE
BOOK_RUNTIME_STAMP := $(VENV)/.book-runtime-requirements.stamp

.PHONY: help run test envoy kube-apiserver nats-server build clean-run bench bench-tools bench-clean bench-scale bench-watch bench-ads bench-convergence bench-envoy-memory bench-report images book-runtime-test docs-links \
  cluster cluster-down cluster-status cluster-binaries e2e-cluster

help:
	@echo "make run     build and start the local stack (Envoy on http://127.0.0.1:8080; Ctrl-C stops it)"
	@echo "make test    run everything CI runs: the book runtime's pytest, then mvn -B install -Pimages (end-to-end"
	@echo "             tests on a real Envoy, the images inspected and run with podman, the overlays dry-run),"
	@echo "             then the real-node suite"
	@echo "make envoy   install the pinned Envoy (envoy/requirements.txt) into $(VENV)"
	@echo "make kube-apiserver  build the real kube-apiserver, etcd and kubectl the controller tests run on (cached outside the repo)"
	@echo "make nats-server  build the pinned nats-server (JetStream) for make run and the tests (cached outside the repo)"
	@echo "make build   mvn install (no tests) of what the local stack and bin/bdkctl need"
	@echo "make images  OCI image tarballs + SBOMs of every service and the Python book runtime in target/images;"
	@echo "             pins their digests in k8s/overlays/digests (IMAGE_BASE=debian|official)"
	@echo "make book-runtime-test  the Python book runtime's tests (pytest in $(VENV))"
	@echo "make docs-links  every relative link and anchor of the Markdown files and every Markdown anchor named in code resolves"
	@echo "make cluster         start a real single-node Kubernetes cluster here (root; kubeconfig .run/cluster/kubeconfig)"
	@echo "make cluster-down    stop it and remove everything it made (safe to run twice)"
	@echo "make cluster-status  what runs where"
	@echo "make e2e-cluster     the end-to-end suite on that cluster (starts and stops it when it is not up)"
	@echo "make bench           every benchmark (figures, not tests), then BENCHMARKS.md (make bench-report renders it again)"
	@echo "make bench-scale     the translator at 10,000 books in memory (SCALE_ARGS)"
	@echo "make bench-watch     the watcher side of one change at 10,000 books on the mock API server: CPU per change, rebuild hops, JFR (WATCH_BOOKS)"
	@echo "make bench-convergence  a book's change → served on each real Envoy (1 or more, each probed on its own connection) with N books routed, under load (CONVERGENCE_ARGS)"
	@echo "make bench-envoy-memory  Envoy RSS and stats at 1,000/5,000/10,000 synthetic books, per xDS protocol and route layout, fresh and with every book called (ENVOY_MEMORY_ARGS)"

## The pinned Envoy, in a git-ignored virtualenv. Re-installed when envoy/requirements.txt changes.
envoy: $(ENVOY_STAMP)

$(ENVOY_STAMP): envoy/requirements.txt
	@if [ ! -x $(VENV)/bin/pip ]; then \
	  rm -rf $(VENV); \
	  $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	    echo "error: '$(PYTHON) -m venv' failed; install the venv module (Debian/Ubuntu: apt-get install -y python3-venv)" >&2; \
	    exit 1; }; \
	fi
	$(VENV)/bin/pip install --quiet -r envoy/requirements.txt
	@touch $@

build:
	$(MVN) -q install -DskipTests -pl local-stack,bdkctl -am

run: envoy nats-server build
	@# Ctrl-C (or SIGTERM, for a stack started in the background) is the normal way to stop it:
	@# exit status 130 or 143 is not an error.
	java -Dproject.root="$(CURDIR)" -cp "local-stack/target/classes:$$(cat $(STACK_CLASSPATH))" \
	  io.voyager.bdk.local.LocalStackMain $(RUN_ARGS) || { status=$$?; [ $$status -eq 130 ] || [ $$status -eq 143 ]; }

## A real kube-apiserver + etcd for the book-controller's tests, built from the Go module proxy
## (k8s/test-apiserver/build.sh; a no-op when already cached in $$KUBE_API_TEST_DIR).
kube-apiserver:
	k8s/test-apiserver/build.sh

## A real single-node cluster on this machine: etcd, kube-apiserver, controller manager, scheduler,
## kubelet, containerd+runc, bridge CNI, kube-proxy, CoreDNS, kube-router's network policies
## (k8s/cluster/README.md). Binaries are built once from the Go module proxy into ~/.cache/bdk/cluster.
cluster-binaries:
	k8s/cluster/build.sh >/dev/null

cluster:
	k8s/cluster/cluster.sh up

cluster-down:
	k8s/cluster/cluster.sh down

cluster-status:
	k8s/cluster/cluster.sh status

## The cluster-e2e module's tests on that cluster. Starts the cluster when it is not up, and then
## stops it again whatever the tests' outcome.
e2e-cluster:
	k8s/cluster/e2e.sh $(MVN)

## The pinned nats-server (nats-server/go.mod) the webhook relay's tests and make run start, built from
## the Go module proxy into ~/.cache/bdk/nats-server (nats-server/build.sh; a no-op when cached, or
## when $$NATS_SERVER_BIN names one).
nats-server:
	nats-server/build.sh >/dev/null

## Everything CI runs: the Python book runtime's tests, then every module with the images built
## (profile images) so install-tests can inspect them, start them with podman (RUN_IMAGES) and
## dry-run the overlays on the real kube-apiserver; then the real-node suite
## (k8s/cluster/e2e.sh --if-possible: skipped with a message when not root or when another
## checkout's cluster holds the node network; never skipped in CI).
test: docs-links envoy kube-apiserver nats-server book-runtime-test
	flags="$$(images/base-flags.sh) $$(images/binary-flags.sh)"; \
	$(MVN) -B install -Pimages $$flags -Dbdk.images.run=$(RUN_IMAGES)
	@if [ "$(CLUSTER_E2E)" = true ]; then k8s/cluster/e2e.sh --if-possible $(MVN); \
	else echo "cluster-e2e: skipped (CLUSTER_E2E=$(CLUSTER_E2E))"; fi

## Documentation links: relative paths and #anchors resolve (bin/check-doc-links).
docs-links:
	bin/check-doc-links

## The reference Python book runtime's tests (pytest, installed into .venv from its requirements).
book-runtime-test: $(BOOK_RUNTIME_STAMP)
	cd book-runtime-python && ../$(VENV)/bin/python -m pytest

$(BOOK_RUNTIME_STAMP): book-runtime-python/requirements-test.txt $(ENVOY_STAMP)
	$(VENV)/bin/pip install --quiet -r book-runtime-python/requirements-test.txt
	@touch $@

## OCI image tarballs (Jib, no Docker daemon) and CycloneDX SBOMs in target/images, then their
## digests pinned in k8s/overlays/digests and listed in target/images/images.txt.
images: envoy nats-server
	flags="$$(images/base-flags.sh) $$(images/binary-flags.sh)"; \
	$(MVN) -B -q package -Pimages -DskipTests -pl $(IMAGE_MODULES) -am $$flags
	$(PYTHON) images/pin_digests.py

## Benchmarks, not tests (their numbers pass or fail nothing). First: signed webhooks through a real
## Envoy with ext_authz on and off, side by side (local stack on ephemeral loopback ports; wrk). Then:
## GetBook as REST through Envoy's transcoder (wrk), as gRPC through the same Envoy and as direct gRPC (ghz),
## and REST through static Envoy variants of the translation (each one piece out). Then: queued delivery beside
## direct (accept through Envoy to the relay and JetStream, sent → delivered). Then: the Book Library REST API
## (GET and create) with bearer-token authentication on and off. Then:
## ext-authz's Check API per scheme, state in memory and in JetStream (bin/bdkctl bench check). And make bench-scale, bench-ads,
## bench-envoy-memory and bench-convergence (below).
## Every benchmark that records figures writes them to $(BENCH_DIR) (bench/README.md); the last
## step writes BENCHMARKS.md from them and prints it (make bench-report alone re-renders it).
BENCH_DIR := $(CURDIR)/target/bench
bench bench-scale bench-watch bench-ads bench-convergence bench-envoy-memory: export BDK_BENCH_DIR := $(BENCH_DIR)

bench: envoy nats-server build bench-tools bench-clean bench-scale bench-ads
	java -Dproject.root="$(CURDIR)" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
	  -cp "local-stack/target/classes:$$(cat $(STACK_CLASSPATH))" \
	  io.voyager.bdk.local.bench.WebhookBenchmark $(BENCH_ARGS)
	GHZ_BIN="$(GHZ)" java -Dproject.root="$(CURDIR)" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
	  -cp "local-stack/target/classes:$$(cat $(STACK_CLASSPATH))" \
	  io.voyager.bdk.local.bench.TranscoderBenchmark $(TRANSCODER_BENCH_ARGS)
	java -Dproject.root="$(CURDIR)" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
	  -cp "local-stack/target/classes:$$(cat $(STACK_CLASSPATH))" \
	  io.voyager.bdk.local.bench.QueuedWebhookBenchmark $(QUEUED_BENCH_ARGS)
	java -Dproject.root="$(CURDIR)" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
	  -cp "local-stack/target/classes:$$(cat $(STACK_CLASSPATH))" \
	  io.voyager.bdk.local.bench.LibraryAuthBenchmark $(AUTH_BENCH_ARGS)
	bin/bdkctl bench check
	$(MAKE) --no-print-directory bench-envoy-memory
	$(MAKE) --no-print-directory bench-convergence
	$(MAKE) --no-print-directory bench-convergence CONVERGENCE_ARGS="$(CONVERGENCE_ARGS) --envoys 3"
	$(MAKE) --no-print-directory bench-report

bench-clean:
	rm -rf $(BENCH_DIR)

## BENCHMARKS.md from the figures in $(BENCH_DIR), printed too (bench/report.py).
bench-report:
	$(PYTHON) bench/report.py --root "$(CURDIR)" --figures $(BENCH_DIR)

## The load generators make bench drives: wrk (Debian's package; C, its own process) for HTTP, and
## ghz (built from bench-tools/ghz/go.mod's pinned version through the Go module proxy, into
## ~/.cache/bdk/bench-tools) for direct gRPC.
bench-tools: $(GHZ)
	@command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk (Debian/Ubuntu), or set WRK_BIN"; exit 1; }

$(GHZ): bench-tools/ghz/go.mod bench-tools/ghz/go.sum
	mkdir -p $(dir $(GHZ))
	cd bench-tools/ghz && GOFLAGS=-mod=mod go build -o $(GHZ) github.com/bojand/ghz/cmd/ghz

## Benchmark, not a test: the xds-server translator at scale, in memory (no Kubernetes, no Envoy):
## 10,000 books over 1,000 namespaces by default, translated from cold and after single changes,
## with snapshot content versions, serialized sizes and approximate heap (SCALE_ARGS, --help); once per
## route layout (single, then scoped).
bench-scale:
	$(MVN) -q install -DskipTests -pl xds-server -am
	$(MVN) -q dependency:build-classpath -pl xds-server -Dmdep.includeScope=runtime \
	  -Dmdep.outputFile="$(CURDIR)/$(XDS_CLASSPATH)"
	java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
	  -cp "xds-server/target/classes:$$(cat $(XDS_CLASSPATH))" \
	  io.voyager.bdk.xds.bench.TranslatorScaleBenchmark --route-layout single $(SCALE_ARGS)
	java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
	  -cp "xds-server/target/classes:$$(cat $(XDS_CLASSPATH))" \
	  io.voyager.bdk.xds.bench.TranslatorScaleBenchmark --route-layout scoped $(SCALE_ARGS)

## Benchmark, not a test: the watcher side of one change at N books (WATCH_BOOKS, default 10,000;
## WATCH_CHANGES single changes, WATCH_LAYOUT scoped|single): informers on the fabric8 mock server (CRUD mode) in the same JVM,
## the real translator and snapshot publisher; prints CPU ms per change by thread and the rebuild's
## hops, and a Java Flight Recorder profile of the measured changes in target/bench/watch.jfr.
WATCH_BOOKS ?= 10000
WATCH_CHANGES ?= 60
WATCH_LAYOUT ?= scoped
bench-watch:
	$(MVN) -q install -DskipTests -pl xds-server -am
	mkdir -p $(BENCH_DIR)
	$(MVN) -q test -pl xds-server -Dtest=WatcherScaleBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dbdk.bench.watch=true -Dbdk.bench.watch.books=$(WATCH_BOOKS) -Dbdk.bench.watch.changes=$(WATCH_CHANGES) \
	  -Dbdk.bench.watch.layout=$(WATCH_LAYOUT) \
	  -Dbdk.bench.watch.jfr=$(BENCH_DIR)/watch.jfr -Dbdk.bench.dir=$(BENCH_DIR) -Dorg.slf4j.simpleLogger.defaultLogLevel=warn

## Benchmark, not a test: bytes and time per single-book change on the ADS stream, state-of-the-world
## vs delta xDS (the xds-server's discovery servers on loopback gRPC, one Envoy-like client per
## protocol), 10,000 books over 1,000 namespaces by default (ADS_ARGS, --help).
bench-ads:
	$(MVN) -q install -DskipTests -pl xds-server -am
	$(MVN) -q dependency:build-classpath -pl xds-server -Dmdep.includeScope=runtime \
	  -Dmdep.outputFile="$(CURDIR)/$(XDS_CLASSPATH)"
	java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
	  -cp "xds-server/target/classes:$$(cat $(XDS_CLASSPATH))" \
	  io.voyager.bdk.xds.bench.AdsProtocolBenchmark $(ADS_ARGS)

## Benchmark, not a test: one book's change (add, change, remove) from its write to the API until
## a real Envoy serves it, with 10,000 books routed and paced webhooks + REST on unchanged routes
## (non-2xx counted); bytes Envoy received per change, Envoy and JVM memory (CONVERGENCE_ARGS, --help).
bench-convergence: envoy build
	java -Dproject.root="$(CURDIR)" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
	  -cp "local-stack/target/classes:$$(cat $(STACK_CLASSPATH))" \
	  io.voyager.bdk.local.bench.ConvergenceBenchmark $(CONVERGENCE_ARGS)

## Benchmark, not a test: one real Envoy's memory (RSS, /memory, stats) at N synthetic books served
## by an in-process xds-server (1,000 / 5,000 / 10,000 books; state-of-the-world and delta, single
## and scoped route layouts; a fresh Envoy per point), without the stack (ENVOY_MEMORY_ARGS, --help).
bench-envoy-memory: envoy build
	java -Dproject.root="$(CURDIR)" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
	  -cp "local-stack/target/classes:$$(cat $(STACK_CLASSPATH))" \
	  io.voyager.bdk.local.bench.EnvoyMemoryBenchmark $(ENVOY_MEMORY_ARGS)

## Removes what make run leaves behind (kubeconfig, Envoy bootstrap and log).
clean-run:
	rm -rf .run
