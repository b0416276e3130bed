-- Threshold alerts: every alert ever raised (open and cleared: the history), the log of their
-- transitions, each rule's pending-duration state per series (so a restart neither forgets an
-- active alert nor raises it twice), and rule lists set by message. The alert node keeps all of it
-- in memory and writes changes in batches, never once per reading.
create table alerts (
  id               text primary key,
  rule_id          text not null,
  rule_name        text not null,
  condition        text not null,
  device_id        text not null,
  site             text not null,
  room             text not null,
  device           text not null,
  attribute        text not null,
  severity         text not null check (severity in ('info', 'warning', 'critical')),
  state            text not null check (state in ('active', 'acknowledged', 'cleared')),
  cause            text not null check (cause in ('condition', 'no-data')),
  message          text not null,
  value            jsonb,
  unit             text,
  threshold        double precision,
  min              double precision,
  max              double precision,
  raised_at        timestamptz not null,
  updated_at       timestamptz not null,
  notified_at      timestamptz not null,
  repeats          integer not null default 0,
  acknowledged_by  text,
  acknowledged_at  timestamptz,
  acknowledge_note text,
  cleared_at       timestamptz,
  cleared_by       text,
  clear_reason     text
);
-- One open alert per (rule, device, attribute), enforced by the database as well as the engine.
create unique index alerts_one_open on alerts (rule_id, device_id, attribute) where state <> 'cleared';
create index alerts_raised on alerts (raised_at desc);
create index alerts_device on alerts (device_id, raised_at desc);
create index alerts_site on alerts (site, raised_at desc);

create table alert_events (
  id        bigserial primary key,
  alert_id  text not null references alerts (id) on delete cascade,
  type      text not null check (type in ('raised', 'escalated', 'acknowledged', 'cleared', 'repeated')),
  at        timestamptz not null,
  severity  text not null,
  state     text not null,
  by        text,
  note      text,
  value     jsonb,
  message   text not null
);
create index alert_events_alert on alert_events (alert_id, at);
create index alert_events_at on alert_events (at desc);

create table alert_pending (
  rule_id    text not null,
  device_id  text not null,
  attribute  text not null,
  state      jsonb not null,
  updated_at timestamptz not null default now(),
  primary key (rule_id, device_id, attribute)
);

-- Rules a flow set by message (msg.topic "rules"), kept per alert node across restarts for as
-- long as the rules in the node's editor stay the ones they replaced (editor_hash).
create table alert_rules (
  node_id     text primary key,
  rules       jsonb not null,
  editor_hash text not null,
  updated_at  timestamptz not null default now()
);
