-- Change notifications for several hubs on one database are PostgreSQL's (its 0006_notify.sql):
-- a SQLite database serves one hub. This file keeps the two dialects' versions in step.
SELECT 1;
