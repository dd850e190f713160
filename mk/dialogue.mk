# Dialogue stack: Rasa + action server + Redis (docs/dialogue.md). Included by the main Makefile.
RASA      := .venv/bin/rasa
STACK     := $(PY) scripts/stack.py
MAPPING   ?=
DIALOGUE_ENV := SHOPGUIDE_CATALOG=$(CATALOG) $(if $(MAPPING),SHOPGUIDE_CATALOG_MAPPING=$(MAPPING)) RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=3
E2E_OUT   := .run/e2e

.PHONY: run stop shell train status dialogue-validate dialogue-model dialogue-e2e bench-dialogue nlu-cv soak bench-personal

## make run [CATALOG=bigbasket|instacart|myntra_fashion|PATH MAPPING=...]: set up what is missing, start all, Ctrl-C stops
run: setup
	@$(DIALOGUE_ENV) $(STACK) run

stop:
	@$(STACK) stop

status:
	@$(STACK) status

## make shell [SENDER=id]: chat in the terminal with the running stack (starts one if none is up)
SENDER ?=
shell: setup
	@$(DIALOGUE_ENV) $(STACK) shell $(if $(SENDER),--sender $(SENDER))

## make train: retrain the Rasa model only if bot/ changed
train: setup
	@$(DIALOGUE_ENV) $(STACK) train

dialogue-validate: setup
	@mkdir -p .run
	@echo ">> rasa data validate"
	@cd bot && $(DIALOGUE_ENV) ../$(RASA) data validate --domain domain --data data --config config.yml --fail-on-warnings > ../.run/validate.log 2>&1 || { tail -40 ../.run/validate.log; exit 1; }

dialogue-model: setup
	@mkdir -p .run
	@$(DIALOGUE_ENV) $(STACK) train > .run/model-path

## rasa test on the end-to-end test stories (NLU + dialogue predictions must all be right)
dialogue-e2e: dialogue-model
	@echo ">> rasa test (tests/e2e/stories, --fail-on-prediction-errors)"
	@$(DIALOGUE_ENV) $(RASA) test core --model "$$(cat .run/model-path)" --stories tests/e2e/stories \
		--e2e --fail-on-prediction-errors --out $(E2E_OUT) > .run/e2e.log 2>&1 \
		|| { grep -E "Failed Story|predicted|WrongPrediction|Error" .run/e2e.log | tail -30; exit 1; }
	@$(PY) scripts/e2e_summary.py $(E2E_OUT)

## p50/p95 REST turn latency for 1 and 20 concurrent shoppers (starts its own stack)
bench-dialogue: dialogue-model
	@$(DIALOGUE_ENV) $(PY) scripts/bench_dialogue.py

## soak: 20 shoppers for 10 min on the launcher's stack, kill -9 Redis then the action server midway
## (docs/security.md); SOAK_ARGS="--minutes 2" for a short one
SOAK_ARGS ?=
soak: dialogue-model
	@$(DIALOGUE_ENV) $(PY) scripts/soak.py $(SOAK_ARGS)

## personalisation: simulated shoppers with hidden preferences, with and without it (docs/privacy.md)
PERSONAL_ARGS ?=
bench-personal: index
	@$(DIALOGUE_ENV) $(PY) scripts/bench_personal.py $(PERSONAL_ARGS)

## NLU intent F1 by 3-fold cross-validation (about 2 min); NLU_CV_ARGS="--folds 3" adds DIET's entities (about 40 min)
NLU_CV_ARGS ?= --folds 3 --intents-only
nlu-cv: setup
	@$(DIALOGUE_ENV) $(PY) scripts/nlu_cv.py $(NLU_CV_ARGS)

TEST_STEPS += index dialogue-validate dialogue-e2e
