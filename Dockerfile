# PMHC Dashboard: the app as an unprivileged user, its workspace in the /data volume.
# Sign-in comes from /app/.streamlit/secrets.toml, mounted read-only (docs/deploy.md):
# without it the app listens but shows nothing but "Sign-in is not set up".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PMHC_DATA_DIR=/data \
    STREAMLIT_SERVER_ADDRESS=0.0.0.0 \
    STREAMLIT_SERVER_PORT=8501 \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin pmhc \
    && install -d -o pmhc -g pmhc -m 0700 /data

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
# The code belongs to root and is read-only for the app's user.
COPY . .
RUN python -m compileall -q pmhc app.py app_pages

USER pmhc
VOLUME ["/data"]
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4); sys.exit(r.status != 200)"]
CMD ["python", "-m", "streamlit", "run", "app.py"]
