"""Live updates: committed events pushed to Supabase-style websockets and to SSE streams.

How clients use it:

- Websocket `/realtime/v1/websocket?apikey=<anon or service key>&vsn=1.0.0|2.0.0`, the Phoenix
  channel protocol of Supabase's clients: `createClient(OTTOQ_URL, KEY).channel(name)`.
  `postgres_changes` bindings may name `ottoq_resources`, `ottoq_jobs`, `ottoq_vehicles` or
  `ottoq_events` (schema `public`), an event (`*`, INSERT, UPDATE) and a PostgREST filter
  (`depot_id=eq.<id>`); UPDATEs carry the old row too.
- The brief's channels `ottoq`, `depots:<depot id>` and `vehicles:<vehicle id>`: a join that
  names no bindings receives their events as broadcasts named by event type, whose payload is
  the event row (id, entity, type, payload with old and new rows, created_at).
- SSE `/realtime/v1/sse?channel=depots:<id>&apikey=...`: the same events, the event id as the
  SSE id, so a browser's EventSource resumes by itself through Last-Event-ID.
- Resuming a websocket: connect with `after_id=<last event id seen>` (both SDKs take extra
  socket `params`); each join on that socket first receives what it missed. Clients learn ids
  from broadcasts (`meta.id`) or from `ottoq_events` rows.
- A connection more than `queue_limit` messages behind is closed with code 1013 (SSE: an
  `error` event) and the reason; it reconnects with its last id and loses nothing.
"""
