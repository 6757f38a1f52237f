"""Import API (selling): offers and the jobs that apply offer changes. Bearer token auth."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel

from g2a_adapter._errors import RequestValidationError
from g2a_adapter.client._core import ClientCore, Flow, Spec, encode_json, json_dict
from g2a_adapter.client._models import PATH_SEGMENT, Job, JobAccepted, OfferPage, id_text

MAX_ITEMS_PER_PAGE = 100


def _data(model: type[BaseModel]) -> Callable[[bytes], Any]:
    """Parser of the Import API's `{"data": …}` wrapper."""
    return lambda body: model.model_validate(json_dict(body)["data"])


def _job_id(body: bytes) -> str:
    accepted: JobAccepted = _data(JobAccepted)(body)
    return accepted.job_id


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _segment(value: str | int, what: str) -> str:
    text = id_text(value)
    if not PATH_SEGMENT.fullmatch(text):
        raise RequestValidationError(f"invalid {what}: 1-64 letters, digits, '-' or '_'")
    return text


def _payload(payload: dict[str, Any]) -> dict[str, Any]:
    """A non-empty JSON object, strictly encodable (no NaN, infinity or non-JSON values)."""
    if not isinstance(payload, dict) or not payload:
        raise RequestValidationError("offer payload must be a non-empty JSON object")
    encode_json(payload)
    return payload


class ImportCalls:
    """Flows of the offers and jobs endpoints (shared by the sync and async services)."""

    def __init__(self, core: ClientCore) -> None:
        self._core = core
        self._offers = f"{core.import_url}/v3/sales/offers"
        self._jobs = f"{core.import_url}/v3/jobs"

    def list_offers(self, page: int, items_per_page: int) -> Flow[OfferPage]:
        if not (_is_int(page) and _is_int(items_per_page)) or (
            page < 1 or not 1 <= items_per_page <= MAX_ITEMS_PER_PAGE
        ):
            raise RequestValidationError(
                f"page must be an integer >= 1 and items_per_page an integer within "
                f"1..{MAX_ITEMS_PER_PAGE}"
            )
        spec = Spec(
            "GET",
            self._offers,
            "/v3/sales/offers",
            OfferPage.model_validate_json,
            api="import",
            params={"page": str(page), "itemsPerPage": str(items_per_page)},
        )
        result: OfferPage = yield from self._core.exchange(spec)
        return result

    def create_offer(self, payload: dict[str, Any]) -> Flow[str]:
        return (yield from self._submit("POST", self._offers, "/v3/sales/offers", payload))

    def update_offer(self, offer_id: str | int, payload: dict[str, Any]) -> Flow[str]:
        url = f"{self._offers}/{_segment(offer_id, 'offer id')}"
        return (yield from self._submit("PATCH", url, "/v3/sales/offers/{offer_id}", payload))

    def _submit(self, method: str, url: str, route: str, payload: dict[str, Any]) -> Flow[str]:
        """An offer change (not idempotent); G2A answers with the id of the job applying it."""
        spec = Spec(
            method, url, route, _job_id, api="import", json=_payload(payload), idempotent=False
        )
        job_id: str = yield from self._core.exchange(spec)
        return job_id

    def job(self, job_id: str | int) -> Flow[Job]:
        spec = Spec(
            "GET",
            f"{self._jobs}/{_segment(job_id, 'job id')}",
            "/v3/jobs/{job_id}",
            _data(Job),
            api="import",
        )
        result: Job = yield from self._core.exchange(spec)
        return result


class Offers:
    """`client.offers` of `G2AClient`."""

    def __init__(self, calls: ImportCalls, run: Callable[[Flow[Any]], Any]) -> None:
        self._calls = calls
        self._run = run

    def list(self, page: int = 1, items_per_page: int = 20) -> OfferPage:
        result: OfferPage = self._run(self._calls.list_offers(page, items_per_page))
        return result

    def create(self, payload: dict[str, Any]) -> str:
        """Submit a new offer; returns the id of the job that applies it."""
        result: str = self._run(self._calls.create_offer(payload))
        return result

    def update(self, offer_id: str | int, payload: dict[str, Any]) -> str:
        result: str = self._run(self._calls.update_offer(offer_id, payload))
        return result


class AsyncOffers:
    """`client.offers` of `AsyncG2AClient`."""

    def __init__(self, calls: ImportCalls, run: Callable[[Flow[Any]], Awaitable[Any]]) -> None:
        self._calls = calls
        self._run = run

    async def list(self, page: int = 1, items_per_page: int = 20) -> OfferPage:
        result: OfferPage = await self._run(self._calls.list_offers(page, items_per_page))
        return result

    async def create(self, payload: dict[str, Any]) -> str:
        result: str = await self._run(self._calls.create_offer(payload))
        return result

    async def update(self, offer_id: str | int, payload: dict[str, Any]) -> str:
        result: str = await self._run(self._calls.update_offer(offer_id, payload))
        return result


class Jobs:
    """`client.jobs` of `G2AClient`."""

    def __init__(self, calls: ImportCalls, run: Callable[[Flow[Any]], Any]) -> None:
        self._calls = calls
        self._run = run

    def get(self, job_id: str | int) -> Job:
        result: Job = self._run(self._calls.job(job_id))
        return result


class AsyncJobs:
    """`client.jobs` of `AsyncG2AClient`."""

    def __init__(self, calls: ImportCalls, run: Callable[[Flow[Any]], Awaitable[Any]]) -> None:
        self._calls = calls
        self._run = run

    async def get(self, job_id: str | int) -> Job:
        result: Job = await self._run(self._calls.job(job_id))
        return result
