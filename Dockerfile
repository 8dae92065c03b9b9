# The example site as one image: gunicorn by default; the same image runs the
# Celery worker, beat and migrations (see compose.yaml and docs/deployment.md).
#
#   docker build -t marketplace-example .
#
# integration/test_compose.py runs this file's collectstatic step, its CMD and
# the environment its final stage sets, so keep those in the simple forms it
# reads: one ENV variable per line, CMD in exec (JSON) form.

FROM python:3.13-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /venv
WORKDIR /src
# Core, every plugin and the example site's requirements, from this checkout in
# one command, so the names in requirements.txt resolve to these folders.
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
COPY plugins ./plugins
COPY example_site/requirements.txt ./example_site/requirements.txt
RUN /venv/bin/pip install ".[postgres]" ./plugins/payments_dodo ./plugins/storage_s3 \
        ./plugins/notify_telegram ./plugins/support ./plugins/shorturl \
        -r example_site/requirements.txt

FROM python:3.13-slim
ENV PATH=/venv/bin:$PATH
ENV PYTHONUNBUFFERED=1
ENV PYTHONDONTWRITEBYTECODE=1
ENV DJANGO_ENV=production
ENV MARKETPLACE_VAR_DIR=/var/lib/marketplace
ENV PORT=8000
# A user without a login or a home; it may write only to the var folder
# (beat's schedule). Static files are collected below, as root, read-only at run time.
RUN useradd --system --user-group --uid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin marketplace \
    && install -d -o marketplace -g marketplace /var/lib/marketplace
COPY --from=build /venv /venv
WORKDIR /app
COPY example_site/manage.py ./manage.py
COPY example_site/example_site ./example_site
# Every plugin is enabled while collecting, so the image serves the static files
# of whichever plugins the environment enables later. The key only lets settings
# load; it is not the site's secret.
RUN DJANGO_SECRET_KEY=collectstatic-only MARKETPLACE_PLUGINS=payments_dodo,storage_s3,notify_telegram,support,shorturl python manage.py collectstatic --noinput
USER marketplace
EXPOSE 8000
# gunicorn binds 0.0.0.0:$PORT and starts $WEB_CONCURRENCY worker processes.
CMD ["gunicorn", "example_site.wsgi", "--worker-class", "gthread", "--threads", "4", "--access-logfile", "-"]
