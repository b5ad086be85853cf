# Unrolled: a slim image with the CPU build of PyTorch and the built-in models baked in.
FROM python:3.11-slim

RUN useradd --create-home --uid 10001 unrolled
WORKDIR /app
COPY pyproject.toml README.md ./
COPY models ./models
COPY server ./server
COPY templates ./templates
COPY static ./static
RUN pip install --no-cache-dir "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu \
    && pip install --no-cache-dir -e .

USER unrolled
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["unrolled", "serve", "--host", "0.0.0.0", "--port", "8000"]
