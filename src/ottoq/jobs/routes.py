"""HTTP routes for jobs: request, cancel, the scheduler, maintenance schedules."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Response, post
from litestar.params import FromPath, HeaderParameter, JSONBody

from ottoq.errors import NotFound
from ottoq.jobs import maintenance, scheduler, service
from ottoq.jobs.booking import find_window, place
from ottoq.jobs.queries import fetch_job
from ottoq.jobs.schemas import CancelResponse, JobResponse, ScheduleResponse, SchedulerResponse
from ottoq.web.docs import WRITE_ERRORS, errors, ok
from ottoq.web.models import CancelBody, JobRequestBody, ScheduleBody, SchedulerBody
from ottoq.web.runtime import rt

F = "/functions/v1"


@post(
    f"{F}/ottoq-jobs-request",
    status_code=201,
    summary="Request a job (reservation)",
    responses={
        **ok(JobResponse, "job created", 201),
        **ok(JobResponse, "idempotent replay"),
        **errors(400, 404, 409, 413, 422),
    },
)
async def jobs_request(
    request: Request[Any, Any, Any],
    data: JSONBody[JobRequestBody],
    idempotency_key: Annotated[
        str | None, HeaderParameter(name="Idempotency-Key", max_length=200)
    ] = None,
) -> Response[dict[str, Any]]:
    runtime = rt(request)
    req = service.JobRequest(
        vehicle_ref=data.vehicle_id,
        job_type=data.job_type,
        preferred_depot_id=data.preferred_depot_id,
        earliest_start_at=data.earliest_start_at,
        metadata=data.metadata,
        idempotency_key=idempotency_key,
    )
    outcome = await runtime.tx(lambda c: service.request_job(c, runtime.ctx, req))
    if outcome.created:
        return Response({"success": True, "job": outcome.job}, status_code=201)
    return Response({"success": True, "job": outcome.job, "idempotent": True}, status_code=200)


async def _cancel(request: Request[Any, Any, Any], job_id: UUID, reason: str | None) -> Any:
    runtime = rt(request)
    changed, job = await runtime.tx(lambda c: service.cancel_job(c, runtime.ctx, job_id, reason))
    message = "job cancelled" if changed else f"job already {job['state']}"
    return {"success": True, "message": message, "job_id": job_id, "job": service.public_job(job)}


@post(
    f"{F}/ottoq-jobs-cancel/{{job_id:uuid}}",
    status_code=200,
    summary="Cancel a job",
    responses={**ok(CancelResponse, "cancelled, or already finished"), **WRITE_ERRORS},
)
async def jobs_cancel_by_path(
    request: Request[Any, Any, Any],
    job_id: FromPath[UUID],
    data: JSONBody[CancelBody | None] = None,
) -> Any:
    return await _cancel(request, job_id, data.reason if data else None)


@post(
    f"{F}/ottoq-jobs-cancel",
    status_code=200,
    summary="Cancel a job named in the body",
    responses={**ok(CancelResponse, "cancelled, or already finished"), **WRITE_ERRORS},
)
async def jobs_cancel(request: Request[Any, Any, Any], data: JSONBody[CancelBody]) -> Any:
    if data.job_id is None:
        raise NotFound("job_id is required, in the path or the body")
    return await _cancel(request, data.job_id, data.reason)


@post(
    f"{F}/ottoq-scheduler",
    status_code=200,
    summary="Run one scheduler tick",
    responses={**ok(SchedulerResponse, "what moved"), **WRITE_ERRORS},
)
async def run_scheduler(
    request: Request[Any, Any, Any], data: JSONBody[SchedulerBody | None] = None
) -> dict[str, Any]:
    runtime = rt(request)
    job_id = data.job_id if data is not None else None
    if job_id is not None:
        return await runtime.tx(lambda c: _book_now(c, runtime, job_id))
    summary = await scheduler.tick(runtime.require_pool(), runtime.ctx)
    return {"success": True, **summary.as_dict()}


async def _book_now(conn: Any, runtime: Any, job_id: UUID) -> dict[str, Any]:
    job = await fetch_job(conn, job_id)
    if job is None:
        raise NotFound(f"job {job_id} not found")
    if job["state"] != "PENDING":
        message = f"job is {job['state']}; nothing to book"
        return {"success": True, "message": message, "job": service.public_job(job)}
    now = runtime.ctx.now()
    window = await find_window(conn, runtime.ctx, job, [job["depot_id"]], now)
    if window is None:
        described = await service.describe_job(conn, runtime.ctx, job)
        return {"success": True, "message": "no resource free within the horizon", "job": described}
    return {
        "success": True,
        "message": "job scheduled",
        "job": service.public_job(await place(conn, runtime.ctx, job, window, now)),
    }


@post(
    f"{F}/ottoq-schedules-upsert",
    status_code=201,
    summary="Create or update a rule",
    responses={
        **ok(ScheduleResponse, "created", 201),
        **ok(ScheduleResponse, "updated"),
        **WRITE_ERRORS,
    },
)
async def schedules_upsert(
    request: Request[Any, Any, Any], data: JSONBody[ScheduleBody]
) -> Response[dict[str, Any]]:
    runtime = rt(request)
    created, schedule = await runtime.tx(
        lambda c: maintenance.upsert_schedule(
            c, runtime.ctx, data.vehicle_id, data.rule_type, data.rule_jsonb, data.next_due_at
        )
    )
    return Response({"success": True, "schedule": schedule}, status_code=201 if created else 200)


ROUTES = [jobs_request, jobs_cancel_by_path, jobs_cancel, run_scheduler, schedules_upsert]
