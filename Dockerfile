# syntax=docker/dockerfile:1

# Build stage: compiles the registry. libpq is the PostgreSQL client library diesel links against;
# SQLite is bundled in the binary.
FROM rust:1.95-bookworm AS builder
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY migrations migrations
COPY data data
COPY openapi openapi
RUN cargo build --release --locked

# Runtime stage: the binary, libpq and CA certificates, run as an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --home-dir /app --shell /usr/sbin/nologin registry \
    && install -d -o registry -g registry /app /app/var
WORKDIR /app
COPY --from=builder /build/target/release/khuyencong /usr/local/bin/khuyencong
USER registry
ENV BIND_ADDR=0.0.0.0:8080 LOG_FORMAT=json
EXPOSE 8080
# No HEALTHCHECK: the image has no HTTP client. Probe /healthz and /readyz from the orchestrator.
ENTRYPOINT ["khuyencong"]
CMD ["serve"]
