"""The fake OpenAI service's routes: one function per operation, answering from FakeOpenAIState."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from tests.fakes import azure_routes
from tests.fakes.openai_state import SIMPLE_UPLOAD_LIMIT, APIFailure, FakeOpenAIState, now, short_id

if TYPE_CHECKING:
    from tests.fakes.openai_server import FakeOpenAI

FILE_PURPOSES = {"assistants", "batch", "fine-tune", "vision", "user_data", "evals"}


@dataclass
class Stream:
    """A server-sent-events answer: chunks sent one by one, then ``[DONE]``."""

    chunks: list[dict] = field(default_factory=list)
    delay: float = 0.0


_AZURE_DEPLOYMENT = re.compile(r"/deployments/[^/]+(/chat/completions)")


def spec_path(path: str) -> str | None:
    """The path as the OpenAI description names it (Azure deployment routes map to the plain one)."""
    return _AZURE_DEPLOYMENT.sub(r"\1", path)


def route(fake: "FakeOpenAI", method: str, path: str, query: dict, body: Any, *, azure: bool = False
          ) -> tuple[int, Any]:
    if azure:
        with fake.state.lock:
            found = _azure(fake, method, [unquote(p) for p in path.split("/") if p], query, body)
        if found is not None:
            return found
    state = fake.state
    parts = [unquote(p) for p in path.split("/") if p]
    with state.lock:
        match (method, parts):
            case ("GET", ["models"]):
                return 200, {"object": "list", "data": state.models()}
            case ("GET", ["models", model_id]):
                return 200, _model(state, model_id)
            case ("DELETE", ["models", model_id]):
                return 200, _delete_model(state, model_id)
            case ("POST", ["files"]):
                return 200, _public(_create_file(state, body))
            case ("GET", ["files"]):
                return 200, _list_files(state, query)
            case ("GET", ["files", file_id]):
                return 200, _public(state.file(file_id))
            case ("GET", ["files", file_id, "content"]):
                state.file(file_id)
                return 200, state.file_bytes[file_id]
            case ("POST", ["uploads"]):
                return 200, _create_upload(state, body)
            case ("POST", ["uploads", upload_id, "parts"]):
                return 200, _add_part(state, upload_id, body)
            case ("POST", ["uploads", upload_id, "complete"]):
                return 200, _complete_upload(state, upload_id, body)
            case ("POST", ["uploads", upload_id, "cancel"]):
                upload = _upload(state, upload_id)
                upload["status"] = "cancelled"
                return 200, upload
            case ("POST", ["fine_tuning", "jobs"]):
                return 200, state.create_job(body or {})
            case ("GET", ["fine_tuning", "jobs"]):
                jobs = [j.data for j in reversed(state.jobs.values())]
                jobs = [j for j in jobs if _metadata_matches(j.get("metadata"), query)]
                return 200, _page(jobs, query, default_limit=20)
            case ("GET", ["fine_tuning", "jobs", job_id]):
                if fake.advance_on_poll:
                    state.advance(job_id)
                return 200, state.job(job_id).data
            case ("GET", ["fine_tuning", "jobs", job_id, "events"]):
                return 200, _page(list(reversed(state.job(job_id).events)), query, default_limit=20)
            case ("GET", ["fine_tuning", "jobs", job_id, "checkpoints"]):
                page = _page(list(reversed(state.job(job_id).checkpoints)), query, default_limit=10)
                page.update(first_id=page["data"][0]["id"] if page["data"] else None,
                            last_id=page["data"][-1]["id"] if page["data"] else None)
                return 200, page
            case ("POST", ["fine_tuning", "jobs", job_id, action]) if action in ("cancel", "pause", "resume"):
                return 200, _control(state, job_id, action)
            case ("POST", ["chat", "completions"]):
                return _chat(state, body or {}, None)
            case ("POST", ["deployments", deployment, "chat", "completions"]):
                return _chat(state, body or {}, deployment)
    raise APIFailure(404, f"Unknown request URL: {method} {path}.", code="unknown_url")


def _azure(fake: "FakeOpenAI", method: str, parts: list[str], query: dict, body: Any) -> tuple[int, Any] | None:
    """Azure's answers where they differ from OpenAI's (None: the OpenAI route answers)."""
    state = fake.state
    match (method, parts):
        case ("GET", ["models"]):
            return 200, {"object": "list", "data": azure_routes.models(state)}
        case ("GET", ["models", model_id]):
            return 200, azure_routes.model(state, model_id)
        case ("POST", ["fine_tuning", "jobs"]):
            return 201, azure_routes.create_job(state, body or {})
        case ("GET", ["fine_tuning", "jobs"]):
            jobs = [azure_routes.view(j.data, j) for j in reversed(state.jobs.values())]
            return 200, _page(jobs, query, default_limit=20)
        case ("GET", ["fine_tuning", "jobs", job_id]):
            if fake.advance_on_poll:
                state.advance(job_id)
            return 200, azure_routes.view(state.job(job_id).data, state.job(job_id))
        case ("POST", ["fine_tuning", "jobs", job_id, action]) if action in ("cancel", "pause", "resume"):
            return 200, azure_routes.view(_control(state, job_id, action), state.job(job_id))
    return None


def _model(state: FakeOpenAIState, model_id: str) -> dict:
    for model in state.models():
        if model["id"] == model_id:
            return model
    raise APIFailure(404, f"The model '{model_id}' does not exist", param="model", code="model_not_found")


def _delete_model(state: FakeOpenAIState, model_id: str) -> dict:
    """Only a fine-tuned model the organisation owns can be deleted (the API: "Delete a fine-tuned model");
    a base model, or one this organisation cannot see, is refused."""
    model = _model(state, model_id)  # 404 model_not_found for one that does not exist (or was deleted)
    if model["owned_by"] != state.organization:
        raise APIFailure(403, f"You do not have permission to delete the model {model_id}: only fine-tuned models "
                              "owned by your organization can be deleted.", param="model")
    state.deleted_models.add(model_id)
    return {"id": model_id, "object": "model", "deleted": True}


def _public(record: dict) -> dict:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def _create_file(state: FakeOpenAIState, form: Any) -> dict:
    if not isinstance(form, dict) or "file" not in form or not isinstance(form["file"], tuple):
        raise APIFailure(400, "Missing required parameter: 'file'.", param="file")
    purpose = form.get("purpose")
    if purpose not in FILE_PURPOSES:
        raise APIFailure(400, f"'{purpose}' is not one of {sorted(FILE_PURPOSES)} - 'purpose'", param="purpose")
    filename, content = form["file"]
    if len(content) > SIMPLE_UPLOAD_LIMIT:
        raise APIFailure(413, "File is too large; use the Uploads API.", param="file")
    return state.add_file(filename or "upload.jsonl", purpose, content)


def _list_files(state: FakeOpenAIState, query: dict) -> dict:
    files = [_public(f) for f in reversed(state.files.values())
             if not query.get("purpose") or f["purpose"] == query["purpose"]]
    page = _page(files, query, default_limit=10000)
    page.update(first_id=page["data"][0]["id"] if page["data"] else "",
                last_id=page["data"][-1]["id"] if page["data"] else "")
    return page


def _create_upload(state: FakeOpenAIState, body: Any) -> dict:
    body = body or {}
    for name in ("filename", "purpose", "bytes", "mime_type"):
        if name not in body:
            raise APIFailure(400, f"Missing required parameter: '{name}'.", param=name)
    if body["purpose"] not in ("assistants", "batch", "fine-tune", "vision"):
        raise APIFailure(400, f"Invalid purpose: {body['purpose']}", param="purpose")
    upload = {"id": short_id("upload_"), "object": "upload", "created_at": now(), "filename": body["filename"],
              "bytes": body["bytes"], "purpose": body["purpose"], "status": "pending",
              "expires_at": now() + state.upload_lifetime, "file": None}
    state.uploads[upload["id"]] = upload
    state.upload_parts[upload["id"]] = {}
    return upload


def _upload(state: FakeOpenAIState, upload_id: str, *, pending: bool = True) -> dict:
    """An upload by id; with ``pending``, one that still takes parts (an hour after its creation it has expired:
    status ``expired``, and adding a part, completing or cancelling it is refused with a 400)."""
    upload = state.uploads.get(upload_id)
    if upload is None:
        raise APIFailure(404, f"No such Upload: {upload_id}", param="upload_id")
    if upload["status"] == "pending" and now() >= upload["expires_at"]:
        upload["status"] = "expired"
        state.upload_parts[upload_id].clear()  # the service drops an expired upload's bytes
    if pending and upload["status"] != "pending":
        raise APIFailure(400, f"Upload {upload_id} is {upload['status']}; only a pending Upload takes parts, "
                              "completes or is cancelled." + (" Uploads expire an hour after they are created: "
                                                              "create a new one." if upload["status"] == "expired"
                                                              else ""))
    return upload


def _add_part(state: FakeOpenAIState, upload_id: str, form: Any) -> dict:
    _upload(state, upload_id)
    if not isinstance(form, dict) or not isinstance(form.get("data"), tuple):
        raise APIFailure(400, "Missing required parameter: 'data'.", param="data")
    part_id = short_id("part_")
    state.upload_parts[upload_id][part_id] = form["data"][1]
    return {"id": part_id, "object": "upload.part", "created_at": now(), "upload_id": upload_id}


def _complete_upload(state: FakeOpenAIState, upload_id: str, body: Any) -> dict:
    upload = _upload(state, upload_id)
    if upload["status"] != "pending":
        raise APIFailure(400, f"Upload {upload_id} is {upload['status']}; only a pending upload can be completed.")
    part_ids = (body or {}).get("part_ids") or []
    parts = state.upload_parts[upload_id]
    unknown = [p for p in part_ids if p not in parts]
    if unknown:
        raise APIFailure(400, f"Unknown part ids: {unknown}", param="part_ids")
    content = b"".join(parts[p] for p in part_ids)
    if len(content) != upload["bytes"]:
        raise APIFailure(400, f"The parts add up to {len(content)} bytes; the upload was created for "
                              f"{upload['bytes']}.", param="part_ids")
    record = state.add_file(upload["filename"], upload["purpose"], content)
    upload.update(status="completed", file=_public(record))
    return upload


def _metadata_matches(metadata: dict | None, query: dict) -> bool:
    wanted = {k[len("metadata["):-1]: v for k, v in query.items() if k.startswith("metadata[")}
    return all((metadata or {}).get(k) == v for k, v in wanted.items())


def _page(items: list[dict], query: dict, *, default_limit: int) -> dict:
    """Cursor pagination as the API does it: ``after`` is the id of the last item already seen."""
    start = 0
    if query.get("after"):
        ids = [item["id"] for item in items]
        start = ids.index(query["after"]) + 1 if query["after"] in ids else len(items)
    limit = int(query.get("limit") or default_limit)
    chunk = items[start:start + limit]
    return {"object": "list", "data": chunk, "has_more": start + limit < len(items)}


def _control(state: FakeOpenAIState, job_id: str, action: str) -> dict:
    job = state.job(job_id)
    allowed = {"cancel": ("validating_files", "queued", "running", "paused"), "pause": ("running",),
               "resume": ("paused",)}[action]
    if job.status not in allowed:
        raise APIFailure(400, f"Cannot {action} a job that is {job.status}.", param="fine_tuning_job_id")
    job.data["status"] = {"cancel": "cancelled", "pause": "paused", "resume": "running"}[action]
    if action == "cancel":
        job.data["finished_at"] = now()
    state._event(job, f"Job {job.data['status']}")
    return job.data


def _chat(state: FakeOpenAIState, body: dict, deployment: str | None) -> tuple[int, Any]:
    model = deployment or body.get("model")
    if deployment is not None and state.azure_serving is not None and not state.azure_serving(deployment):
        raise azure_routes.deployment_not_found()
    if not body.get("messages"):
        raise APIFailure(400, "Missing required parameter: 'messages'.", param="messages")
    known = {m["id"] for m in state.models()} | {c["fine_tuned_model_checkpoint"] for j in state.jobs.values()
                                                 for c in j.checkpoints}
    if deployment is None and model not in known:
        raise APIFailure(404, f"The model `{model}` does not exist or you do not have access to it.",
                         param="model", code="model_not_found")
    state.chat_requests.append(body)
    text, count = state.reply_text, max(1, state.reply_chunks)
    base = {"id": short_id("chatcmpl-"), "created": now(), "model": model}
    if not body.get("stream"):
        message = {"role": "assistant", "content": text, "refusal": None}
        answer = state.reply_fn(body) if state.reply_fn else text
        if isinstance(answer, dict):  # tool calls, as the service sends them: content null, finish "tool_calls"
            message.update(content=answer.get("content"), tool_calls=[
                {"id": short_id("call_"), "type": "function", "function": call} for call in answer["tool_calls"]])
        else:
            message["content"] = answer
        prompt, completion = state.usage_fn(body) if state.usage_fn else (10, 5)
        return 200, {**base, "object": "chat.completion", "choices": [{
            "index": 0, "finish_reason": "tool_calls" if message.get("tool_calls") else "stop", "logprobs": None,
            "message": message}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                      "total_tokens": prompt + completion}}
    size = -(-len(text) // count)
    pieces = [text[i:i + size] for i in range(0, len(text), size)] or [""]
    chunk = {**base, "object": "chat.completion.chunk"}
    chunks = [{**chunk, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                     "finish_reason": None}]}]
    chunks += [{**chunk, "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]} for p in pieces]
    chunks.append({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return 200, Stream(chunks, delay=state.stream_delay)
