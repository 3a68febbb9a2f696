"""SQL for the simulator. Vehicle and job changes write their events like the engine's do.

Parameters are typed once in a `p` row at the top of a statement. Draw keys start with
"<seed>:<run>", so that each run of the fleet draws afresh, and repeatably for a seed.
"""

from __future__ import annotations

from ottoq.jobs.tick_queries import bulk_job_update

STATE = "SELECT * FROM ottoq_simulator_state WHERE id = 1"
# One simulator step at a time, whichever process runs it: the state row is its lock.
LOCK_STATE = "SELECT * FROM ottoq_simulator_state WHERE id = 1 FOR UPDATE"
TRY_LOCK_STATE = "SELECT * FROM ottoq_simulator_state WHERE id = 1 FOR UPDATE SKIP LOCKED"

SAVE_STATE = """
UPDATE ottoq_simulator_state
SET is_running = $1, mode = $2, config_jsonb = $3, last_reset_at = $4, next_reset_at = $5,
    last_tick_at = $6, started_at = $7, next_reservation_at = $8, reservations = $9,
    resets = $10, updated_at = $11
WHERE id = 1
RETURNING *
"""

# Vehicles of the cities in scope that the simulator does not drive yet ($1 NULL: every city
# without a replay depot).
ENROLL = """
WITH ins AS (
    INSERT INTO ottoq_sim_vehicles (vehicle_id, city_id, phase, phase_until, drain_per_h,
                                    speed_kmh, reported_at, updated_at)
    SELECT v.id, v.city_id, 'PARKED', $2, 0, 0, $2, $2
    FROM ottoq_vehicles v
    WHERE CASE WHEN $1::uuid[] IS NULL
               THEN NOT EXISTS (SELECT 1 FROM ottoq_depots d
                                WHERE d.city_id = v.city_id AND d.config_jsonb ? 'replay')
               ELSE v.city_id = ANY($1::uuid[]) END
    ON CONFLICT (vehicle_id) DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM ins
"""

# Every open job of the simulated fleet, cancelled in one statement with its events.
CANCEL_OPEN_JOBS = bulk_job_update(
    """SELECT id FROM ottoq_jobs
       WHERE state IN ('PENDING', 'SCHEDULED', 'ACTIVE')
         AND vehicle_id IN (SELECT vehicle_id FROM ottoq_sim_vehicles)
       ORDER BY id LIMIT $3""",
    "state = 'CANCELLED', completed_at = $1,"
    ' metadata_jsonb = j.metadata_jsonb || \'{"cancel_reason": "simulator reset"}\'::jsonb',
)

