-- Sessions cached in each instance (src/features/auth/session-cache.ts) are dropped when their user or session
-- changes: every change to a user row, and every session that ends (logout, password change or reset,
-- disabling, refresh-token re-use; not the rotation of a refresh token, which keeps its session alive),
-- is announced on the event channel at commit, to every instance. Written here, in the database, so that no
-- code path that changes a user or ends a session can forget it.
CREATE FUNCTION proximity_notify_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('proximity_events', json_build_object(
    'type', 'auth.changed',
    'user_id', to_jsonb(OLD) ->> CASE WHEN TG_TABLE_NAME = 'users' THEN 'id' ELSE 'user_id' END
  )::text);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER users_auth_changed AFTER UPDATE OR DELETE ON "users"
  FOR EACH ROW EXECUTE FUNCTION proximity_notify_auth_changed();
--> statement-breakpoint
CREATE TRIGGER refresh_tokens_session_ended AFTER UPDATE OF "revoked_at" ON "refresh_tokens"
  FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL AND NEW.revoked_reason IS DISTINCT FROM 'rotated')
  EXECUTE FUNCTION proximity_notify_auth_changed();
--> statement-breakpoint
CREATE TRIGGER refresh_tokens_deleted AFTER DELETE ON "refresh_tokens"
  FOR EACH ROW EXECUTE FUNCTION proximity_notify_auth_changed();
