-- Dalston PostgreSQL schema, version 3: the write path (issue 13).
-- Applied like 0001 (one transaction, advisory lock, search_path = the target schema).
-- Upgrades a database with data in place: unpublished events move to the outbox table.
--
-- 1. jobs.rev: a counter only the store writes. Every applied updateJob (and markPurged)
--    raises it by one, under the job's row lock. updateJob reads the job with its tasks and
--    rev without any lock, runs decide, then applies the change with dalston_apply below,
--    which locks the job row and applies only if rev is still the one read: the change was
--    decided on the newest committed state of the job, exactly as if the read had held the
--    lock. A different rev means a concurrent writer committed in between ('stale'): the
--    adapter reads again and decides again.
ALTER TABLE jobs ADD COLUMN rev bigint NOT NULL DEFAULT 0;

-- 2. HOT-friendly updates: room on each page for the new versions of the rows updated in
--    place (rev-only job updates change no indexed column, so they stay on the page).
ALTER TABLE jobs SET (fillfactor = 80);
ALTER TABLE tasks SET (fillfactor = 70);

-- 3. The outbox: one small row per unpublished event, deleted when it is published,
--    instead of an UPDATE of the (large, many-indexed) event row. An event is unpublished
--    exactly when its id is in this table.
CREATE TABLE outbox (event_id bigint PRIMARY KEY);
INSERT INTO outbox (event_id) SELECT id FROM events WHERE published_at IS NULL;
DROP INDEX events_unpublished;
ALTER TABLE events DROP COLUMN published_at;

-- 4. Indexes no query needs: a job's tasks are read by tasks_job_stage (job_id prefix) and
--    sorted by position (a job has a handful of tasks); positions are written by createJob
--    from the input order, so they cannot collide.
ALTER TABLE tasks DROP CONSTRAINT tasks_job_position;

-- 5. One statement applies the changes of several jobs (group commit), each job on its own:
--    'applied' (with the new event ids in insert order), 'stale' (rev moved: re-read and
--    re-decide), 'conflict' (the change's own compare-and-set does not hold on the current
--    state: nothing of it is written) or 'not_found'. Every check runs before any write of
--    that job, so a refused job leaves nothing behind while the others still apply. Jobs
--    are locked in id order, so two batches never wait on each other in a cycle.
--    `batch` is a JSON array of {id, rev, job, tasks, events} built by job-writes.ts; each
--    answer names its item by its index in the array (o_ix). Two items for one job apply in
--    array order, the second seeing the first's rev.
CREATE FUNCTION dalston_apply(batch jsonb)
RETURNS TABLE (o_ix integer, o_outcome text, o_events bigint[])
LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
DECLARE
  c jsonb;
  cur record;
  n integer;
  jid text;
