// The unmodified supabase-js sending one broadcast (a binary frame under vsn 2.0.0).
// Prints the server's acknowledgement as one JSON line and exits.
// Usage: node send_broadcast.mjs <OTTO-Q url> <key> <channel> <vsn>
import { createClient } from '@supabase/supabase-js'
import WebSocket from 'ws'

const [url, key, name, vsn] = process.argv.slice(2)
const supabase = createClient(url, key, {
  realtime: { transport: WebSocket, vsn },
  auth: { persistSession: false, autoRefreshToken: false },
})

const channel = supabase.channel(name, { config: { broadcast: { ack: true } } })
channel.subscribe(async (status) => {
  if (status !== 'SUBSCRIBED') return
  const ack = await channel.send({ type: 'broadcast', event: 'wave', payload: { from: 'js' } })
  process.stdout.write(JSON.stringify({ ack }) + '\n')
  await supabase.removeAllChannels()
  process.exit(0)
})

setTimeout(() => process.exit(2), 30000)
