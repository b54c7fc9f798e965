# Tollgate: one image for every role. The command picks it: `serve` (gateway), `worker`, `scheduler`, `init`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint (report PDFs) prints with pango and HarfBuzz's subsetter; DejaVu is the fallback font.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY backend ./backend
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin tollgate \
    && mkdir -p /data && chown tollgate /data

USER tollgate
ENV TOLLGATE_DATA_DIR=/data \
    TOLLGATE_HOST=0.0.0.0 \
    TOLLGATE_PORT=8080
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["tollgate"]
CMD ["serve"]
