# Builds the one `giro` binary; every component runs from it with a different command.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release -p giro

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/giro /usr/local/bin/giro
ENTRYPOINT ["giro"]
