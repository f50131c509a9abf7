# CanopyIQ: `make demo` is seed 000 §6E's one-command demo (approvals, signed Slack callbacks,
# budgets and every major feature) against a throwaway copy of the stack. Run `npm install` first.

NODE ?= node

.DEFAULT_GOAL := help
.PHONY: help demo

help: ## this list
	@echo "CanopyIQ make targets:"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-8s %s\n", $$1, $$2}'
	@echo
	@echo "The demo uses DATABASE_URL / REDIS_URL when set (a fresh database next to DATABASE_URL's,"
	@echo "dropped afterwards), else embedded PGlite and the in-process store. It builds the app first"
	@echo "when .next holds no production build, and removes everything it created when it ends."

demo: ## start CanopyIQ on a temporary data dir and run the approval + budget demo end to end
	@test -d node_modules/tsx || { echo "node_modules is missing: run npm install first"; exit 1; }
	$(NODE) --import tsx scripts/demo.ts
