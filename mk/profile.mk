# Where a turn's time goes (scripts/profile_turn.py). Included by the main Makefile.
.PHONY: profile-turn

## per-stage wall and CPU time of a typical turn, by process (starts its own profiled stack);
## PROFILE_ARGS="--nlg templates,gpt2" compares the phraser off and on
PROFILE_ARGS ?=
profile-turn: dialogue-model train-phraser  # the phraser `make run` serves
	@$(DIALOGUE_ENV) $(PY) scripts/profile_turn.py $(PROFILE_ARGS)
