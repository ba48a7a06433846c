-- schema.sql — the PostgreSQL tables lookout --daemon writes (--pg / LOOKOUT_PG_URL). lookout runs this
-- itself, inside a transaction under an advisory lock, each time it connects: every statement is
-- idempotent, so several hosts can share one database and start at the same time.
--
-- samples: one row per watched container per tick, the same columns as metrics.csv.
-- alerts:  one row per alert transition, the same fields as container_alerts.log.
-- containers: every container seen, per host, with its latest name and image.
-- notify_sent: the emails sent by the notifier in high-availability mode (LOOKOUT_NOTIFY_HA=pg).
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
-- Time-range queries over every container ("what happened at 14:05"), and the retention job's deletes.
CREATE INDEX IF NOT EXISTS samples_ts ON samples (ts);
-- One host over time, when many daemons share the database ("everything on web-3 last night", and
-- lookout report --from-pg --report-host). The latest row per container of a host uses samples_container_ts
-- (DISTINCT ON (host, container_id) ... ORDER BY host, container_id, ts DESC).
CREATE INDEX IF NOT EXISTS samples_host_ts ON samples (host, ts);

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
CREATE INDEX IF NOT EXISTS alerts_host_ts ON alerts (host, ts);

-- notify_sent: with LOOKOUT_NOTIFY_HA=pg, one row per alert in an email that an SMTP server accepted (or
-- refused for good), written by the instance that sent it, so that an instance taking over does not send
-- it again. An alert is identified by what every instance watching the same engine agrees on: host,
-- container id, kind, state (firing/resolved) and the start of its episode (since); instances match the
-- start within a few sampling intervals, as each samples at its own moments.
CREATE TABLE IF NOT EXISTS notify_sent (
    host            text        NOT NULL,
    container_id    text        NOT NULL,
    alert           text        NOT NULL,
    state           text        NOT NULL,
    since           timestamptz NOT NULL,
    container       text        NOT NULL,
    message_id      text        NOT NULL,
    outcome         text        NOT NULL,
    instance        text        NOT NULL,
    ts              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (host, container_id, alert, state, since, message_id)
);
CREATE INDEX IF NOT EXISTS notify_sent_ts ON notify_sent (ts);
