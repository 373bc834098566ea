# pi-mesos build, test, run, bench, install.
PREFIX  ?= /usr/local
DESTDIR ?=
NPM     ?= npm

.PHONY: all build test run bench install uninstall clean

all: build

node_modules: package.json package-lock.json
	$(NPM) ci
	@touch node_modules

build: node_modules
	$(NPM) run build

test: node_modules
	$(NPM) test

run: build
	node dist/src/daemon/main.js --master local --display terminal

bench: build
	node dist/test/bench/run.js

install:
	@echo "make install: not implemented yet (systemd issue)"; exit 1

uninstall:
	@echo "make uninstall: not implemented yet (systemd issue)"; exit 1

clean:
	rm -rf dist
