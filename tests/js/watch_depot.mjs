// The unmodified supabase-js, subscribed to one depot's stalls the way the brief shows it.
// Prints one JSON line per status change and per row change; exits after `count` changes.
// Usage: node watch_depot.mjs <OTTO-Q url> <key> <depot id> <vsn> <count> [after_id]
import { createClient } from '@supabase/supabase-js'
import WebSocket from 'ws'

const [url, key, depot, vsn, count, afterId] = process.argv.slice(2)
const print = (line) => process.stdout.write(JSON.stringify(line) + '\n')

// Node 20 has no global WebSocket, so the client is handed the `ws` package.
const supabase = createClient(url, key, {
  // after_id resumes: the socket's joins first receive what was committed after that event.
  realtime: { transport: WebSocket, vsn, params: afterId ? { after_id: afterId } : {} },
  auth: { persistSession: false, autoRefreshToken: false },
})

let seen = 0
supabase
  .channel(`depots:${depot}`)
  .on(
    'postgres_changes',
    { event: '*', schema: 'public', table: 'ottoq_resources', filter: `depot_id=eq.${depot}` },
    async (payload) => {
      print({ kind: 'change', payload })
      seen += 1
      if (seen >= Number(count)) {
        await supabase.removeAllChannels()
        process.exit(0)
      }
    },
  )
  .subscribe((status, err) => print({ kind: 'status', status, error: err ? String(err) : null }))

setTimeout(() => {
  print({ kind: 'timeout' })
  process.exit(2)
}, 30000)
