# lvs.cluster: one entry point for set-up, the built-in lab and every test.
#   make lab    the main job: build the lab VMs, deploy a real HA cluster with lvs.cluster.site (site.yml), run the seed's tests (section 11.6)
#   make test   every test: lint, sanity, unit, render checks, the ansible-core matrix (make matrix-ci), container scenarios, the VM lab scenario
#               (four chains side by side: see the test target)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT      := $(CURDIR)
VENV      ?= $(ROOT)/.venv
BIN       := $(VENV)/bin
PY        ?= python3
BACKEND   ?= keepalived
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(ROOT)/ansible.cfg
export ANSIBLE_FORCE_COLOR ?= 0
export PY_COLORS ?= 0

APT_PACKAGES := qemu-system-x86 qemu-utils mmdebstrap podman runc keepalived ldirectord heartbeat ipvsadm \
	iproute2 openssh-client curl e2fsprogs socat arping uidmap git rsync shellcheck \
	libpopt-dev libssl-dev libc6-dev gcc make
DEPS_STAMP := $(VENV)/.deps-$(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)

.PHONY: help deps apt venv lint yamllint ansible-lint sanity unit render pytest daemons molecule molecule-containers molecule-lab \
	matrix galaxy-importer lab lab-seed lab-faults lab-smoke lab-day2 lab-ipvs lab-up lab-down build test clean

help:
	@echo "make lab        main job on the built-in lab (BACKEND=keepalived|heartbeat_ldirectord)"
	@echo "make lab-day2   the day-2 playbooks on the lab (status, drain/enable, rolling update, failover drill), with numbers"
	@echo "make lab-faults the fault suite on the lab (partition, reboots, SIGKILL, flapping, bad push, stream across a failover)"
	@echo "make test       all tests (lint, sanity, one pytest run: unit/integration/render/daemons, container and VM molecule scenarios)"
	@echo "make deps       install system packages and the Python tooling into $(VENV)"
	@echo "make lint | sanity | unit | render | daemons | pytest | ee | galaxy-importer | matrix-ci | matrix | molecule-containers | molecule-lab | build | lab-down"
	@echo "make lab-seed   converge and the seed's three tests only (BACKEND=...)"

## ---- set-up ---------------------------------------------------------------------------------------------
apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "apt: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  systemctl disable --now keepalived heartbeat ldirectord >/dev/null 2>&1 || true; fi

$(DEPS_STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	rm -f $(VENV)/.deps-*; touch $@

venv: $(DEPS_STAMP)

deps: apt venv galaxy-importer-venv

## ---- static checks ------------------------------------------------------------------------------------
yamllint: venv
	yamllint -s .

ansible-lint: venv
	ansible-lint --offline -q

lint: yamllint ansible-lint

build: venv
	rm -rf build && mkdir -p build
	ansible-galaxy collection build --force --output-path build .

# ansible-test needs the collection at ansible_collections/lvs/cluster: install the built tarball there.
ANSIBLE_TEST_PIP := $(shell sed -n "s/.*pip='\([0-9.]*\)'.*/\1/p" $(VENV)/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py 2>/dev/null | head -1)
sanity: build
	mkdir -p $(HOME)/.ansible/test/cache
	cp .ci/get_pip.py $(HOME)/.ansible/test/cache/get_pip_$(subst .,_,$(ANSIBLE_TEST_PIP)).py
	rm -rf build/sanity && mkdir -p build/sanity
	mkdir -p build/sanity/ansible_collections/lvs/cluster
	tar -xzf build/lvs-cluster-*.tar.gz -C build/sanity/ansible_collections/lvs/cluster
	cd build/sanity/ansible_collections/lvs/cluster && git init -q . && git add -A && \
	  ansible-test sanity --color no --python $$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])') \
	    --requirements

## ---- tests --------------------------------------------------------------------------------------------
# One pytest tree (tests/, markers in pytest.ini): `make unit`, `make render`, `make daemons` select by marker;
# `make pytest` runs them and tests/dist in one run with one summary (what `make test` runs).
unit: venv
	pytest -q -m unit

# The tools run on this host (playbooks in check mode and in namespaces, ansible-builder) and the roles' templates
# judged by the daemons' own parsers (tests/integration, tests/render; root).
render: deps
	CI=$${CI:-true} pytest -q -m "integration or render"

pytest: deps
	CI=$${CI:-true} pytest -q -m "unit or integration or render or daemons or dist"

# Every container scenario (podman): all molecule scenarios but the VM lab's; molecule-<scenario> runs one.
molecule-containers: deps
	molecule test --all --exclude lab

