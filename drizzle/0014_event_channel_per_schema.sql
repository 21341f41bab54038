-- NOTIFY channels are per database, not per schema: installations (or test runs) sharing one database in
-- different schemas heard each other's events. The channel is now the schema's own: `proximity_events` in
-- `public`, `proximity_events_<first 16 hex digits of md5(schema)>` elsewhere, as src/queue/events.ts
-- (channelFor) computes it.
CREATE OR REPLACE FUNCTION proximity_notify_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(
    CASE WHEN current_schema() = 'public' THEN 'proximity_events'
         ELSE 'proximity_events_' || left(md5(current_schema()), 16) END,
    json_build_object(
      'type', 'auth.changed',
      'user_id', to_jsonb(OLD) ->> CASE WHEN TG_TABLE_NAME = 'users' THEN 'id' ELSE 'user_id' END
    )::text);
  RETURN NULL;
END;
$$;
