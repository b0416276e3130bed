-- The operator accounts Octopus itself made from its configuration (OCTOPUS_ADMIN_USER, the admin
-- file): a start may update only the account it made, never promote another account that happens
-- to have the configured name; and the admin file seeds its account once (a deleted one stays
-- deleted). user_id is null once the account it made is gone.
create table auth_provisioned (
  source      text not null check (source in ('environment', 'admin-file')),
  username    text not null,
  user_id     bigint references auth_users (id) on delete set null,
  created_at  timestamptz not null default now(),
  primary key (source, username)
);