# The reset's one statement for the whole fleet: a fresh state of charge and a trip or a
# parking spell for every vehicle, with a VEHICLE_RESET event each.
RANDOMISE_FLEET = """
WITH p AS (
    SELECT $1::text AS key, $2::timestamptz AS now, $3::float8 AS driving_share,
           $4::float8 AS trip_lo, $5::float8 AS trip_hi, $6::float8 AS park_lo,
           $7::float8 AS park_hi, $8::float8 AS drain_lo, $9::float8 AS drain_hi,
           $10::float8 AS speed_lo, $11::float8 AS speed_hi, $12::float8 AS report_s
), fleet AS (
    SELECT s.vehicle_id,
           ottoq_sim_draw(p.key || ':soc:' || s.vehicle_id) AS u_soc,
           ottoq_sim_draw(p.key || ':drive:' || s.vehicle_id) < p.driving_share AS driving,
           ottoq_sim_draw(p.key || ':until:' || s.vehicle_id) AS u_until,
           ottoq_sim_draw(p.key || ':drain:' || s.vehicle_id) AS u_drain,
           ottoq_sim_draw(p.key || ':speed:' || s.vehicle_id) AS u_speed,
           ottoq_sim_draw(p.key || ':report:' || s.vehicle_id) AS u_report
    FROM ottoq_sim_vehicles s, p
), old AS (
    -- The draws ride along with the locked rows, so that the update joins the table to one
    -- set only (two CTEs joined to each other can only be nested-looped).
    SELECT v.*, f.u_soc AS drawn_soc, f.driving AS drawn_driving
    FROM ottoq_vehicles v JOIN fleet f ON f.vehicle_id = v.id
    WHERE v.status IN ('IDLE', 'ON_TRIP')
    ORDER BY v.id FOR NO KEY UPDATE OF v
), upd AS (
    UPDATE ottoq_vehicles v
    SET soc = round((0.15 + 0.85 * o.drawn_soc)::numeric, 3)::float8,
        status = CASE WHEN o.drawn_driving THEN 'ON_TRIP' ELSE 'IDLE' END::ottoq_vehicle_status,
        updated_at = p.now
    FROM old o, p
    WHERE v.id = o.id
    RETURNING v.id, v.city_id, o.status AS old_status, v.status,
              to_jsonb(o) - 'drawn_soc' - 'drawn_driving' AS old_row, to_jsonb(v) AS new_row
), ev AS (
    INSERT INTO ottoq_events (city_id, entity_type, entity_id, event_type, payload_jsonb,
                              created_at)
    SELECT city_id, 'VEHICLE', id, 'VEHICLE_RESET',
           jsonb_build_object('table', 'ottoq_vehicles', 'from', old_status, 'to', status,
                              'old', old_row, 'new', new_row, 'reason', 'simulator reset'),
           p.now
    FROM upd, p
), sim AS (
    UPDATE ottoq_sim_vehicles s
    SET phase = CASE WHEN f.driving THEN 'DRIVING' ELSE 'PARKED' END,
        phase_until = p.now + make_interval(secs => 60 * CASE WHEN f.driving
            THEN p.trip_lo + f.u_until * (p.trip_hi - p.trip_lo)
            ELSE p.park_lo + f.u_until * (p.park_hi - p.park_lo) END),
        target_depot_id = NULL,
        drain_per_h = p.drain_lo + f.u_drain * (p.drain_hi - p.drain_lo),
        speed_kmh = p.speed_lo + f.u_speed * (p.speed_hi - p.speed_lo),
        -- Staggered, so that the fleet's readings spread over the reporting interval.
        reported_at = p.now - make_interval(secs => f.u_report * p.report_s),
        updated_at = p.now
    FROM fleet f, p
    WHERE s.vehicle_id = f.vehicle_id
    RETURNING 1
)
SELECT (SELECT count(*) FROM upd) AS vehicles, (SELECT count(*) FROM sim) AS driven
"""

# Vehicles with a window about to open set off for the depot: they arrive after a drive, a few
# minutes before the window at the earliest, or never (a no-show).
SET_OFF = """
WITH p AS (
    SELECT $1::timestamptz AS now, $2::text AS key, $3::float8 AS drive_lo,
           $4::float8 AS drive_hi, $5::float8 AS no_show_share
), booked AS (
    SELECT DISTINCT ON (j.vehicle_id) j.vehicle_id, j.id, j.depot_id, j.scheduled_start_at
    FROM ottoq_jobs j JOIN ottoq_sim_vehicles s ON s.vehicle_id = j.vehicle_id, p
    WHERE j.state = 'SCHEDULED' AND j.arrived_at IS NULL
      AND j.scheduled_start_at <= p.now + make_interval(secs => 60 * p.drive_hi)
      AND s.phase IN ('PARKED', 'DRIVING')
    ORDER BY j.vehicle_id, j.scheduled_start_at
), plan AS (
    SELECT b.vehicle_id, b.depot_id,
           CASE WHEN ottoq_sim_draw(p.key || ':no-show:' || b.id) < p.no_show_share
                THEN 'infinity'::timestamptz
                ELSE greatest(
                    p.now + make_interval(secs => 60 * (p.drive_lo + ottoq_sim_draw(
                        p.key || ':drive:' || b.id) * (p.drive_hi - p.drive_lo))),
                    b.scheduled_start_at - make_interval(secs => 300 * ottoq_sim_draw(
                        p.key || ':early:' || b.id)))
           END AS arrive_at
    FROM booked b, p
)
UPDATE ottoq_sim_vehicles s
SET phase = 'TO_DEPOT', target_depot_id = plan.depot_id, phase_until = plan.arrive_at,
    updated_at = $1::timestamptz
FROM plan
WHERE s.vehicle_id = plan.vehicle_id
RETURNING s.vehicle_id
"""

ARRIVING = """
SELECT vehicle_id, city_id, target_depot_id, phase_until FROM ottoq_sim_vehicles
WHERE phase = 'TO_DEPOT' AND phase_until <= $1::timestamptz
ORDER BY vehicle_id LIMIT $2
"""

AT_DEPOT = """
UPDATE ottoq_sim_vehicles SET phase = 'AT_DEPOT', phase_until = NULL, updated_at = $2
WHERE vehicle_id = ANY($1::uuid[])
"""

