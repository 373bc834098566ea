# pi-mesos build, test, run, bench, install.
PREFIX  ?= /usr/local
DESTDIR ?=
NPM     ?= npm

# Install layout (see README.md, "Run on your Pi"). The unit goes to $(PREFIX)/lib/systemd/system,
# which systemd searches for /usr/local and /usr, so /etc/systemd/system stays the admin's for
# drop-ins and overrides. The node binary is fixed at install time: the service's PATH is not
# a login shell's (nvm and friends are not on it). By default it is the node that built the tree
# (`make` records it in dist/.node), since `sudo make install` sees root's PATH, where that node
# is often missing or an older one (bookworm's own nodejs is 18).
SYSCONFDIR ?= /etc
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib/pi-mesos
UNITDIR    ?= $(PREFIX)/lib/systemd/system
NODE       ?= $(shell cat dist/.node 2>/dev/null || command -v node)
# Create the i2c group when it is missing (see install); packagers staging into DESTDIR get no.
CREATE_I2C_GROUP ?= $(if $(DESTDIR),no,yes)

# Node.js options of the daemon (src/daemon/node-flags.ts says why; a test keeps the three equal).
DAEMON_NODE_FLAGS := --max-semi-space-size=1

.PHONY: all build test test-systemd run bench soak install uninstall clean

all: build

node_modules: package.json package-lock.json
	$(NPM) ci
	@touch node_modules

build: node_modules
	$(NPM) run build
	node -p process.execPath > dist/.node

test: node_modules
	$(NPM) test

# The unit under a real systemd: a Debian bookworm container booted with systemd-nspawn (root
# only; it says skipped elsewhere). See test/systemd/run.sh.
test-systemd: build
	bash test/systemd/run.sh

# Mutation testing (StrykerJS, stryker.config.mjs): not part of `make test`. One module at a time
# (MODULE=pi, framework, mesos or display; all four in turn without it), incremental: a rerun
# tests only mutants whose code or tests changed. Reports: reports/mutation/MODULE.html and .json.
MUTATION_MODULES ?= pi framework mesos display
mutation: build
	@for m in $(if $(MODULE),$(MODULE),$(MUTATION_MODULES)); do \
		echo "== mutation testing: $$m"; MODULE=$$m ./node_modules/.bin/stryker run stryker.config.mjs || exit 1; \
	done

run: build
	node $(DAEMON_NODE_FLAGS) dist/src/daemon/main.js --master local --display terminal

bench: build
	node dist/test/bench/run.js

# The chaos soak (test/soak/): the daemon on a real Mesos + ZooKeeper through seeded faults, then an
# exact check. Root only (real agents). Replay a failure with the seed it prints.
SEED    ?=
MINUTES ?= 30
soak: build
	node dist/test/soak/main.js --minutes '$(MINUTES)' $(if $(SEED),--seed '$(SEED)')

