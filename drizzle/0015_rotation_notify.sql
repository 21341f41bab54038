-- Browser sessions are cached in each instance by their cookie's refresh token (AuthService.resolveSession).
-- When that token is rotated it must stop counting as current on every instance at once: presented again it
-- is a re-use, which ends the whole session family (docs/security.md, "Sessions"). So the end of any refresh
-- token is now announced, rotation included (0011 left rotation out: the API's cache is by session, which
-- rotation keeps alive). Each instance then drops the user's cached sessions, and reads them again.
DROP TRIGGER refresh_tokens_session_ended ON "refresh_tokens";
--> statement-breakpoint
CREATE TRIGGER refresh_tokens_revoked AFTER UPDATE OF "revoked_at" ON "refresh_tokens"
  FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
  EXECUTE FUNCTION proximity_notify_auth_changed();
