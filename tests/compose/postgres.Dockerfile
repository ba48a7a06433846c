# tests/compose/postgres.Dockerfile — a stand-in for the postgres registry image in the compose smoke test:
# Debian's PostgreSQL 15 on the debootstrapped base, with an entrypoint that honours the same POSTGRES_DB,
# POSTGRES_USER and POSTGRES_PASSWORD variables, started as root or (as the compose file does) as postgres. The
# data directory belongs to postgres in the image, so a new volume does too. Test use only.
ARG BASE_IMAGE=local/debian:bookworm
FROM ${BASE_IMAGE}
ARG DEBIAN_FRONTEND=noninteractive
# postgres as uid and gid 999, as in the official image (the compose file's tmpfs for the socket names them).
RUN groupadd -r -g 999 postgres && useradd -r -u 999 -g postgres -d /var/lib/postgresql -s /bin/bash postgres \
 && mkdir -p /etc/postgresql-common \
 && echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.conf \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data /run/postgresql \
 && chown postgres:postgres /var/lib/postgresql/data /run/postgresql
COPY tests/compose/postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
EXPOSE 5432
ENTRYPOINT ["/bin/sh", "/usr/local/bin/postgres-entrypoint.sh"]
