-- Core schema: the network (cities, depots, resources), the fleet, jobs, the audit log,
-- maintenance schedules, webhooks and the simulator's single row. Every table carries city_id
-- so that the schema can be distributed by city (Citus) when one host is outgrown.

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TYPE ottoq_resource_type AS ENUM ('CHARGE_STALL', 'CLEAN_DETAIL_STALL', 'MAINTENANCE_BAY');
CREATE TYPE ottoq_resource_status AS ENUM ('AVAILABLE', 'RESERVED', 'BUSY', 'OUT_OF_SERVICE');
CREATE TYPE ottoq_job_type AS ENUM ('CHARGE', 'DETAILING', 'MAINTENANCE');
CREATE TYPE ottoq_job_state AS ENUM (
    'PENDING', 'SCHEDULED', 'ACTIVE', 'COMPLETED', 'CANCELLED', 'EXPIRED'
);
CREATE TYPE ottoq_vehicle_status AS ENUM (
    'IDLE', 'ON_TRIP', 'ENROUTE_DEPOT', 'AT_DEPOT', 'IN_SERVICE'
);
CREATE TYPE ottoq_entity_type AS ENUM (
    'VEHICLE', 'DEPOT', 'RESOURCE', 'JOB', 'SCHEDULE', 'SIMULATOR', 'WEBHOOK'
);

