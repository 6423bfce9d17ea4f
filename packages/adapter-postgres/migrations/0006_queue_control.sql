-- Dalston PostgreSQL schema: queue pause switches (issue 15, queue control).
-- Applied like 0001 (one transaction, advisory lock, search_path = the target schema).
--
-- One row per queue ever paused (JobStore.setQueuePaused): the switch survives a wipe of the
-- work-queue store and every engine restart. Workers of every engine poll the whole table
-- (JobStore.queueControls, ordered by queue: the primary key serves it); it holds one small
-- row per paused queue name, so no other index.
CREATE TABLE queue_control (
  queue       text COLLATE "C" PRIMARY KEY,
  paused      boolean NOT NULL,
  changed_at  timestamptz NOT NULL
);