CONTAINER_SCENARIOS := director_keepalived director_heartbeat_ldirectord director_piranha realserver_dr
.PHONY: $(addprefix molecule-,$(CONTAINER_SCENARIOS))
$(addprefix molecule-,$(CONTAINER_SCENARIOS)): molecule-%: deps
	molecule test -s $*

# The lab scenario runs Ansible under mitogen like make lab (LAB_MITOGEN=0: Ansible's own linear over SSH; molecule
# run by hand uses linear too): docs/performance.md, "The lab runs under mitogen by default", says why CI needs one way.
MITOGEN_STRATEGY_DIR = $(shell $(BIN)/python -c 'import os, ansible_mitogen; print(os.path.join(os.path.dirname(ansible_mitogen.__file__), "plugins", "strategy"))')
LAB_MOLECULE_ENV = $(if $(filter 0,$(LAB_MITOGEN)),,ANSIBLE_STRATEGY_PLUGINS=$(MITOGEN_STRATEGY_DIR) ANSIBLE_STRATEGY=mitogen_linear ANSIBLE_TIMEOUT=120)
molecule-lab: deps
	flock /run/lvs-lab.lock env $(LAB_MOLECULE_ENV) molecule test -s lab

molecule: molecule-containers molecule-lab

# The daemons as judges: a generated matrix of valid models rendered through the roles' templates and checked by
# keepalived -t, ldirectord's parser, heartbeat's reading rules and piranha's own lvsParseConfig (tests/daemons).
daemons: deps
	CI=$${CI:-true} pytest -q -m daemons

# make test runs four chains side by side, each one step after the other, its lines prefixed with its name:
#   [static]     lint, sanity, matrix-ci, then the molecule scenario director_keepalived
#   [pytest]     pytest (one summary)
#   [molecule]   the molecule scenarios director_heartbeat_ldirectord and director_piranha
#   [lab]        molecule-lab (keepalived under mitogen: converge, idempotence, verify with the lab's seed tests), then the
#                seed's three tests with piranha (built from the piranha sources, under mitogen): make lab-seed BACKEND=piranha;
#                then (nice TEST_NICE) the molecule scenario realserver_dr
# Most of each chain waits (VM guests, containers, subprocesses, downloads), so on two cores they overlap well; the
# other chains run at a lower priority (nice TEST_NICE) than the lab, whose guests' timings are measured. Each chain's time is
# printed at its end; a failing chain fails make test once the others have finished. TEST_JOBS=1: one after the other.
TEST_JOBS ?= 4
# The lab chain's guests boot cold on a fresh machine (four TCG guests, no boot snapshot yet) while the other chains
# start: those run at nice TEST_NICE, and the lab's boot bound is raised (the 420 s default was passed at load 16).
TEST_NICE ?= 10
TEST_LAB_BOOT_TIMEOUT ?= 1200
TEST_CHAINS := test-static test-pytest test-molecule test-lab
define run_chain
	@s=$$(date +%s); rc=0; { $(2); } 2>&1 | sed -u 's/^/[$(1)] /' || rc=$$?; \
	echo "[$(1)] chain finished: rc $$rc in $$(( $$(date +%s) - s )) s"; exit $$rc
endef
SUBMAKE := $(MAKE) --no-print-directory -j1
.PHONY: $(TEST_CHAINS)
test-static:
	$(call run_chain,static,nice -n $(TEST_NICE) $(SUBMAKE) lint sanity matrix-ci molecule-director_keepalived)
test-pytest:
	$(call run_chain,pytest,nice -n $(TEST_NICE) $(SUBMAKE) pytest)
test-molecule:
	$(call run_chain,molecule,nice -n $(TEST_NICE) $(SUBMAKE) molecule-director_heartbeat_ldirectord molecule-director_piranha)
test-lab:
	$(call run_chain,lab,export LAB_BOOT_TIMEOUT=$${LAB_BOOT_TIMEOUT:-$(TEST_LAB_BOOT_TIMEOUT)}; $(SUBMAKE) molecule-lab && $(SUBMAKE) lab-seed BACKEND=piranha && nice -n $(TEST_NICE) $(SUBMAKE) molecule-realserver_dr)

test: deps
	@s=$$(date +%s); $(MAKE) --no-print-directory -k -j$(TEST_JOBS) $(TEST_CHAINS); \
	echo "make test: all passed in $$(( $$(date +%s) - s )) s"

# The ansible-core version matrix (own venvs from PyPI: build, sanity, unit tests, the validation play per release;
# 1.5-2 h with sanity: a release job, not part of make test; VERSIONS="2.19 2.20" to choose). See docs/matrix.md.
matrix: venv
	python3 tests/matrix/run.py $(if $(VERSIONS),--versions "$(VERSIONS)")

