# CanopyIQ make targets. `make demo` is seed 000 §6E's one-command demo; `run`, `approvals-demo`,
# `docker-build` and `docker-run` are seed 004's. Run `npm install` first.

NODE ?= node
PORT ?= 3000
URL ?= http://localhost:$(PORT)
IMAGE ?= canopyiq-mcp
# seed 004 serves on 8000: `make docker-run` maps it to the image's 8080.
DOCKER_PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help demo run approvals-demo docker-build docker-run

help: ## this list
	@echo "CanopyIQ make targets:"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-15s %s\n", $$1, $$2}'
	@echo
	@echo "The demo uses DATABASE_URL / REDIS_URL when set (a fresh database next to DATABASE_URL's,"
	@echo "dropped afterwards), else embedded PGlite and the in-process store. It builds the app first"
	@echo "when .next holds no production build, and removes everything it created when it ends."

demo: ## start CanopyIQ on a temporary data dir and a free port, and run the approval + budget demo end to end
	@test -d node_modules/tsx || { echo "node_modules is missing: run npm install first"; exit 1; }
	$(NODE) --import tsx scripts/demo.ts

run: ## run CanopyIQ (the dev server) on PORT (default 3000): `make run PORT=8000`
	@test -d node_modules/next || { echo "node_modules is missing: run npm install first"; exit 1; }
	PORT=$(PORT) npx next dev -p $(PORT)

approvals-demo: ## file a demo approval on the running server (URL, default http://localhost:PORT); decide it at /ui/approvals
	@test -d node_modules/tsx || { echo "node_modules is missing: run npm install first"; exit 1; }
	$(NODE) --import tsx scripts/approvals-demo.ts $(URL)

docker-build: ## build the production image (deploy/Dockerfile) as IMAGE (default canopyiq-mcp)
	@if docker info >/dev/null 2>&1; then docker build -f deploy/Dockerfile -t $(IMAGE) .; \
	else echo "make docker-build: no Docker engine is reachable here. Where Docker runs:"; \
	echo "  docker build -f deploy/Dockerfile -t $(IMAGE) ."; exit 2; fi

docker-run: ## run the image on DOCKER_PORT (default 8000 → the image's 8080), embedded database in a volume
	@if docker info >/dev/null 2>&1; then docker run --rm -p $(DOCKER_PORT):8080 -v canopyiq-data:/data $(IMAGE); \
	else echo "make docker-run: no Docker engine is reachable here. Where Docker runs:"; \
	echo "  docker run --rm -p $(DOCKER_PORT):8080 -v canopyiq-data:/data $(IMAGE)"; \
	echo "then: curl -s http://localhost:$(DOCKER_PORT)/health"; exit 2; fi
