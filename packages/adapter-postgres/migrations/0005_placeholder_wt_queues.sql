-- Placeholder (branch wt-queues only): keeps the migrations contiguous up to this branch's
-- 0007_queue_control.sql while other branches own numbers 4-6. Delete at merge; the lead renumbers.
SELECT 1;
