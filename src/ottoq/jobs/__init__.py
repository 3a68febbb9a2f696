"""Jobs: booking onto resource calendars, the pending queue and the scheduler tick."""
