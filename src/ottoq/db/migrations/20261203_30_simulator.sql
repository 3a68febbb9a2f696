-- The simulator: what each vehicle it drives is doing, the run's counters on the state row,
-- and a repeatable random draw so that set-based statements are seeded like the Python side.

-- Engine state (status, jobs, state of charge, odometer) stays in the engine's tables; this is
-- only the part the engine does not know: a trip's end, a drive to the depot, how fast it drains.
CREATE TABLE ottoq_sim_vehicles (
    vehicle_id       uuid PRIMARY KEY REFERENCES ottoq_vehicles (id) ON DELETE CASCADE,
    city_id          uuid NOT NULL REFERENCES ottoq_cities (id),
    phase            text NOT NULL CHECK (phase IN ('PARKED', 'DRIVING', 'TO_DEPOT', 'AT_DEPOT')),
    -- PARKED and DRIVING: when that ends. TO_DEPOT: when it arrives ('infinity': a no-show).
    phase_until      timestamptz,
    target_depot_id  uuid REFERENCES ottoq_depots (id),
    -- State of charge lost per hour of driving, and the speed the odometer grows at.
    drain_per_h      double precision NOT NULL CHECK (drain_per_h >= 0),
    speed_kmh        double precision NOT NULL CHECK (speed_kmh >= 0),
    -- The last reading it sent: the drain since then goes into the next one.
    reported_at      timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ottoq_sim_vehicles_due ON ottoq_sim_vehicles (phase, phase_until);
CREATE INDEX ottoq_sim_vehicles_reporting
    ON ottoq_sim_vehicles (reported_at) WHERE phase IN ('DRIVING', 'TO_DEPOT');

ALTER TABLE ottoq_simulator_state
    ADD COLUMN started_at timestamptz,
    ADD COLUMN next_reservation_at timestamptz,
    ADD COLUMN reservations bigint NOT NULL DEFAULT 0,
    ADD COLUMN resets bigint NOT NULL DEFAULT 0;

-- A uniform draw in [0, 1) fixed by its key (seed, run, vehicle, purpose): seeded randomness
-- that a single UPDATE can use for every row.
CREATE FUNCTION ottoq_sim_draw(key text) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ('x' || substr(md5(key), 1, 12))::bit(48)::bigint / 281474976710656.0
$$;
