-- Up Migration
-- A tus upload's SHA-256 now continues in the API process that received its bytes (OpenSSL's
-- hash, several times faster than one whose state can be saved); an upload resumed on another
-- process is read back once when complete. The saved state is no longer written or read.
ALTER TABLE resumable_uploads DROP COLUMN hash_state;

-- Down Migration
ALTER TABLE resumable_uploads ADD COLUMN hash_state bytea;
