-- History at scale: raw readings partitioned by day (so retention drops whole partitions instead
-- of deleting rows), and 5-minute and hourly rollups (count, sum, min, max per series and bucket)
-- that long-range charts read instead of the raw rows. Partitions are created ahead of time by
-- the history maintenance (lib/history); a reading for a day without a partition lands in the
-- default partition and is never refused.

alter table readings rename to readings_before_partitioning;
alter index readings_device_ts_once rename to readings_before_partitioning_once;
alter index readings_series_time rename to readings_before_partitioning_series;
drop index readings_time;

create table readings (like readings_before_partitioning including defaults including constraints) partition by range (ts);

create table readings_default partition of readings default;
create unique index readings_device_ts_once on readings (device_id, attribute, ts) where device_ts;
create index readings_series_time on readings (device_id, attribute, ts desc);
-- Rolling up a 5-minute window reads all series at once: a BRIN index finds the window for the
-- cost of a few pages per partition, where a B-tree on ts would slow every insert.
create index readings_time_brin on readings using brin (ts);

-- The days already holding readings get their partitions now, so no old row sits in the default.
do $$
declare
  day date;
begin
  -- Today and the next three days too, so a fresh start writes into partitions from the first reading.
  for day in
    select distinct (ts at time zone 'UTC')::date from readings_before_partitioning
    union
    select (now() at time zone 'UTC')::date + n from generate_series(0, 3) n
  loop
    execute format(
      'create table %I partition of readings for values from (%L) to (%L)',
      'readings_p' || to_char(day, 'YYYYMMDD'),
      (day::timestamp at time zone 'UTC'),
      ((day + 1)::timestamp at time zone 'UTC'));
  end loop;
end $$;

insert into readings select * from readings_before_partitioning;
drop table readings_before_partitioning;

-- Numeric readings, and booleans as 0/1, aggregated per series and bucket (UTC-aligned).
create table readings_5m (
  device_id text not null,
  attribute text not null,
  bucket    timestamptz not null,
  count     integer not null,
  sum       double precision not null,
  min       double precision not null,
  max       double precision not null,
  primary key (device_id, attribute, bucket)
);
-- Rolling up rewrites all series of one bucket at a time.
create index readings_5m_bucket on readings_5m (bucket);

create table readings_1h (like readings_5m including all);

-- 5-minute buckets whose raw readings changed since they were last rolled up. The store marks
-- them in the same transaction as the readings, so a rollup never misses a committed reading.
create table rollup_pending (
  bucket timestamptz primary key
);

-- Everything stored before this migration needs rolling up once.
insert into rollup_pending (bucket)
select distinct date_bin('5 minutes', ts, timestamptz '1970-01-01 00:00:00+00') from readings
where num is not null or bool is not null;
