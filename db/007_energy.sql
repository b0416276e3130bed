-- Energy: counters turned into consumption, per site time zone and tariff.
--
-- Rollups gain the first and last value of each bucket and the bucket's reset-aware increase
-- (`delta`): the sum of the steps between consecutive readings inside the bucket, where a drop
-- to less than half the previous value is a meter reset (the new value counts as consumed since
-- the reset) and a smaller drop is noise (counts 0, never negative). The step from one bucket's
-- last value to the next one's first is taken at query time, so a late reading in one bucket
-- never leaves its neighbour's delta stale. Computed for every numeric series: whether a series
-- is a counter is decided (and may be changed) later, without re-rolling history.

create function octopus_counter_step(prev double precision, cur double precision) returns double precision
language sql immutable parallel safe as $$
  select case
    when prev is null or cur is null then 0
    when cur >= prev then cur - prev
    when cur < prev / 2 then greatest(cur, 0)
    else 0
  end
$$;

alter table readings_5m add column first double precision, add column last double precision, add column delta double precision;
alter table readings_1h add column first double precision, add column last double precision, add column delta double precision;

-- Buckets whose raw readings still exist are rolled up again to gain first/last/delta; older ones
-- (raw past retention) keep nulls and count as unknown consumption.
insert into rollup_pending (bucket)
select distinct date_bin('5 minutes', ts, timestamptz 'epoch') from readings
 where num is not null or bool is not null
on conflict do nothing;

-- What kind of quantity an attribute is, when someone said so: a person in /ui or the API
-- ('user'), or the device's own discovery ('device'). Attributes without a row are classified
-- from their unit and name (lib/energy/attribute-class.ts).
create table attribute_classes (
  device_id  text not null,
  attribute  text not null,
  class      text not null check (class in ('measurement', 'counter', 'state')),
  source     text not null check (source in ('user', 'device')),
  updated_at timestamptz not null default now(),
  updated_by text,
  primary key (device_id, attribute)
);

-- Per site (house): the time zone its days, weeks, months and years are counted in, and an
-- optional tariff (price per unit and time-of-use windows, lib/energy/tariff.ts).
create table site_settings (
  site       text primary key,
  time_zone  text not null default 'UTC',
  tariff     jsonb,
  updated_at timestamptz not null default now(),
  updated_by text
);
