# Replicas behind nginx (docs/replicas.md). Included by the main Makefile.
#   make run REPLICAS=2   N Rasa servers + N action servers behind nginx, all on one Redis
#   make nginx            Debian's nginx (apt-get, when missing); `make run REPLICAS>1` and `make test` need it
#   make replicas-test    the replica tests alone (2 replicas: ordering, a replica killed, Socket.IO)
NGINX      ?= /usr/sbin/nginx
NGINX_PKGS := nginx
NGINX_APT  := env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends
NGINX_SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
REPLICAS   ?= 1

.PHONY: nginx replicas-test

# apt-get update only if the install fails (as the chromium target does)
nginx:
	@if [ ! -x "$(NGINX)" ] && ! command -v nginx >/dev/null; then \
		echo ">> installing Debian's $(NGINX_PKGS) (the load balancer in front of the replicas)"; \
		$(NGINX_SUDO) $(NGINX_APT) $(NGINX_PKGS) \
		|| { $(NGINX_SUDO) apt-get update && $(NGINX_SUDO) $(NGINX_APT) $(NGINX_PKGS); }; \
	fi

# scripts/stack.py reads the replica count from SHOPGUIDE_REPLICAS
ifneq ($(REPLICAS),1)
export SHOPGUIDE_REPLICAS := $(REPLICAS)
run: nginx
endif

replicas-test: setup nginx
	$(PY) -m pytest tests/unit/scripts/test_nginx.py tests/integration/test_replicas.py

TEST_STEPS += nginx
