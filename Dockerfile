# Unrolled: a slim image with the CPU build of PyTorch and the built-in models baked in.
# tests/test_dockerfile.py runs its pip installs, CMD and HEALTHCHECK in a fresh venv.
FROM python:3.11-slim

# The CPU build first, in a layer of its own: a bare `torch` requirement would pull a
# multi-GB CUDA build, and a change to the code does not download it again.
RUN pip install --no-cache-dir "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu

# Installed, not editable: the app runs from site-packages, pages and scripts included.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY models ./models
COPY server ./server
COPY templates ./templates
COPY static ./static
RUN pip install --no-cache-dir .

RUN useradd --create-home --uid 10001 unrolled
USER unrolled
WORKDIR /home/unrolled
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["unrolled", "serve", "--host", "0.0.0.0", "--port", "8000"]
