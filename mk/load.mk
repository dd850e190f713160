# Load benchmark (scripts/bench_load.py). Included by the main Makefile.
.PHONY: bench-load

## turns/s at saturation and p50/p95/p99 at 1, 20, 50 closed-loop shoppers, baseline commit vs this tree,
## 1 and 2 replicas, plus the 50 x 5 ordering check; LOAD_ARGS="--seconds 20" for a shorter run
LOAD_ARGS ?=
bench-load: dialogue-model train-phraser nginx
	@$(DIALOGUE_ENV) $(PY) scripts/bench_load.py $(LOAD_ARGS)