# No build here: `sudo make install` must not run npm or tsc as root in the checkout.
install:
	@test -f dist/src/daemon/main.js || { echo "make install: nothing built; run 'make' first" >&2; exit 1; }
	@test -n "$(NODE)" || { echo "make install: node not found; pass NODE=/path/to/node" >&2; exit 1; }
	@'$(NODE)' -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null || \
		{ echo "make install: $(NODE) is not Node.js 20 or newer ($$('$(NODE)' --version 2>&1)); pass NODE=/path/to/node20" >&2; exit 1; }
	@case '$(LIBDIR)' in */pi-mesos) ;; *) echo "make install: LIBDIR must end in /pi-mesos (it is replaced as a whole)" >&2; exit 1;; esac
	rm -rf '$(DESTDIR)$(LIBDIR)'
	install -d '$(DESTDIR)$(LIBDIR)/dist' '$(DESTDIR)$(LIBDIR)/node_modules' '$(DESTDIR)$(BINDIR)' \
		'$(DESTDIR)$(UNITDIR)' '$(DESTDIR)$(SYSCONFDIR)/default'
	cp -R dist/src '$(DESTDIR)$(LIBDIR)/dist/src'
	cp -R fonts proto '$(DESTDIR)$(LIBDIR)/'
	install -m 0644 package.json README.md '$(DESTDIR)$(LIBDIR)/'
	@# Production node_modules only, as listed by package-lock.json (no npm, no network).
	$(NODE) systemd/list-prod-modules.js . > '$(DESTDIR)$(LIBDIR)/.modules'
	while read -r m; do mkdir -p "$(DESTDIR)$(LIBDIR)/$$(dirname "$$m")" && cp -R "$$m" "$(DESTDIR)$(LIBDIR)/$$m" || exit 1; done < '$(DESTDIR)$(LIBDIR)/.modules'
	rm -f '$(DESTDIR)$(LIBDIR)/.modules'
	@# Readable by the service's dynamic user whatever root's umask was.
	chmod -R u=rwX,go=rX '$(DESTDIR)$(LIBDIR)'
	printf '#!/bin/sh\n# pi-mesos daemon (installed by make install)\nexec %s %s %s "$$@"\n' '$(NODE)' '$(DAEMON_NODE_FLAGS)' '$(LIBDIR)/dist/src/daemon/main.js' > '$(DESTDIR)$(BINDIR)/pi-mesos'
	printf '#!/bin/sh\n# pi-mesos executor (installed by make install)\nexec %s %s "$$@"\n' '$(NODE)' '$(LIBDIR)/dist/src/executor/main.js' > '$(DESTDIR)$(BINDIR)/pi-mesos-executor'
	chmod 0755 '$(DESTDIR)$(BINDIR)/pi-mesos' '$(DESTDIR)$(BINDIR)/pi-mesos-executor'
	sed -e 's|/usr/local/bin/|$(BINDIR)/|g' -e 's|/usr/local/lib/pi-mesos/|$(LIBDIR)/|g' \
		-e 's|/etc/default/pi-mesos|$(SYSCONFDIR)/default/pi-mesos|g' \
		systemd/pi-mesos.service > '$(DESTDIR)$(UNITDIR)/pi-mesos.service'
	chmod 0644 '$(DESTDIR)$(UNITDIR)/pi-mesos.service'
	@# The settings file is the admin's: never overwrite it.
	if [ -e '$(DESTDIR)$(SYSCONFDIR)/default/pi-mesos' ]; then \
		install -m 0644 systemd/pi-mesos.default '$(DESTDIR)$(SYSCONFDIR)/default/pi-mesos.dist'; \
		echo "kept $(DESTDIR)$(SYSCONFDIR)/default/pi-mesos; the shipped version is pi-mesos.dist next to it"; \
	else \
		install -m 0644 systemd/pi-mesos.default '$(DESTDIR)$(SYSCONFDIR)/default/pi-mesos'; \
	fi
	@# The unit's SupplementaryGroups=i2c: Raspberry Pi OS and Debian's i2c-tools create this group
	@# (with a udev rule giving it /dev/i2c-*); plain Debian has none, and systemd would refuse to
	@# start the unit (216/GROUP). Not for staged installs: the package's own scripts do that.
	@if [ '$(CREATE_I2C_GROUP)' = yes ] && ! getent group i2c >/dev/null; then \
		groupadd --system i2c && echo "created the system group i2c (the unit's SupplementaryGroups=i2c; a panel's /dev/i2c-N must belong to it)"; \
	fi
	@echo "installed (node: $(NODE)); now: sudo systemctl daemon-reload && sudo systemctl enable --now pi-mesos"

# Leaves $(SYSCONFDIR)/default/pi-mesos (settings) and /var/lib/pi-mesos (state) alone.
uninstall:
	@case '$(LIBDIR)' in */pi-mesos) ;; *) echo "make uninstall: LIBDIR must end in /pi-mesos" >&2; exit 1;; esac
	rm -rf '$(DESTDIR)$(LIBDIR)'
	rm -f '$(DESTDIR)$(BINDIR)/pi-mesos' '$(DESTDIR)$(BINDIR)/pi-mesos-executor' '$(DESTDIR)$(UNITDIR)/pi-mesos.service' \
		'$(DESTDIR)$(SYSCONFDIR)/default/pi-mesos.dist'
	@echo "removed; kept $(DESTDIR)$(SYSCONFDIR)/default/pi-mesos and the state in /var/lib/pi-mesos (sudo systemctl daemon-reload)"

clean:
	rm -rf dist