CREATE TABLE ottoq_cities (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    city_id     uuid GENERATED ALWAYS AS (id) STORED,
    name        text NOT NULL UNIQUE,
    tz          text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ottoq_depots (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    city_id       uuid NOT NULL REFERENCES ottoq_cities (id),
    name          text NOT NULL,
    address       text NOT NULL DEFAULT '',
    lat           double precision,
    lon           double precision,
    config_jsonb  jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (city_id, name)
);

CREATE TABLE ottoq_resources (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    city_id             uuid NOT NULL REFERENCES ottoq_cities (id),
    depot_id            uuid NOT NULL REFERENCES ottoq_depots (id),
    resource_type       ottoq_resource_type NOT NULL,
    index               integer NOT NULL CHECK (index > 0),
    status              ottoq_resource_status NOT NULL DEFAULT 'AVAILABLE',
    current_job_id      uuid,
    capabilities_jsonb  jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (depot_id, resource_type, index)
);

CREATE TABLE ottoq_vehicles (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    city_id            uuid NOT NULL REFERENCES ottoq_cities (id),
    home_depot_id      uuid REFERENCES ottoq_depots (id),
    oem                text NOT NULL DEFAULT '',
    external_ref       text NOT NULL UNIQUE,
    vin                text,
    plate              text,
    soc                double precision CHECK (soc BETWEEN 0 AND 1),
    odometer_km        double precision CHECK (odometer_km >= 0),
    battery_kwh        double precision CHECK (battery_kwh > 0),
    health_jsonb       jsonb NOT NULL DEFAULT '{}'::jsonb,
    status             ottoq_vehicle_status NOT NULL DEFAULT 'IDLE',
    lat                double precision,
    lon                double precision,
    last_telemetry_at  timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ottoq_jobs (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    city_id             uuid NOT NULL REFERENCES ottoq_cities (id),
    vehicle_id          uuid NOT NULL REFERENCES ottoq_vehicles (id),
    depot_id            uuid NOT NULL REFERENCES ottoq_depots (id),
    resource_id         uuid REFERENCES ottoq_resources (id),
    job_type            ottoq_job_type NOT NULL,
    state               ottoq_job_state NOT NULL DEFAULT 'PENDING',
    requested_start_at  timestamptz NOT NULL,
    scheduled_start_at  timestamptz,
    scheduled_end_at    timestamptz,
    eta_seconds         integer CHECK (eta_seconds > 0),
    duration_seconds    integer NOT NULL CHECK (duration_seconds > 0),
    -- Lower runs first; fixed at creation so the queue order never flip-flops (see priority.py).
    priority_key        double precision NOT NULL,
    arrived_at          timestamptz,
    started_at          timestamptz,
    completed_at        timestamptz,
    metadata_jsonb      jsonb NOT NULL DEFAULT '{}'::jsonb,
    idempotency_key     text UNIQUE,
    request_hash        text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (scheduled_end_at > scheduled_start_at),
    CHECK (state NOT IN ('SCHEDULED', 'ACTIVE')
           OR (resource_id IS NOT NULL AND scheduled_start_at IS NOT NULL)),
    -- Two live windows on one resource can never overlap, whatever the code above does.
    CONSTRAINT ottoq_jobs_no_double_booking EXCLUDE USING gist (
        resource_id WITH =,
        tstzrange(scheduled_start_at, scheduled_end_at) WITH &&
    ) WHERE (state IN ('SCHEDULED', 'ACTIVE'))
);

ALTER TABLE ottoq_resources
    ADD CONSTRAINT ottoq_resources_current_job_fk
    FOREIGN KEY (current_job_id) REFERENCES ottoq_jobs (id);

-- One open job per vehicle and job type.
CREATE UNIQUE INDEX ottoq_jobs_one_open_per_vehicle_type
    ON ottoq_jobs (vehicle_id, job_type) WHERE state IN ('PENDING', 'SCHEDULED', 'ACTIVE');
CREATE INDEX ottoq_jobs_pending_queue
    ON ottoq_jobs (depot_id, job_type, priority_key) WHERE state = 'PENDING';
CREATE INDEX ottoq_jobs_scheduled_start
    ON ottoq_jobs (scheduled_start_at) WHERE state = 'SCHEDULED';
CREATE INDEX ottoq_jobs_active_end
    ON ottoq_jobs (scheduled_end_at) WHERE state = 'ACTIVE';
CREATE INDEX ottoq_jobs_live_by_resource
    ON ottoq_jobs (resource_id, scheduled_start_at) WHERE state IN ('SCHEDULED', 'ACTIVE');
CREATE INDEX ottoq_jobs_by_resource_completed
    ON ottoq_jobs (resource_id, completed_at);
CREATE INDEX ottoq_jobs_by_vehicle ON ottoq_jobs (vehicle_id, created_at DESC);
CREATE INDEX ottoq_jobs_open_by_depot
    ON ottoq_jobs (depot_id, job_type, state) WHERE state IN ('PENDING', 'SCHEDULED', 'ACTIVE');

CREATE TABLE ottoq_events (
    -- The writing transaction. It comes first so that its default runs before the id is drawn:
    -- every id then belongs to a transaction that snapshots already list as running, which is
    -- what lets the outbox reader tell a gap that may still fill from one that never will.
    tx_id          xid8 NOT NULL DEFAULT pg_current_xact_id(),
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    city_id        uuid,
    entity_type    ottoq_entity_type NOT NULL,
    entity_id      uuid,
    event_type     text NOT NULL,
    payload_jsonb  jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at     timestamptz NOT NULL DEFAULT now()
);
-- Writers NOTIFY after they commit; readers wake up and read by id. The payload is only a hint.
CREATE FUNCTION ottoq_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ottoq_events', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER ottoq_events_wake_readers
    AFTER INSERT ON ottoq_events
    FOR EACH STATEMENT EXECUTE FUNCTION ottoq_events_notify();
CREATE INDEX ottoq_events_by_entity ON ottoq_events (entity_type, entity_id, id DESC);
CREATE INDEX ottoq_events_by_type ON ottoq_events (event_type, id DESC);

CREATE FUNCTION ottoq_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ottoq_events is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER ottoq_events_no_update_delete
    BEFORE UPDATE OR DELETE ON ottoq_events
    FOR EACH ROW EXECUTE FUNCTION ottoq_events_append_only();
CREATE TRIGGER ottoq_events_no_truncate
    BEFORE TRUNCATE ON ottoq_events
    FOR EACH STATEMENT EXECUTE FUNCTION ottoq_events_append_only();

CREATE TABLE ottoq_schedules (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    city_id      uuid NOT NULL REFERENCES ottoq_cities (id),
    vehicle_id   uuid NOT NULL REFERENCES ottoq_vehicles (id),
    rule_type    text NOT NULL,
    rule_jsonb   jsonb NOT NULL DEFAULT '{}'::jsonb,
    next_due_at  timestamptz,
    last_run_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (vehicle_id, rule_type)
);
CREATE INDEX ottoq_schedules_due ON ottoq_schedules (next_due_at);

CREATE TABLE ottoq_webhooks (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    city_id      uuid REFERENCES ottoq_cities (id),
    url          text NOT NULL,
    secret       text NOT NULL,
    event_types  text[] NOT NULL DEFAULT '{}',
    depot_ids    uuid[] NOT NULL DEFAULT '{}',
    is_active    boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ottoq_simulator_state (
    id             integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    -- The simulator spans every city; null marks a row shared by all of them.
    city_id        uuid,
    is_running     boolean NOT NULL DEFAULT false,
    mode           text NOT NULL DEFAULT 'demo',
    last_reset_at  timestamptz,
    next_reset_at  timestamptz,
    last_tick_at   timestamptz,
    config_jsonb   jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
INSERT INTO ottoq_simulator_state (id) VALUES (1);
