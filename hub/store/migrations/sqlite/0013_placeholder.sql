-- Placeholder kept only on the w-cons branch so that 0014 loads (migrations have no gaps):
-- the real 0013 comes from another branch; drop this file when merging.
SELECT 1;
