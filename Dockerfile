# The image of compose.yaml's workers and writer: listing-archiver with its distributed
# extra (Dramatiq and Redis' client), as `pip install 'listing-archiver[distributed]'`
# would install it, from this checkout.
FROM python:3.11-slim
WORKDIR /src
COPY . .
RUN pip install --no-cache-dir '.[distributed]' \
    && useradd --uid 1000 --create-home archiver
# Not root: the writer's data folder (a bind mount) must be writable by uid 1000.
USER archiver
WORKDIR /archive
CMD ["listing-archiver", "--help"]
