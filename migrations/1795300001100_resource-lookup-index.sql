-- Up Migration

-- One resource's hours (a machine's page, the resources endpoint's look-up of where a resource
-- runs) found through the index instead of every hour of the organization: without it a month
-- of a 10,000-machine organization is ~8 million index entries to filter for one machine's
-- ~1,500 rows. A rebuild's fresh tables copy it (CREATE TABLE ... LIKE ... INCLUDING ALL).
CREATE INDEX usage_resource_hourly_by_resource ON usage_resource_hourly (org, resource, hour);

-- Down Migration
DROP INDEX usage_resource_hourly_by_resource;
