-- Dalston PostgreSQL schema: schedules (issue 15 part 3).
-- Applied like 0001 (one transaction, advisory lock, search_path = the target schema).
--
-- schedules: one row per recurring job definition. next_tick is computed by core (cron and
-- time zone arithmetic never run in SQL); the firing pass reads due rows by schedules_due.
CREATE TABLE schedules (
  id           text COLLATE "C" PRIMARY KEY,
  tenant_id    text COLLATE "C" NOT NULL,
  type         text,
  cron         text NOT NULL,
  timezone     text NOT NULL,
  parameters   jsonb NOT NULL CHECK (jsonb_typeof(parameters) = 'object'),
  overlap      text NOT NULL CHECK (overlap IN ('skip', 'allow')),
  catch_up     text NOT NULL CHECK (catch_up IN ('latest', 'none')),
  paused       boolean NOT NULL,
  next_tick    timestamptz,
  last_tick    timestamptz,
  last_job_id  text COLLATE "C",
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL
);
-- dueSchedules: the schedules that can fire, by (next_tick, id); paused or exhausted ones
-- are not indexed.
CREATE INDEX schedules_due ON schedules (next_tick, id) WHERE NOT paused AND next_tick IS NOT NULL;

-- schedule_ticks: the ledger that makes one job per tick hold across engine instances. The
-- primary key (schedule_id, tick) is the claim: the one INSERT that goes in fires the tick.
-- It also serves listScheduleTicks (a schedule's ticks, newest first).
CREATE TABLE schedule_ticks (
  schedule_id  text COLLATE "C" NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
  tick         timestamptz NOT NULL,
  outcome      text NOT NULL CHECK (outcome IN ('pending', 'submitted', 'skipped', 'failed')),
  job_id       text COLLATE "C",
  reason       text,
  claimed_at   timestamptz NOT NULL,
  PRIMARY KEY (schedule_id, tick)
);
-- pendingScheduleTicks: claimed ticks whose job was not submitted yet (a crashed firing).
CREATE INDEX schedule_ticks_pending ON schedule_ticks (claimed_at) WHERE outcome = 'pending';
