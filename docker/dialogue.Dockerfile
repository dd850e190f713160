# One image for the Rasa server and the action server (same pinned environment).
FROM python:3.10-slim
WORKDIR /app
ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1 RASA_TELEMETRY_ENABLED=false
COPY pyproject.toml requirements.lock README.md ./
COPY config ./config
COPY retrieval ./retrieval
COPY actions ./actions
COPY shopper ./shopper
RUN pip install -c requirements.lock -e . && pip check
COPY bot ./bot
COPY data ./data
COPY scripts ./scripts
# Train the Rasa model and build the demo index at image build time (both cached by input hash).
RUN python scripts/stack.py train && python -m retrieval.build --catalog demo
EXPOSE 5005 5055