# The CI-sized matrix, part of make test (tests/matrix/ci.py): every ansible-core line that meta/runtime.yml's
# requires_ansible admits, in its own venv from PyPI cached in ~/.cache/lvs-matrix (keyed by the exact pins): build,
# the tarball installed in a fresh project, lvs.cluster.site --tags lvs_validate (contacts no host), --syntax-check of
# every shipped playbook by FQCN. A line whose Python is missing fails. 1.5-3 min cold, 15-60 s cached (docs/matrix.md).
.PHONY: matrix-ci
matrix-ci: venv
	python3 tests/matrix/ci.py $(if $(VERSIONS),--versions "$(VERSIONS)")

# galaxy-importer in its own venv (it pins its ansible-core and ansible-lint), made by `make deps` and remade only when
# tests/dist/galaxy-importer-requirements.txt changes; tests/dist/test_galaxy_importer.py finds it through GALAXY_IMPORTER_PYTHON.
GALAXY_IMPORTER_VENV ?= $(HOME)/.cache/lvs-galaxy-importer
GALAXY_IMPORTER_REQS := tests/dist/galaxy-importer-requirements.txt
GALAXY_IMPORTER_STAMP := $(GALAXY_IMPORTER_VENV)/.deps-$(shell sha256sum < $(GALAXY_IMPORTER_REQS) | cut -c1-16)
export GALAXY_IMPORTER_PYTHON := $(GALAXY_IMPORTER_VENV)/bin/python
.PHONY: galaxy-importer-venv ee
$(GALAXY_IMPORTER_STAMP): $(GALAXY_IMPORTER_REQS)
	test -x $(GALAXY_IMPORTER_VENV)/bin/python || $(PY) -m venv $(GALAXY_IMPORTER_VENV)
	$(GALAXY_IMPORTER_VENV)/bin/pip install -q -r $(GALAXY_IMPORTER_REQS)
	rm -f $(GALAXY_IMPORTER_VENV)/.deps-*; touch $@

galaxy-importer-venv: $(GALAXY_IMPORTER_STAMP)

galaxy-importer: venv galaxy-importer-venv
	CI=$${CI:-true} pytest -q -p no:cacheprovider -rA tests/dist/test_galaxy_importer.py

# The execution environment built with ansible-builder on a local base image and lvs.cluster.validate run in it
# (tests/dist/test_ee_build.py, marker ee; part of `make pytest` through the dist marker): about 1.5 min with the base
# image cached, 3.5 min without.
ee: deps
	CI=$${CI:-true} pytest -q -p no:cacheprovider -rA -m ee

## ---- the built-in lab ---------------------------------------------------------------------------------
# The main job as pytest (tests/lab): boot, site.yml, idempotence, verify_cluster.yml, cluster state, power cut,
# scale-out; prints the report (lab/run/main-job/report.txt, report.json). Ansible runs under mitogen unless
# LAB_MITOGEN=0; LAB_KEEP=1 leaves the lab up (see tests/lab/conftest.py).
LAB_PYTEST := flock /run/lvs-lab.lock env LAB_BACKEND=$(BACKEND) pytest -p no:cacheprovider -s tests/lab
lab: deps
	$(LAB_PYTEST) -m "lab and not day2 and not faults"

# The seed's three tests only (site.yml, idempotence, verify_cluster.yml, the cluster's state): what `make test` runs
# for the piranha backend (keepalived's are molecule/lab's verify).
lab-seed: deps
	$(LAB_PYTEST) -m "lab and (converge or seed)"

# The fault suite (issue 15) after converge: partition, reboots, SIGKILL, flapping, bad push, stream across a failover;
# rows in lab/run/main-job/faults.json (tests/lab/faults_table.py prints docs/faults.md's table from them).
lab-faults: deps
	$(LAB_PYTEST) -m "lab and (converge or faults)"

# The day-2 operator playbooks (issue 8) on the lab after the seed's tests: status, drain/enable rs1 under load,
# rolling update with a client probe, failover drill; prints their numbers (report in lab/run/main-job-day2/).
lab-day2: deps
	$(LAB_PYTEST) -m "lab and not powercut and not scaleout and not faults"

lab-smoke: deps
	lab/smoke.sh

# The ipvs module against the lab kernel (add/change/no-op/check/diff/purge/drain/fwmark/IPv6); --bench adds the benchmark.
lab-ipvs: deps
	flock /run/lvs-lab.lock tests/lab/ipvs/run.sh $(ARGS)

lab-up: deps
	lab/labctl up

lab-down:
	lab/labctl down

clean: lab-down
	rm -rf build context .cache
