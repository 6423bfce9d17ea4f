-- Dalston PostgreSQL schema, version 1.
-- Applied by migrate() inside one transaction under an advisory lock, with
-- search_path set to the target schema: names below are unqualified on purpose.
-- Times are timestamptz holding whole epoch milliseconds (the adapter converts exactly).
-- Ids, stages and keys use COLLATE "C" so ORDER BY matches byte-wise id order.
-- Tenant ids carry no foreign key to tenants: each store is usable on its own.

CREATE TABLE tenants (
  id          text COLLATE "C" PRIMARY KEY,
  name        text NOT NULL,
  limits      jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(limits) = 'object'),
  disabled    boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL
);

CREATE TABLE api_keys (
  id            text COLLATE "C" PRIMARY KEY,
  tenant_id     text COLLATE "C" NOT NULL,
  name          text NOT NULL,
  prefix        text COLLATE "C" NOT NULL UNIQUE,
  hash          text NOT NULL,
  scopes        text[] NOT NULL
                CHECK (scopes <@ ARRAY['jobs:read','jobs:write','sessions:read','sessions:write','admin']::text[]),
  created_at    timestamptz NOT NULL,
  expires_at    timestamptz,
  revoked_at    timestamptz,
  last_used_at  timestamptz
);
CREATE INDEX api_keys_tenant_created ON api_keys (tenant_id, created_at DESC, id DESC);

CREATE TABLE jobs (
  id                 text COLLATE "C" PRIMARY KEY,
  tenant_id          text COLLATE "C" NOT NULL,
  status             text NOT NULL
                     CHECK (status IN ('pending','running','completed','failed','cancelling','cancelled')),
  parameters         jsonb NOT NULL CHECK (jsonb_typeof(parameters) = 'object'),
  input              text,
  idempotency_key    text COLLATE "C",
  retention_days     integer NOT NULL CHECK (retention_days >= -1),
  purge_after        timestamptz,
  purged_at          timestamptz,
  error              jsonb,
  correlation_id     text NOT NULL,
  created_at         timestamptz NOT NULL,
  started_at         timestamptz,
  finished_at        timestamptz,
  created_by_key_id  text,
  version            integer NOT NULL CHECK (version >= 0),
  -- Idempotency key unique per tenant (NULLs are distinct: jobs without a key never collide).
  CONSTRAINT jobs_tenant_idempotency_key UNIQUE (tenant_id, idempotency_key),
  -- Target of the composite foreign keys that pin tasks and events to their job's tenant.
  CONSTRAINT jobs_id_tenant UNIQUE (id, tenant_id),
  -- Only a terminal job can be purged.
  CONSTRAINT jobs_purged_only_terminal
    CHECK (purged_at IS NULL OR status IN ('completed','failed','cancelled'))
);
-- listJobs: tenant's jobs newest first, keyset on (created_at, id), with or without a status filter.
CREATE INDEX jobs_tenant_created ON jobs (tenant_id, created_at DESC, id DESC);
CREATE INDEX jobs_tenant_status_created ON jobs (tenant_id, status, created_at DESC, id DESC);
-- nonTerminalJobIds / tenantsWithActiveJobs: only live jobs are indexed.
CREATE INDEX jobs_active_by_tenant ON jobs (tenant_id, id)
  WHERE status IN ('pending','running','cancelling');
-- findJobsDueForPurge: terminal, not yet purged, with a purge time.
CREATE INDEX jobs_due_for_purge ON jobs (purge_after, id)
  WHERE purged_at IS NULL AND purge_after IS NOT NULL AND status IN ('completed','failed','cancelled');

