-- schema.sql — the PostgreSQL tables lookout --daemon writes (--pg / LOOKOUT_PG_URL). lookout runs this
-- itself, inside a transaction under an advisory lock, each time it connects: every statement is
-- idempotent, so several hosts can share one database and start at the same time.
--
-- samples: one row per watched container per tick, the same columns as metrics.csv.
-- alerts:  one row per alert transition, the same fields as container_alerts.log.
-- containers: every container seen, per host, with its latest name and image.
-- The host column is the Docker engine's host name, so several lookouts can write to one database.

CREATE TABLE IF NOT EXISTS containers (
    host            text        NOT NULL,
    container_id    text        NOT NULL,
    name            text        NOT NULL DEFAULT '',
    image           text        NOT NULL DEFAULT '',
    first_seen      timestamptz NOT NULL,
    last_seen       timestamptz NOT NULL,
    PRIMARY KEY (host, container_id)
);

CREATE TABLE IF NOT EXISTS samples (
    ts              timestamptz NOT NULL,
    host            text        NOT NULL,
    container_id    text        NOT NULL,
    name            text        NOT NULL,
    image           text        NOT NULL,
    state           text        NOT NULL,
    health          text        NOT NULL,
    up              boolean     NOT NULL,
    cpu_pct         double precision,
    cpu_limit_pct   double precision,
    mem_used_bytes  bigint,
    mem_limit_bytes bigint,
    mem_pct         double precision,
    net_rx_bps      double precision,
    net_tx_bps      double precision,
    blk_read_bps    double precision,
    blk_write_bps   double precision,
    pids            integer,
    restarts        integer     NOT NULL,
    response_ms     integer,
    http_status     integer,
    state_since     timestamptz
);
-- Time-range queries per container ("web's CPU over the last hour"); unique, so a batch written again
-- after a lost COMMIT acknowledgement adds nothing twice.
CREATE UNIQUE INDEX IF NOT EXISTS samples_container_ts ON samples (host, container_id, ts);
-- Time-range queries over every container ("what happened at 14:05").
CREATE INDEX IF NOT EXISTS samples_ts ON samples (ts);

CREATE TABLE IF NOT EXISTS alerts (
    ts              timestamptz NOT NULL,
    host            text        NOT NULL,
    seq             bigint      NOT NULL,
    level           text        NOT NULL,
    state           text        NOT NULL,
    alert           text        NOT NULL,
    container       text        NOT NULL,
    container_id    text        NOT NULL,
    value           double precision,
    threshold       double precision,
    since           timestamptz,
    msg             text        NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS alerts_key ON alerts (host, container_id, ts, seq, alert);
CREATE INDEX IF NOT EXISTS alerts_container_ts ON alerts (host, container, ts);
CREATE INDEX IF NOT EXISTS alerts_ts ON alerts (ts);
