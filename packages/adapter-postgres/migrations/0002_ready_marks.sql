-- Dalston PostgreSQL schema, version 2: marks for the reconciler's incremental re-enqueue.
-- Applied like 0001 (one transaction, advisory lock, search_path = the target schema).
--
-- tasks.ready_xid: the id of the transaction that last wrote the task while it was ready
-- (set on insert by the default, and by the trigger below on every update that leaves the
-- task ready). JobStore.readyMark() returns the xmin of a fresh snapshot: every transaction
-- with a lower id has ended, so "ready_xid >= mark" finds every task made ready by a change
-- that had not committed when the mark was taken, whatever the commit order.
ALTER TABLE tasks ADD COLUMN ready_xid xid8 NOT NULL DEFAULT pg_current_xact_id();

CREATE FUNCTION tasks_note_ready() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.ready_xid := pg_current_xact_id();
  RETURN NEW;
END
$$;

CREATE TRIGGER tasks_note_ready BEFORE UPDATE ON tasks
  FOR EACH ROW WHEN (NEW.status = 'ready') EXECUTE FUNCTION tasks_note_ready();

-- findReadyTasks with changedSince: only the ready tasks changed since a mark.
CREATE INDEX tasks_ready_changed ON tasks (ready_xid) WHERE status = 'ready';
