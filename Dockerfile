# Builds the one `giro` binary; every component runs from it with a different command
# (docker-compose.yml: `giro intake`, `giro executor --provider ID`, `giro ingress`,
# `giro projection`, `giro sandbox`).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p giro

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home giro
COPY --from=build /src/target/release/giro /usr/local/bin/giro
USER giro
ENTRYPOINT ["giro"]
