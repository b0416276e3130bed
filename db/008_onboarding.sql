-- Onboarding (issue #19): houses with a name and a place, invitations, and the broker credentials
-- handed to devices and hubs from /ui and the API.

-- A house is its site_settings row: its name and location beside its time zone and tariff.
-- (Issue #21 adds exactly the same columns the same way; `if not exists` lets both run.)
alter table site_settings
  add column if not exists name text,
  add column if not exists latitude double precision,
  add column if not exists longitude double precision;

-- An invitation to a house: a one-time random token (only its SHA-256 is kept), accepted once by
-- choosing a username and a password before it expires.
create table onboarding_invitations (
  id          bigserial primary key,
  token_hash  bytea not null unique,
  site        text not null,
  role        text not null check (role in ('viewer', 'resident', 'owner')),
  email       text,
  created_at  timestamptz not null default now(),
  created_by  text not null,
  expires_at  timestamptz not null,
  accepted_at timestamptz,
  accepted_by bigint
);
create index onboarding_invitations_site on onboarding_invitations (site);

-- Broker credentials of a device or a hub: its own username and exact client id, its house, and
-- the Mosquitto ($7$) hash of its password (the embedded broker is refilled from it at start;
-- Mosquitto's plugin keeps its own). The password itself is shown once and never stored.
create table onboarding_clients (
  id            bigserial primary key,
  site          text not null,
  kind          text not null check (kind in ('device', 'hub')),
  name          text not null,
  room          text,
  device_kind   text,
  firmware      text not null,
  topic_id      text not null,
  username      text not null unique,
  client_id     text not null unique,
  password_hash text not null,
  created_at    timestamptz not null default now(),
  created_by    text not null,
  rotated_at    timestamptz,
  revoked_at    timestamptz,
  unique (site, topic_id)
);
create index onboarding_clients_site on onboarding_clients (site);
