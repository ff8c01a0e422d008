-- Up Migration
-- default_license: the licence of the event's assets that name none (an id of src/licenses.ts).
-- credit_template: how a credit is written: {credit}, {event} and {year} are filled in.
ALTER TABLE events ADD COLUMN default_license text;
ALTER TABLE events ADD COLUMN credit_template text NOT NULL DEFAULT '{credit}';
-- Licences written as text before the catalogue: the ones it knows become its ids; any other
-- text stays, shown as written.
UPDATE assets SET license = CASE lower(regexp_replace(license, '[^A-Za-z0-9.]+', '', 'g'))
    WHEN 'ccby4.0' THEN 'CC-BY-4.0' WHEN 'ccbysa4.0' THEN 'CC-BY-SA-4.0' WHEN 'ccbync4.0' THEN 'CC-BY-NC-4.0'
    WHEN 'ccbyncsa4.0' THEN 'CC-BY-NC-SA-4.0' WHEN 'ccbynd4.0' THEN 'CC-BY-ND-4.0' WHEN 'ccbyncnd4.0' THEN 'CC-BY-NC-ND-4.0'
    WHEN 'ccby3.0' THEN 'CC-BY-3.0' WHEN 'mit' THEN 'MIT' WHEN 'cc01.0' THEN 'CC0-1.0' WHEN 'cc0' THEN 'CC0-1.0' WHEN 'allrightsreserved' THEN 'all-rights-reserved'
    ELSE license END
  WHERE license IS NOT NULL;

-- Down Migration
ALTER TABLE events DROP COLUMN credit_template;
ALTER TABLE events DROP COLUMN default_license;
