-- Home automation (issue #21): schedules, scenes, automations, their runs and the logbook, per
-- site (house). Definitions are JSON documents checked by lib/automation/ before they are saved;
-- the columns hold what the database must find or order by.

-- The site's name and location (sunrise/sunset). Issue #19 adds the same columns the same way.
alter table site_settings
  add column if not exists name text,
  add column if not exists latitude double precision,
  add column if not exists longitude double precision;

-- How long the logbook keeps its entries, per site (null: the default of lib/automation).
alter table site_settings add column if not exists logbook_days integer;

create table scenes (
  id          text primary key,
  site        text not null,
  name        text not null,
  -- [{deviceId, attribute, value}]
  targets     jsonb not null,
  -- The states before the last apply, for "restore": [{deviceId, attribute, value}]
  previous    jsonb,
  applied_at  timestamptz,
  updated_at  timestamptz not null default now(),
  updated_by  text
);
create index scenes_site on scenes (site);

create table schedules (
  id          text primary key,
  site        text not null,
  name        text not null,
  enabled     boolean not null default true,
  -- {action: {type: command|scene, …}, slots: [{kind: weekly|sun|once, …}]}
  definition  jsonb not null,
  -- The last slot time that was run or logged as missed: a restart resumes from here.
  last_slot   timestamptz,
  updated_at  timestamptz not null default now(),
  updated_by  text
);
create index schedules_site on schedules (site);

create table automations (
  id          text primary key,
  site        text not null,
  name        text not null,
  enabled     boolean not null default true,
  -- {trigger, conditions, actions, maxRunsPerHour}
  definition  jsonb not null,
  updated_at  timestamptz not null default now(),
  updated_by  text
);
create index automations_site on automations (site);

create table automation_runs (
  id            bigserial primary key,
  automation_id text not null,
  site          text not null,
  at            timestamptz not null,
  outcome       text not null check (outcome in ('done', 'skipped', 'rate-limited', 'failed')),
  detail        text,
  cause         jsonb
);
create index automation_runs_by_automation on automation_runs (automation_id, at desc);

-- One line of a house's timeline. `cause` is the chain that led to it, newest first:
-- [{kind: 'automation', id, name}, {kind: 'reading', deviceId, attribute, value, at}].
create table logbook (
  id        bigserial primary key,
  site      text not null,
  at        timestamptz not null,
  kind      text not null check (kind in ('device', 'command', 'alert', 'automation', 'schedule', 'scene')),
  device_id text,
  message   text not null,
  cause     jsonb
);
create index logbook_site_at on logbook (site, at desc);
