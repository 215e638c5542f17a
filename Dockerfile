# Production image: gunicorn serves the portal; the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HEALTHAID_VAR_DIR=/var/lib/healthaid

WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends gettext curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /app healthaid \
    && mkdir -p /var/lib/healthaid && chown healthaid /var/lib/healthaid

COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .
# collectstatic builds the hashed manifest production serves; the placeholder secrets exist
# only for this build step (the running container refuses to start without real ones).
RUN DEBUG=0 SECRET_KEY=build-only-placeholder-secret-key-not-used-at-runtime \
    ID_NUMBER_ENCRYPTION_KEY=build-only-placeholder-encryption-key-0000 \
    ID_NUMBER_INDEX_KEY=build-only-placeholder-index-key-000000000000 \
    python manage.py collectstatic --no-input \
    && chown -R healthaid /var/lib/healthaid

USER healthaid
EXPOSE 8000
# The web start collects the static files itself (fast: the build collected them already),
# so a volume mounted over the var directory, or a changed STATIC_ROOT, cannot leave DEBUG=0
# without its manifest (every page a 500).
CMD ["sh", "-c", "python manage.py collectstatic --no-input --verbosity 0 && exec gunicorn healthaid.wsgi --bind 0.0.0.0:8000 --workers 3 --threads 4 --access-logfile -"]
