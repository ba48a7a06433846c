-- queries.sql — questions people ask of the history many lookout daemons write (see README.md). Each names
-- the index it uses; run them with psql as lookout_reader. Times are UTC (timestamptz).

-- Which hosts report, and when each was last heard from (samples_host_ts).
SELECT host, max(ts) AS last_sample, count(DISTINCT container_id) AS containers_last_hour
FROM samples WHERE ts > now() - interval '1 hour'
GROUP BY host ORDER BY host;

-- The latest sample of every container of one host (samples_container_ts, read backwards per container).
SELECT DISTINCT ON (container_id) ts, name, state, health, up, cpu_pct, mem_pct, response_ms
FROM samples WHERE host = 'web-3' AND ts > now() - interval '10 minutes'
ORDER BY container_id, ts DESC;

-- One container of one host over time, five-minute averages (samples_container_ts).
SELECT date_bin('5 minutes', s.ts, timestamptz '2000-01-01') AS t, avg(cpu_pct) AS cpu, avg(mem_pct) AS mem,
       max(response_ms) AS worst_ms, bool_and(up) AS always_up
FROM samples s
JOIN containers c USING (host, container_id)
WHERE s.host = 'web-3' AND c.name = 'api' AND s.ts > now() - interval '1 day'
GROUP BY 1 ORDER BY 1;

-- Everything that happened on one host last night (samples_host_ts, alerts_host_ts).
SELECT ts, level, state, alert, container, msg
FROM alerts WHERE host = 'web-3' AND ts >= '2026-11-23 20:00Z' AND ts < '2026-11-24 06:00Z'
ORDER BY ts;

-- Alerts firing right now on any host: the last transition of each alert is "firing" (alerts_ts).
SELECT DISTINCT ON (host, container_id, alert) host, container, alert, level, ts AS since, msg, state
FROM alerts WHERE ts > now() - interval '7 days'
ORDER BY host, container_id, alert, ts DESC;
-- (keep the rows whose state is 'firing')

-- Availability per host and container over the last day, from the samples (up time / sampled time).
SELECT host, name, round(100.0 * avg(up::int), 3) AS availability_pct, count(*) AS samples
FROM samples WHERE ts > now() - interval '1 day'
GROUP BY host, name ORDER BY availability_pct, host, name;

-- With LOOKOUT_NOTIFY_HA=pg: which lookout sent which alert email (notify_sent_ts).
SELECT ts, instance, host, container, alert, state, since, message_id, outcome
FROM notify_sent WHERE ts > now() - interval '1 day' ORDER BY ts;

-- How big each table is (for sizing LOOKOUT_PG_RETENTION).
SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) AS size, reltuples::bigint AS rows_estimate
FROM pg_class WHERE relname IN ('samples', 'alerts', 'containers', 'notify_sent') ORDER BY relname;
