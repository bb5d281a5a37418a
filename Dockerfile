# otter-cert in a container: the release binary (Swift runtime linked in statically) on a slim Debian with only
# libcurl4 and libssl3 added (and ca-certificates, for https partners). Not built by CI (the archive is what
# .ci/release-check tests); the build stage is the Debian 12 variant of swift:6, so the binary's glibc is the runtime's.
#   docker build -t otter-cert .
#   docker run --rm --network host otter-cert run --type pos --partner-url http://127.0.0.1:3000/otter \
#       --webhook-secret S --client-id ID --client-secret S --sandbox-listen 127.0.0.1:8089 --report-dir /tmp/out
#   docker run --rm -v "$PWD:/work" -w /work otter-cert observe --type delivery --log capture.har --webhook-secret S --report-dir out
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libcurl4-openssl-dev libssl-dev pkg-config
WORKDIR /src
COPY Package.swift ./
COPY Sources Sources
COPY Tests Tests
COPY checklists checklists
COPY Fixtures Fixtures
RUN swift build -c release --static-swift-stdlib --product otter-cert \
    && mkdir -p /out/bin /out/share/otter-cert \
    && cp "$(swift build -c release --static-swift-stdlib --show-bin-path)/otter-cert" /out/bin/ \
    && cp -R checklists Fixtures /out/share/otter-cert/

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libcurl4 libssl3 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# /usr/local/bin/otter-cert finds its data in /usr/local/share/otter-cert.
COPY --from=build /out/ /usr/local/
ENTRYPOINT ["otter-cert"]
CMD ["--help"]
