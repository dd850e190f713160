# Scale benchmark: FAISS factory strings and BM25 at a million products (docs/large-catalogs.md).
# Included by the main Makefile.
.PHONY: bench-scale

## FAISS + BM25 at 1M products (121k real, the rest synthetic): build, memory, p50/p95, recall@10 vs exact;
## about 25 min on 2 cores once the three shared catalogs are encoded (cached, as `make index` does);
## SCALE_ARGS="--size 200000 --factories 'Flat;HNSW32,SQ8'" for a quick one
SCALE_ARGS ?=
bench-scale: setup
	@$(PY) scripts/bench_scale.py $(SCALE_ARGS)
