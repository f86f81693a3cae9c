# PMHC Dashboard: the app as an unprivileged user, its workspace in the /data volume.
# Sign-in comes from /app/.streamlit/secrets.toml, given at run time as a compose secret
# (deploy/compose.yaml, docs/deploy.md) and never part of the image: .dockerignore keeps
# every secrets file out of the build context. Without it the app listens but shows only
# "Sign-in is not set up"; with one it cannot read or parse, only "not available".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PMHC_DATA_DIR=/data \
    STREAMLIT_SERVER_ADDRESS=0.0.0.0 \
    STREAMLIT_SERVER_PORT=8501 \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none

# The system packages come from one list, installed the way .ci/run installs them.
COPY deploy/system-packages.txt deploy/install-system-packages /tmp/deploy/
RUN /tmp/deploy/install-system-packages && rm -rf /var/lib/apt/lists/* /tmp/deploy

# uid and gid 10001: the secrets file on the host is made readable by group 10001.
RUN groupadd --gid 10001 pmhc \
    && useradd --create-home --uid 10001 --gid 10001 --shell /usr/sbin/nologin pmhc \
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
