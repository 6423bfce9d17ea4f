-- Row retention (JobStore.deleteExpiredJobRows): purged jobs in (finished_at, id) order.
-- A purged job is terminal (CHECK jobs_purged_only_terminal) and its objects are gone, so
-- this index holds exactly the jobs whose rows retention may delete once they are old
-- enough; jobs not yet purged (all live and recent jobs) are not in it.
CREATE INDEX jobs_row_retention ON jobs (finished_at, id) WHERE purged_at IS NOT NULL;
