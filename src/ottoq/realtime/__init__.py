"""Live updates: committed events pushed to Supabase-style websockets and to SSE streams."""