BEGIN
  FOR c, o_ix IN SELECT b.value, b.ordinality - 1 FROM jsonb_array_elements(batch) WITH ORDINALITY b ORDER BY (b.value->>'id') COLLATE "C", b.ordinality LOOP
    jid := c->>'id';
    o_events := NULL;
    SELECT j.rev, j.status, j.version INTO cur FROM jobs j WHERE j.id = jid FOR UPDATE;
    IF NOT FOUND THEN
      o_outcome := 'not_found';
      RETURN NEXT;
      CONTINUE;
    END IF;
    IF cur.rev <> (c->>'rev')::bigint THEN
      o_outcome := 'stale';
      RETURN NEXT;
      CONTINUE;
    END IF;
    IF jsonb_typeof(c->'job') = 'object' AND (cur.status <> c->'job'->>'exp_status'
        OR cur.version <> (c->'job'->>'exp_version')::integer) THEN
      o_outcome := 'conflict';
      RETURN NEXT;
      CONTINUE;
    END IF;
    SELECT count(*) INTO n
      FROM jsonb_to_recordset(c->'tasks') w(id text, exp_status text, exp_attempt integer, exp_lease_token text)
      JOIN tasks x ON x.id = w.id AND x.job_id = jid AND x.status = w.exp_status
        AND x.attempt = w.exp_attempt AND x.lease_token IS NOT DISTINCT FROM w.exp_lease_token;
    IF n <> jsonb_array_length(c->'tasks') THEN
      o_outcome := 'conflict';
      RETURN NEXT;
      CONTINUE;
    END IF;
    IF n > 0 THEN
      UPDATE tasks x SET required = w.required, status = w.status, attempt = w.attempt,
          failures = w.failures, lost_leases = w.lost_leases, max_attempts = w.max_attempts,
          timeout_ms = w.timeout_ms, backoff = w.backoff, priority = w.priority,
          not_before = w.not_before, input = w.input, output = w.output, error = w.error,
          lease_token = w.lease_token, lease_expires_at = w.lease_expires_at,
          cancel_requested = w.cancel_requested, started_at = w.started_at,
          finished_at = w.finished_at, version = w.version
        FROM jsonb_to_recordset(c->'tasks') w(id text, required boolean, status text,
          attempt integer, failures integer, lost_leases integer, max_attempts integer,
          timeout_ms bigint, backoff jsonb, priority integer, not_before timestamptz,
          input jsonb, output jsonb, error jsonb, lease_token text, lease_expires_at timestamptz,
          cancel_requested boolean, started_at timestamptz, finished_at timestamptz, version integer)
        WHERE x.id = w.id AND x.job_id = jid;
    END IF;
    IF jsonb_typeof(c->'job') = 'object' THEN
      UPDATE jobs x SET status = w.status, parameters = w.parameters, input = w.input,
          retention_days = w.retention_days, purge_after = w.purge_after, purged_at = w.purged_at,
          error = w.error, correlation_id = w.correlation_id, started_at = w.started_at,
          finished_at = w.finished_at, created_by_key_id = w.created_by_key_id,
          version = w.version, rev = x.rev + 1
        FROM jsonb_to_record(c->'job') w(status text, parameters jsonb, input text,
          retention_days integer, purge_after timestamptz, purged_at timestamptz, error jsonb,
          correlation_id text, started_at timestamptz, finished_at timestamptz,
          created_by_key_id text, version integer)
        WHERE x.id = jid;
    ELSE
      UPDATE jobs x SET rev = x.rev + 1 WHERE x.id = jid;
    END IF;
    IF jsonb_array_length(c->'events') > 0 THEN
      WITH e AS (
        INSERT INTO events (type, tenant_id, job_id, task_id, session_id, payload, correlation_id, at)
        SELECT w.type, w.tenant_id, w.job_id, w.task_id, w.session_id, w.payload, w.correlation_id, w.at
          FROM ROWS FROM (jsonb_to_recordset(c->'events') AS (type text, tenant_id text,
            job_id text, task_id text, session_id text, payload jsonb, correlation_id text,
            at timestamptz)) WITH ORDINALITY
            w(type, tenant_id, job_id, task_id, session_id, payload, correlation_id, at, ord)
          ORDER BY w.ord
        RETURNING id
      ), o AS (INSERT INTO outbox (event_id) SELECT e.id FROM e)
      SELECT array_agg(e.id ORDER BY e.id) INTO o_events FROM e;
    ELSE
      o_events := '{}';
    END IF;
    o_outcome := 'applied';
    RETURN NEXT;
  END LOOP;
END
$fn$;

-- 6. extendLease raises rev too (a changed lease_expires_at is a change of the job's state
--    that decide may read: a take-over of an expired lease must not be decided on an older
--    expiry). The job row is locked before the task row, the order dalston_apply and
--    deleteJob use, so the two never wait on each other in a cycle.
CREATE FUNCTION dalston_extend_lease(p_task text, p_attempt integer, p_token text, p_at timestamptz)
RETURNS boolean
LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
DECLARE
  jid text;
BEGIN
  SELECT t.job_id INTO jid FROM tasks t WHERE t.id = p_task;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  PERFORM 1 FROM jobs j WHERE j.id = jid FOR UPDATE;
  UPDATE tasks t SET lease_expires_at = p_at
    WHERE t.id = p_task AND t.status = 'running' AND t.attempt = p_attempt AND t.lease_token = p_token;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  UPDATE jobs j SET rev = j.rev + 1 WHERE j.id = jid;
  RETURN true;
END
$fn$;
