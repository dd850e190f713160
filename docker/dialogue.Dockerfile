# One image for the Rasa server and the action server (same pinned environment).

# The web chat's and kiosk's two browser libraries (what `make web-assets` vendors outside Docker).
FROM node:20-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error \
 && mkdir vendor \
 && cp node_modules/socket.io-client/dist/socket.io.min.js node_modules/socket.io-client/dist/socket.io.min.js.map \
       node_modules/qrcode-generator/dist/qrcode.js vendor/

FROM python:3.10-slim
WORKDIR /app
ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1 RASA_TELEMETRY_ENABLED=false
COPY pyproject.toml requirements.lock README.md ./
COPY config ./config
COPY channels ./channels
COPY retrieval ./retrieval
COPY actions ./actions
COPY shopper ./shopper
COPY nlg ./nlg
RUN pip install -c requirements.lock -e . && pip check
COPY bot ./bot
COPY data ./data
COPY scripts ./scripts
COPY web ./web
COPY --from=web /web/vendor ./web/static/vendor
# Train the Rasa model and build the demo index at image build time (both cached by input hash).
RUN python scripts/stack.py train && python -m retrieval.build --catalog demo
EXPOSE 5005 5055
