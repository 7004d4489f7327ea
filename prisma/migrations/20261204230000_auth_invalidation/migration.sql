-- Cross-instance invalidation of the in-process credential cache (api/auth/credential-cache.ts): every change
-- that can end or narrow a credential notifies channel "hangar_auth" in the same transaction, so every
-- instance drops its cached copy when the change commits, whichever code path (or a manual SQL fix) made it.
-- Payload: "key:<api key id>", "ses:<session id>" or "usr:<user id>". last_used_at / last_seen_at writes
-- do not notify (they change nothing a request is authorised on).

CREATE FUNCTION "hangar_notify_auth"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  row_id text;
BEGIN
  row_id := CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END;
  PERFORM pg_notify('hangar_auth', TG_ARGV[0] || ':' || row_id);
  RETURN NULL;
END;
$$;

CREATE TRIGGER "api_keys_notify_auth" AFTER UPDATE ON "api_keys" FOR EACH ROW
  WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
     OR OLD.scopes IS DISTINCT FROM NEW.scopes OR OLD.team_id IS DISTINCT FROM NEW.team_id
     OR OLD.user_id IS DISTINCT FROM NEW.user_id OR OLD.key_hash IS DISTINCT FROM NEW.key_hash)
  EXECUTE FUNCTION "hangar_notify_auth"('key');
CREATE TRIGGER "api_keys_notify_auth_delete" AFTER DELETE ON "api_keys" FOR EACH ROW EXECUTE FUNCTION "hangar_notify_auth"('key');

CREATE TRIGGER "sessions_notify_auth" AFTER UPDATE ON "sessions" FOR EACH ROW
  WHEN (OLD.expires_at IS DISTINCT FROM NEW.expires_at OR OLD.user_id IS DISTINCT FROM NEW.user_id
     OR OLD.token_hash IS DISTINCT FROM NEW.token_hash)
  EXECUTE FUNCTION "hangar_notify_auth"('ses');
CREATE TRIGGER "sessions_notify_auth_delete" AFTER DELETE ON "sessions" FOR EACH ROW EXECUTE FUNCTION "hangar_notify_auth"('ses');

-- Any change to a user (disabled, role, email, verification, name: GET /v1/me answers from the cached row).
CREATE TRIGGER "users_notify_auth" AFTER UPDATE OR DELETE ON "users" FOR EACH ROW EXECUTE FUNCTION "hangar_notify_auth"('usr');