# Served, expired or cancelled: nothing more for it at the depot, so it parks a while.
LEFT_DEPOT = """
WITH p AS (
    SELECT $1::timestamptz AS now, $2::text AS key, $3::float8 AS park_lo, $4::float8 AS park_hi
), done AS (
    SELECT s.vehicle_id, ottoq_sim_draw(p.key || ':park:' || s.vehicle_id || ':' || p.now) AS u
    FROM ottoq_sim_vehicles s, p
    WHERE s.phase IN ('TO_DEPOT', 'AT_DEPOT')
      AND NOT EXISTS (SELECT 1 FROM ottoq_jobs j
                      WHERE j.vehicle_id = s.vehicle_id
                        AND j.state IN ('PENDING', 'SCHEDULED', 'ACTIVE'))
)
UPDATE ottoq_sim_vehicles s
SET phase = 'PARKED', target_depot_id = NULL, reported_at = p.now, updated_at = p.now,
    phase_until = p.now + make_interval(secs => 60 * (p.park_lo + d.u * (p.park_hi - p.park_lo)))
FROM done d, p
WHERE s.vehicle_id = d.vehicle_id
RETURNING s.vehicle_id
"""

# Trips end and parking spells end. A vehicle the depot holds (booked, at the depot) stays.
TRIPS = """
WITH p AS (
    SELECT $1::timestamptz AS now, $2::text AS key, $3::float8 AS park_lo,
           $4::float8 AS park_hi, $5::float8 AS trip_lo, $6::float8 AS trip_hi
), due AS (
    SELECT s.vehicle_id, s.phase, ottoq_sim_draw(p.key || ':' || s.vehicle_id || ':' || p.now) AS u
    FROM ottoq_sim_vehicles s, p
    WHERE s.phase IN ('PARKED', 'DRIVING') AND s.phase_until <= p.now
      AND (s.phase = 'DRIVING'
           OR EXISTS (SELECT 1 FROM ottoq_vehicles v
                      WHERE v.id = s.vehicle_id AND v.status IN ('IDLE', 'ON_TRIP')))
)
UPDATE ottoq_sim_vehicles s
SET phase = CASE d.phase WHEN 'DRIVING' THEN 'PARKED' ELSE 'DRIVING' END,
    phase_until = p.now + make_interval(secs => 60 * CASE d.phase
        WHEN 'DRIVING' THEN p.park_lo + d.u * (p.park_hi - p.park_lo)
        ELSE p.trip_lo + d.u * (p.trip_hi - p.trip_lo) END),
    reported_at = CASE d.phase WHEN 'PARKED' THEN p.now ELSE s.reported_at END,
    updated_at = p.now
FROM due d, p
WHERE s.vehicle_id = d.vehicle_id
RETURNING s.vehicle_id
"""

# The status of vehicles whose trip began or ended ($2) follows (IDLE <-> ON_TRIP) where the
# depot does not hold them. Rows another transaction holds are skipped; their status catches
# up when their next trip begins or ends.
SYNC_TRIP_STATUS = """
WITH want AS (
    SELECT v.id, CASE s.phase WHEN 'DRIVING' THEN 'ON_TRIP'
                              ELSE 'IDLE' END::ottoq_vehicle_status AS target
    FROM ottoq_sim_vehicles s JOIN ottoq_vehicles v ON v.id = s.vehicle_id
    WHERE s.vehicle_id = ANY($2::uuid[])
      AND s.phase IN ('PARKED', 'DRIVING') AND v.status IN ('IDLE', 'ON_TRIP')
      AND v.status <> CASE s.phase WHEN 'DRIVING' THEN 'ON_TRIP'
                                   ELSE 'IDLE' END::ottoq_vehicle_status
), old AS (
    SELECT v.*, w.target FROM ottoq_vehicles v JOIN want w USING (id)
    ORDER BY v.id FOR NO KEY UPDATE OF v SKIP LOCKED
), upd AS (
    UPDATE ottoq_vehicles v SET status = o.target, updated_at = $1::timestamptz
    FROM old o
    WHERE v.id = o.id AND v.status IN ('IDLE', 'ON_TRIP')
    RETURNING v.id, v.city_id, o.status AS old_status, v.status,
              to_jsonb(o) - 'target' AS old_row, to_jsonb(v) AS new_row
), ev AS (
    INSERT INTO ottoq_events (city_id, entity_type, entity_id, event_type, payload_jsonb,
                              created_at)
    SELECT city_id, 'VEHICLE', id, 'VEHICLE_STATUS_CHANGED',
           jsonb_build_object('table', 'ottoq_vehicles', 'from', old_status, 'to', status,
                              'old', old_row, 'new', new_row), $1::timestamptz
    FROM upd
)
SELECT count(*) FROM upd
"""

