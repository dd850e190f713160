# Real shopper messages (issue 11, docs: ../shared/datasets/README.md). Included by the main Makefile.
#   make bench-understanding                                  the dev file, now vs baseline 0a236a5
#   make bench-understanding UNDERSTANDING_ARGS="--sample 60" a quick stratified sample
#   make bench-understanding UNDERSTANDING_ARGS="--file PATH --no-baseline"
UNDERSTANDING_ARGS ?=

.PHONY: bench-understanding

## share of real shopper messages handled right per label class, now vs a baseline revision (starts its own stacks)
bench-understanding: dialogue-model
	@$(DIALOGUE_ENV) $(PY) scripts/bench_understanding.py $(UNDERSTANDING_ARGS)
