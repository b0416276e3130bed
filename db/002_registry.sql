-- The device registry: state and metadata of each device, latest value of each attribute, and the
-- commands sent to devices. The registry keeps all of it in memory and writes changes in batches.
alter table devices
  add column profile             text,
  add column state               text not null default 'online' check (state in ('online', 'stale', 'offline')),
  add column state_since         timestamptz not null default now(),
  add column state_reason        text not null default '',
  add column learned_interval_ms integer,
  add column availability        text,
  add column meta                jsonb not null default '{}';

create table device_attributes (
  device_id  text not null references devices (device_id) on delete cascade,
  attribute  text not null,
  num        double precision,
  bool       boolean,
  text       text,
  unit       text,
  ts         timestamptz not null,
  first_seen timestamptz not null default now(),
  primary key (device_id, attribute)
);

create table commands (
  id           uuid primary key,
  device_id    text not null,
  attribute    text not null,
  value        jsonb not null,
  topic        text not null,
  payload      text not null,
  requested_by text not null,
  requested_at timestamptz not null,
  status       text not null check (status in ('pending', 'confirmed', 'timeout', 'failed')),
  status_at    timestamptz not null,
  detail       text
);
create index commands_device on commands (device_id, requested_at desc);
