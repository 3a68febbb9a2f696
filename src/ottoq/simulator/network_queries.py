"""SQL that builds a simulated network with generate_series. Ids come from md5 of a tag, so the
same size and seed make the same network, and building it again adds nothing."""

from __future__ import annotations

CITY_ID = "md5($1::text || ':city:' || {n})::uuid"
DEPOT_ID = "md5($1::text || ':depot:' || {n})::uuid"

CITIES = f"""
WITH ins AS (
    INSERT INTO ottoq_cities (id, name, tz)
    SELECT {CITY_ID.format(n="c")}, format('Sim City %s', lpad(c::text, 4, '0')),
           (ARRAY['America/New_York', 'America/Chicago', 'America/Denver',
                  'America/Los_Angeles'])[1 + c % 4]
    FROM generate_series(1, $2) c
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM ins
"""

CITY_IDS = f"SELECT {CITY_ID.format(n='c')} AS id FROM generate_series(1, $2) c"

# Depot k belongs to city ((k - 1) mod cities) + 1: two depots a city.
DEPOTS = f"""
WITH ins AS (
    INSERT INTO ottoq_depots (id, city_id, name, address, lat, lon, config_jsonb)
    SELECT {DEPOT_ID.format(n="k")}, {CITY_ID.format(n="((k - 1) % $2 + 1)")},
           format('Sim Depot %s', lpad(k::text, 4, '0')), format('%s Depot Way', k),
           25 + 20 * ottoq_sim_draw($1::text || ':lat:' || k),
           -120 + 45 * ottoq_sim_draw($1::text || ':lon:' || k), $4::jsonb
    FROM generate_series(1, $3) k
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM ins
"""

# The demo's layout per depot: charge stalls 1-40, clean/detail stalls 41-50, bays 1-2.
RESOURCES = f"""
WITH layout (kind, idx, caps) AS (
    SELECT 'CHARGE_STALL', i, '{{"power_kw": 150, "connector": "CCS"}}'::jsonb
    FROM generate_series(1, 40) i
    UNION ALL
    SELECT 'CLEAN_DETAIL_STALL', i, '{{"vacuum": true, "wash": true}}'::jsonb
    FROM generate_series(41, 50) i
    UNION ALL
    SELECT 'MAINTENANCE_BAY', i, '{{"lift": true}}'::jsonb FROM generate_series(1, 2) i
), ins AS (
    INSERT INTO ottoq_resources (id, city_id, depot_id, resource_type, index, capabilities_jsonb)
    SELECT md5(d.id::text || ':' || l.kind || ':' || l.idx)::uuid, d.city_id, d.id,
           l.kind::ottoq_resource_type, l.idx, l.caps
    FROM generate_series(1, $2) k
    JOIN ottoq_depots d ON d.id = {DEPOT_ID.format(n="k")}
    CROSS JOIN layout l
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM ins
"""

# Vehicle v lives in city ((v - 1) mod cities) + 1 and alternates between its two depots.
VEHICLES = f"""
WITH spread AS (
    SELECT v, (v - 1) % $2 + 1 AS c, ((v - 1) / $2) % 2 AS second FROM generate_series(1, $4) v
), ins AS (
    INSERT INTO ottoq_vehicles (id, city_id, home_depot_id, oem, external_ref, vin, plate, soc,
                                odometer_km, battery_kwh)
    SELECT md5($1::text || ':vehicle:' || v)::uuid, {CITY_ID.format(n="c")},
           {DEPOT_ID.format(n="CASE WHEN second = 1 AND c + $2 <= $3 THEN c + $2 ELSE c END")},
           (ARRAY['Hyundai', 'Ford', 'Tesla', 'Rivian', 'Jaguar'])[1 + v % 5],
           format('SIM-%s', lpad(v::text, 6, '0')),
           upper(substr(md5($1::text || ':vin:' || v), 1, 17)),
           upper(substr(md5($1::text || ':plate:' || v), 1, 7)),
           round((0.15 + 0.85 * ottoq_sim_draw($1::text || ':soc:' || v))::numeric, 3)::float8,
           round((50000 * ottoq_sim_draw($1::text || ':km:' || v))::numeric, 1)::float8,
           (ARRAY[77.4, 91.0, 75.0, 135.0, 90.0])[1 + v % 5]
    FROM spread
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM ins
"""
