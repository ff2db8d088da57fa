# One image for every Werkbon process: web (gunicorn), worker and scheduler (celery).
# The command is chosen per service in compose.yaml. See docs/deploy.md.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PATH=/app/.venv/bin:$PATH \
    WERKBON_ENV=production \
    WERKBON_VAR_DIR=/data \
    WERKBON_STATIC_ROOT=/app/staticfiles

# The same uv as ./dev uses, so the lock file means the same thing everywhere.
RUN pip install --no-cache-dir uv==0.13.9

WORKDIR /app
# Dependencies first (a layer that survives code changes), then the project itself.
COPY pyproject.toml uv.lock .python-version README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
RUN uv sync --frozen --no-dev \
 && python devtools/compile_messages.py \
 && DJANGO_SECRET_KEY=collectstatic-only \
    WERKBON_FIELD_ENCRYPTION_KEY=Y29sbGVjdHN0YXRpYy1vbmx5LW5vdC1hLXNlY3JldCE= \
    DATABASE_URL=sqlite:///:memory: WERKBON_VAR_DIR=/tmp/build-var \
    python manage.py collectstatic --noinput -v0 \
 && rm -rf /tmp/build-var \
 && useradd --system --uid 10001 --home-dir /data werkbon \
 && mkdir -p /data && chown werkbon /data

USER werkbon
VOLUME ["/data"]
EXPOSE 8000
# The web process (compose overrides it per service): /health/ answers 200 while the app
# and its database are up (werkbon/health.py).
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/', timeout=5)"
CMD ["gunicorn", "werkbon.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
