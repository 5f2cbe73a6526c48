-- A key's surface (docs/DISCOVERY.md): what its client sees of the catalog. '' follows the
-- key's application and the endpoint; "full" lists every tool; "discovery" lists three
-- tools that search, describe and call them.
ALTER TABLE api_keys ADD COLUMN surface TEXT NOT NULL DEFAULT '' CHECK (surface IN ('', 'full', 'discovery'));
