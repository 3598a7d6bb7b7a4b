# syntax=docker/dockerfile:1
#
# interact as a container: a static binary on a distroless base, run as a
# non-root user, its data (the SQLite database) on the /data volume.
#
#   docker build -t interact .
#   docker run -d --name interact -v interact-data:/data \
#     -p 8080:8080 -p 3478:3478/udp -p 3478:3478/tcp -p 50000-50199:50000-50199/udp \
#     -e INTERACT_PUBLIC_URL=https://contact.example.com -e INTERACT_TURN_PUBLIC_IP=203.0.113.7 \
#     interact
#   docker logs interact                                   # the first run's admin password
#   docker exec interact interact reset-password admin@example.com
#   docker exec interact interact backup /data/backup-$(date +%F).db
#
# Ports: 8080 pages, API and WebSockets; 3478 UDP and TCP the embedded
# STUN/TURN server; 50000-50199 UDP its relays (INTERACT_TURN_RELAY_PORTS,
# narrowed here from the binary's 49152-65535 so that it can be published).
# Behind Docker's NAT set INTERACT_TURN_PUBLIC_IP to the address browsers
# reach this host at. Several nodes: deploy/compose.yaml.

ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# A static binary (no cgo: the SQLite driver is pure Go), without paths of
# the build machine or symbol tables. The version comes from the module and
# VCS information Go stamps in from .git (interact version); without .git
# in the context it reads "devel".
RUN CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o /out/interact ./cmd/interact
# The data directory, owned by the image's non-root user (65532), so that a
# new volume mounted there is writable.
RUN mkdir -p /out/data && chown 65532:65532 /out/data && chmod 0750 /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/interact /usr/local/bin/interact
COPY --from=build --chown=65532:65532 /out/data /data
ENV INTERACT_DATA=/data \
    INTERACT_ADDR=:8080 \
    INTERACT_TURN_RELAY_PORTS=50000-50199
VOLUME /data
EXPOSE 8080/tcp 3478/udp 3478/tcp 50000-50199/udp
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/interact"]
CMD ["serve"]
