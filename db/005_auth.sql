-- People and scripts that may use the web API and dashboard. Passwords are bcrypt hashes; session
-- and API tokens are kept only as SHA-256 hashes, so a copy of this database logs nobody in.
create table auth_users (
  id              bigserial primary key,
  username        text not null,
  password_hash   text not null,
  -- Operators are the company: every site, the editor, all users.
  operator        boolean not null default false,
  disabled        boolean not null default false,
  failed_logins   integer not null default 0,
  locked_until    timestamptz,
  lockouts        integer not null default 0,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now()
);
create unique index auth_users_username on auth_users (lower(username));

-- A person's role at one site (house): owner > resident > viewer.
create table auth_site_roles (
  user_id  bigint not null references auth_users (id) on delete cascade,
  site     text not null,
  role     text not null check (role in ('owner', 'resident', 'viewer')),
  primary key (user_id, site)
);
create index auth_site_roles_site on auth_site_roles (site);

create table auth_sessions (
  token_hash   bytea primary key,
  user_id      bigint not null references auth_users (id) on delete cascade,
  csrf_token   text not null,
  created_at   timestamptz not null default now(),
  expires_at   timestamptz not null,
  last_seen_at timestamptz not null default now()
);
create index auth_sessions_user on auth_sessions (user_id);
create index auth_sessions_expiry on auth_sessions (expires_at);

-- Tokens for scripts: a role and the sites it covers (an operator token covers all), never more
-- than its creator may do at the time of use.
create table auth_tokens (
  id          bigserial primary key,
  token_hash  bytea not null unique,
  user_id     bigint not null references auth_users (id) on delete cascade,
  name        text not null,
  role        text not null check (role in ('operator', 'owner', 'resident', 'viewer')),
  sites       text[] not null default '{}',
  created_at  timestamptz not null default now(),
  expires_at  timestamptz,
  revoked_at  timestamptz,
  last_used_at timestamptz
);
create index auth_tokens_user on auth_tokens (user_id);
