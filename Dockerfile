FROM python:3.12-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 gettext \
    fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The runtime lock only (no test or lint tools); every file checked against its hash.
COPY requirements.txt ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.txt
COPY . .
# Hashed static files for whitenoise; tests/production/test_smoke.py runs this same line in CI.
RUN DJANGO_SECRET_KEY=build-only DJANGO_ENV=production python manage.py collectstatic --no-input
RUN useradd --system --home /app portal && mkdir -p /app/var && chown -R portal /app/var
USER portal
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