# Vehicles on the road whose next reading is due (or whose trip just ended), with what the
# reading will say and whether it can set a rule off (low charge, a distance rule).
# $1 now, $2 report seconds, $3 limit.
READINGS_DUE = """
SELECT s.vehicle_id, v.external_ref,
       greatest(coalesce(v.soc, 1) - s.drain_per_h * h.hours, 0) AS soc,
       coalesce(v.odometer_km, 0) + s.speed_kmh * h.hours AS odometer_km,
       greatest(coalesce(v.soc, 1) - s.drain_per_h * h.hours, 0)
           <= coalesce((d.config_jsonb->>'charge_threshold_soc')::float8, 0.20)
       AND NOT EXISTS (SELECT 1 FROM ottoq_jobs j
                       WHERE j.vehicle_id = s.vehicle_id AND j.job_type = 'CHARGE'
                         AND j.state IN ('PENDING', 'SCHEDULED', 'ACTIVE')) AS low,
       EXISTS (SELECT 1 FROM ottoq_schedules sc
               WHERE sc.vehicle_id = s.vehicle_id AND sc.rule_type = 'odometer_interval') AS ruled
FROM ottoq_sim_vehicles s
JOIN ottoq_vehicles v ON v.id = s.vehicle_id
LEFT JOIN ottoq_depots d ON d.id = v.home_depot_id
CROSS JOIN LATERAL (
    SELECT extract(epoch FROM $1::timestamptz - s.reported_at)::float8 / 3600 AS hours) h
WHERE s.phase IN ('DRIVING', 'TO_DEPOT')
  AND (s.reported_at <= $1::timestamptz - make_interval(secs => $2::float8)
       OR (s.phase = 'DRIVING' AND s.phase_until <= $1::timestamptz))
ORDER BY s.reported_at
LIMIT $3
"""

# Routine readings, many at once, applied as the telemetry endpoint applies one: a reading
# older than the vehicle's last is logged but changes nothing. $4 is the readings' time.
APPLY_READINGS = """
WITH r AS (
    SELECT * FROM unnest($1::uuid[], $2::float8[], $3::float8[]) AS r(id, soc, odometer_km)
), p AS (
    SELECT $4::timestamptz AS now
), old AS (
    SELECT v.*, r.soc AS read_soc, r.odometer_km AS read_odometer_km
    FROM ottoq_vehicles v JOIN r USING (id)
    ORDER BY v.id FOR NO KEY UPDATE OF v SKIP LOCKED
), upd AS (
    UPDATE ottoq_vehicles v
    SET soc = o.read_soc, odometer_km = o.read_odometer_km,
        last_telemetry_at = greatest(v.last_telemetry_at, p.now), updated_at = p.now
    FROM old o, p
    WHERE v.id = o.id AND p.now >= coalesce(o.last_telemetry_at, '-infinity')
    RETURNING v.id, v.city_id, o.read_soc AS soc, o.read_odometer_km AS odometer_km,
              to_jsonb(o) - 'read_soc' - 'read_odometer_km' AS old_row, to_jsonb(v) AS new_row
), ev AS (
    INSERT INTO ottoq_events (city_id, entity_type, entity_id, event_type, payload_jsonb,
                              created_at)
    SELECT city_id, 'VEHICLE', id, 'VEHICLE_TELEMETRY',
           jsonb_build_object('table', 'ottoq_vehicles',
                              'reading', jsonb_build_object('soc', soc, 'odometer_km', odometer_km,
                                                            'lat', NULL, 'lon', NULL,
                                                            'health', NULL, 'ts', p.now),
                              'applied', true, 'old', old_row, 'new', new_row), p.now
    FROM upd, p
)
SELECT id FROM upd
"""

REPORTED = """
UPDATE ottoq_sim_vehicles SET reported_at = $2, updated_at = $2
WHERE vehicle_id = ANY($1::uuid[])
"""

# A vehicle for the next reservation: any that is not already with the depot, drawn by key.
RESERVATION_VEHICLE = """
SELECT s.vehicle_id FROM ottoq_sim_vehicles s
WHERE s.phase IN ('PARKED', 'DRIVING')
ORDER BY ottoq_sim_draw($1::text || ':' || s.vehicle_id)
LIMIT 1
"""

FLEET_SIZE = "SELECT count(*) FROM ottoq_sim_vehicles"
