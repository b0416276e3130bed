-- Notifications that reach people (lib/notify/). Channels per user, who gets what per user and
-- site, an escalation chain per site, and the outbox: an alert transition writes its
-- notifications here in the same transaction as the alert's own state (lib/alerts/alert-store.ts
-- calls lib/notify/notify-enqueue.ts), so a crash can neither lose them nor make them twice; the
-- dispatcher claims rows with FOR UPDATE SKIP LOCKED, so several instances share the table.

-- Where a person is reached. `config` holds what may be shown (address, URL, chat id, format);
-- `secret` holds what may not (HMAC key, bot token, SMTP URL), sealed with AES-256-GCM under a
-- key derived from the credential secret (lib/notify/secret-box.ts) and never returned by the API.
create table notify_channels (
  id         bigserial primary key,
  user_id    bigint not null references auth_users (id) on delete cascade,
  kind       text not null check (kind in ('email', 'webhook', 'telegram', 'inapp')),
  name       text not null,
  config     jsonb not null default '{}',
  secret     bytea,
  enabled    boolean not null default true,
  created_at timestamptz not null default now()
);
create index notify_channels_user on notify_channels (user_id);

-- Who gets what: per user and site. Without a row a person with a role at the site gets warnings
-- and criticals in the app only. Quiet hours are minutes of the day in the site's time zone
-- (site_settings.time_zone); a critical breaks through them unless critical_breaks is false.
create table notify_preferences (
  user_id         bigint not null references auth_users (id) on delete cascade,
  site            text not null,
  min_severity    text not null default 'warning' check (min_severity in ('info', 'warning', 'critical')),
  channel_ids     bigint[] not null default '{}',
  inapp           boolean not null default true,
  quiet_start_min integer check (quiet_start_min between 0 and 1439),
  quiet_end_min   integer check (quiet_end_min between 0 and 1439),
  critical_breaks boolean not null default true,
  updated_at      timestamptz not null default now(),
  primary key (user_id, site)
);

-- Per site: if an alert is still active (unacknowledged) `delay_min` after the previous step, the
-- step's person (user_id) or everyone with the role (role) at the site is notified.
create table notify_escalation (
  site      text not null,
  step      integer not null check (step between 1 and 20),
  delay_min integer not null check (delay_min between 1 and 10080),
  user_id   bigint references auth_users (id) on delete cascade,
  role      text check (role in ('owner', 'resident', 'viewer', 'operator')),
  primary key (site, step),
  check ((user_id is null) <> (role is null))
);

-- The running chains: one row per active alert of a site that has a chain, until it is
-- acknowledged, cleared or the chain ends. The escalator takes due rows with SKIP LOCKED and
-- writes the step's notifications and the next due time in one transaction: exactly once.
create table notify_chains (
  alert_id  text primary key,
  site      text not null,
  next_step integer not null,
  due_at    timestamptz not null
);
create index notify_chains_due on notify_chains (due_at);

create table notify_outbox (
  id              bigserial primary key,
  -- What caused it: an alert transition (alert_events.id), or a message from a flow.
  source          text not null check (source in ('alert', 'message')),
  source_id       text not null,
  alert_id        text,
  site            text not null,
  user_id         bigint not null references auth_users (id) on delete cascade,
  -- Null: the in-app notification centre.
  channel_id      bigint references notify_channels (id) on delete cascade,
  channel_key     text not null,
  step            integer not null default 0,
  severity        text not null,
  title           text not null,
  body            text not null,
  state           text not null default 'pending' check (state in ('pending', 'sending', 'sent', 'failed')),
  attempts        integer not null default 0,
  next_attempt_at timestamptz not null,
  claimed_until   timestamptz,
  claimed_by      text,
  -- The message a row went out in (its own, or a digest's): fixed at the first claim so that a
  -- resend after a crash carries the same idempotency key.
  message_key     text,
  last_error      text,
  created_at      timestamptz not null,
  sent_at         timestamptz,
  read_at         timestamptz,
  unique (source, source_id, user_id, channel_key, step)
);
create index notify_outbox_due on notify_outbox (next_attempt_at) where state in ('pending', 'sending');
create index notify_outbox_user on notify_outbox (user_id, created_at desc);
create index notify_outbox_failed on notify_outbox (created_at desc) where state = 'failed';

-- Acknowledge links: one row per link handed out; used once (used_at), expiring, bound to a person.
create table notify_ack_links (
  nonce      text primary key,
  alert_id   text not null,
  site       text not null,
  user_id    bigint not null references auth_users (id) on delete cascade,
  expires_at timestamptz not null,
  used_at    timestamptz,
  note       text
);