CREATE TABLE tasks (
  id                text COLLATE "C" PRIMARY KEY,
  job_id            text COLLATE "C" NOT NULL,
  tenant_id         text COLLATE "C" NOT NULL,
  position          integer NOT NULL CHECK (position >= 0),
  stage             text COLLATE "C" NOT NULL,
  queue             text NOT NULL,
  required          boolean NOT NULL,
  status            text NOT NULL
                    CHECK (status IN ('pending','ready','running','completed','failed','skipped','cancelled')),
  attempt           integer NOT NULL CHECK (attempt >= 0),
  failures          integer NOT NULL CHECK (failures >= 0),
  lost_leases       integer NOT NULL CHECK (lost_leases >= 0),
  max_attempts      integer NOT NULL CHECK (max_attempts >= 1),
  timeout_ms        bigint NOT NULL CHECK (timeout_ms >= 0),
  backoff           jsonb NOT NULL CHECK (jsonb_typeof(backoff) = 'object'),
  priority          integer NOT NULL,
  not_before        timestamptz,
  input             jsonb,
  output            jsonb,
  error             jsonb,
  lease_token       text,
  lease_expires_at  timestamptz,
  cancel_requested  boolean NOT NULL DEFAULT false,
  created_at        timestamptz NOT NULL,
  started_at        timestamptz,
  finished_at       timestamptz,
  version           integer NOT NULL CHECK (version >= 0),
  CONSTRAINT tasks_job_stage UNIQUE (job_id, stage),
  CONSTRAINT tasks_job_position UNIQUE (job_id, position),
  CONSTRAINT tasks_job FOREIGN KEY (job_id, tenant_id) REFERENCES jobs (id, tenant_id) ON DELETE CASCADE,
  -- A running task always holds a lease token (the fencing token of its attempt).
  CONSTRAINT tasks_running_has_lease CHECK (status <> 'running' OR lease_token IS NOT NULL)
);
-- findReadyTasks: ready tasks in id order.
CREATE INDEX tasks_ready ON tasks (id) WHERE status = 'ready';
-- findExpiredLeases: running tasks by lease expiry.
CREATE INDEX tasks_running_lease ON tasks (lease_expires_at, id) WHERE status = 'running';

-- Edges of the DAG: task -> the stages (of the same job) it depends on, in dependsOn order.
CREATE TABLE task_dependencies (
  task_id     text COLLATE "C" NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  position    integer NOT NULL CHECK (position >= 0),
  job_id      text COLLATE "C" NOT NULL,
  depends_on  text COLLATE "C" NOT NULL,
  PRIMARY KEY (task_id, position),
  CONSTRAINT task_dependencies_unique UNIQUE (task_id, depends_on),
  -- A dependency names an existing stage of the same job.
  CONSTRAINT task_dependencies_stage FOREIGN KEY (job_id, depends_on)
    REFERENCES tasks (job_id, stage) ON DELETE CASCADE
);
CREATE INDEX task_dependencies_job ON task_dependencies (job_id, depends_on);

-- The event log (outbox). Ids increase with every insert; per job they follow commit order
-- because updates to one job are serialised by its row lock.
CREATE TABLE events (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id       text COLLATE "C" NOT NULL,
  job_id          text COLLATE "C",
  task_id         text,
  session_id      text,
  type            text NOT NULL CHECK (type ~ '^[a-z]+\.[a-z_]+$'),
  payload         jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
  correlation_id  text,
  at              timestamptz NOT NULL,
  published_at    timestamptz,
  CONSTRAINT events_job FOREIGN KEY (job_id, tenant_id) REFERENCES jobs (id, tenant_id) ON DELETE CASCADE
);
CREATE INDEX events_tenant_id ON events (tenant_id, id);
-- readEvents for one job (always scoped by tenant), and the cascade from jobs.
CREATE INDEX events_tenant_job_id ON events (tenant_id, job_id, id);
-- unpublishedEvents (outbox relay): only unpublished rows are indexed.
CREATE INDEX events_unpublished ON events (id) WHERE published_at IS NULL;

CREATE TABLE session_records (
  id          text COLLATE "C" PRIMARY KEY,
  tenant_id   text COLLATE "C" NOT NULL,
  status      text NOT NULL CHECK (status IN ('active','completed','interrupted','error')),
  worker_id   text,
  started_at  timestamptz NOT NULL,
  ended_at    timestamptz,
  stats       jsonb NOT NULL CHECK (jsonb_typeof(stats) = 'object'),
  artifacts   jsonb NOT NULL CHECK (jsonb_typeof(artifacts) = 'object'),
  error       text,
  -- A closed record has an end time.
  CONSTRAINT session_records_closed_has_end CHECK (status = 'active' OR ended_at IS NOT NULL)
);
-- listActive (sweeper): active records by start time; activeIds / tenantsWithActive by tenant.
CREATE INDEX session_records_active_started ON session_records (started_at, id) WHERE status = 'active';
CREATE INDEX session_records_active_tenant ON session_records (tenant_id, id) WHERE status = 'active';
