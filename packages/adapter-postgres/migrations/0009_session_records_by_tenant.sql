-- A tenant's session records newest first (SessionArchive.listByTenant: the console's and
-- operators' archive listing, keyset-paged on (started_at, id)).
CREATE INDEX session_records_tenant_started ON session_records (tenant_id, started_at DESC, id DESC);
