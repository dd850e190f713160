# GPT-2 phraser (nlg/): see docs/nlg.md.
#   make train-phraser             small GPT-2 trained from scratch on data/nlg (offline default, cached)
#   make train-phraser BASE=gpt2   fine-tune a pretrained checkpoint (hub id or folder)
#   make bench-phraser [BASE=...]  phraser vs templates on held-out acts -> bench/results/nlg.{md,png}
BASE ?=
NLG_TRAIN_ARGS ?=
NLG_BENCH_ARGS ?=
NLG_BASE_ARG = $(if $(strip $(BASE)),--base $(BASE),)

.PHONY: train-phraser bench-phraser

train-phraser: setup
	nice -n 10 $(PY) -m nlg.train $(NLG_BASE_ARG) $(NLG_TRAIN_ARGS)

bench-phraser: train-phraser
	$(PY) -m nlg.bench $(NLG_BASE_ARG) $(NLG_BENCH_ARGS)

# `make run` serves replies from the trained phraser (cached after the first run)
run: train-phraser

# the phraser tests use the trained default model (cached after the first run)
TEST_STEPS += train-phraser
