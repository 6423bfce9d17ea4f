-- Dalston PostgreSQL schema: the trace context of a job (issue 16, OpenTelemetry).
-- Applied like 0001 (one transaction, advisory lock, search_path = the target schema).
--
-- jobs.trace_context: the W3C traceparent of the job's submit span, written once with the
-- job row and read with it by every worker, so the spans of all of the job's tasks join
-- one trace in whichever process they run, across redeliveries and a work-queue wipe
-- (the queue messages are rebuilt from these rows). NULL when no tracing SDK recorded the
-- submit. A nullable column without a default: adding it rewrites nothing.
ALTER TABLE jobs ADD COLUMN trace_context text;
