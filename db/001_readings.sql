-- Telemetry: one row per reading. Readings that carry the device's own timestamp are stored once
-- per (device, attribute, ts) even when the broker redelivers them; readings timed on receipt
-- cannot be told apart from a genuine repeat and are all kept.
create table devices (
  device_id  text primary key,
  site       text not null,
  room       text not null,
  device     text not null,
  first_seen timestamptz not null default now(),
  last_seen  timestamptz not null default now()
);

create table readings (
  device_id   text not null,
  attribute   text not null,
  ts          timestamptz not null,
  num         double precision,
  bool        boolean,
  text        text,
  unit        text,
  device_ts   boolean not null,
  received_at timestamptz not null default now()
);

create unique index readings_device_ts_once on readings (device_id, attribute, ts) where device_ts;
create index readings_series_time on readings (device_id, attribute, ts desc);
create index readings_time on readings (ts);

-- Messages that could not be stored, with the reason: nothing is dropped silently.
create table dead_letters (
  id          bigserial primary key,
  received_at timestamptz not null default now(),
  topic       text,
  payload     bytea,
  code        text not null,
  reason      text not null,
  detail      jsonb
);
create index dead_letters_received on dead_letters (received_at desc);
