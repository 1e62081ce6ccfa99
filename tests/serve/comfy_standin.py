"""A ComfyUI stand-in that answers like the real server (ComfyUI 0.3.64) on the endpoints promptlab uses.

ComfyUI itself is not installable here (it is distributed from its git repository, not a package
registry). The stand-in validates every workflow with the real server's node definitions
(``comfy_validate``: types, required inputs, ranges, combo lists, links) and answers 400 with the
real ``node_errors`` shape; runs one prompt at a time from a shared queue (several clients);
``/queue {"delete": [...]}`` removes waiting prompts; ``/interrupt`` answers 200 with an **empty
body** and, given ``{"prompt_id"}``, stops only that prompt; an execution error arrives on ``/ws``
and in ``/history`` as the real server sends it. Images are painted from the seed so tests can check
which seed ran, at the size the latent nodes give.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import uuid
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, Response

from tests.serve.comfy_validate import node_definitions, validate_prompt

CHECKPOINTS = ["anime/alpha.safetensors", "beta.safetensors"]
LORAS = ["detail_tweaker.safetensors", "style/flat.safetensors"]
VAES = ["ft.safetensors", "pixel_space"]
FAIL_MARKER = "FAIL_IN_NODE"   # a prompt text holding this fails during execution, like a node raising


def validate(graph: dict) -> dict:
    """node_errors of ``graph`` against the stand-in's node definitions ({} when it would be queued)."""
    error, node_errors = validate_prompt(graph, _definitions())
    if error is not None and not node_errors:
        return {"prompt": {"errors": [error], "class_type": None}}
    return node_errors


def _definitions() -> dict:
    return node_definitions({("CheckpointLoaderSimple", "ckpt_name"): CHECKPOINTS,
                             ("LoraLoader", "lora_name"): LORAS, ("VAELoader", "vae_name"): VAES})


def _latent_size(graph: dict, node_id: str, uploads: dict | None = None) -> tuple[int, int]:
    node = graph[node_id]
    inputs, kind = node["inputs"], node["class_type"]
    if kind == "EmptyLatentImage":   # latents are 1/8 of the pixels: sizes round down to multiples of 8
        return inputs["width"] // 8 * 8, inputs["height"] // 8 * 8
    if kind == "VAEEncode":   # the size of the uploaded image LoadImage reads
        return (uploads or {})[graph[str(inputs["pixels"][0])]["inputs"]["image"]]
    source = next(v for k, v in inputs.items() if isinstance(v, list) and k in ("samples", "latent_image"))
    w, h = _latent_size(graph, str(source[0]), uploads)
    if kind == "LatentUpscaleBy":
        return int(w * inputs["scale_by"]), int(h * inputs["scale_by"])
    if kind in ("LatentUpscale", "LatentCrop"):
        return (inputs["width"] or w) // 8 * 8, (inputs["height"] or h) // 8 * 8
    return w, h


def create_standin(step_delay: float = 0.0, new_combo_format: bool = False) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        task = asyncio.create_task(worker())
        yield
        task.cancel()

    app = FastAPI(lifespan=lifespan)
    defs = _definitions()
    sockets: dict[str, WebSocket] = {}
    history: dict[str, dict] = {}
    files: dict[str, bytes] = {}
    pending: list[tuple[str, dict, str]] = []
    state = {"received": [], "counter": itertools.count(), "running": None, "interrupt": None,
             "interrupt_bodies": [], "executed": [], "deleted": [], "uploads": {}}
    wake = asyncio.Event()
    app.state.standin = state

    @app.get("/object_info/{node}")
    def object_info(node: str):
        if node not in defs:
            return {}
        info = {**defs[node], "name": node}
        if new_combo_format:
            info = {**info, "input": {"required": {
                k: (["COMBO", {"options": v[0]}] if isinstance(v[0], list) else v)
                for k, v in info["input"]["required"].items()}}}
        return {node: info}

    @app.websocket("/ws")
    async def ws(socket: WebSocket, clientId: str = ""):  # noqa: N803 - ComfyUI's parameter name
        await socket.accept()
        sockets[clientId] = socket
        await socket.send_json({"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": clientId}})
        try:
            while True:
                await socket.receive_text()
        except WebSocketDisconnect:
            sockets.pop(clientId, None)

    async def send(client_id, message):
        socket = sockets.get(client_id)
        if socket is not None:
            try:
                await socket.send_json(message)
            except Exception:  # noqa: BLE001 - a closed client socket is not the server's problem
                sockets.pop(client_id, None)

    def interrupted(prompt_id: str) -> bool:
        return state["interrupt"] in (prompt_id, "*")

    async def execute(prompt_id: str, graph: dict, client_id: str):
        samplers = [k for k, n in graph.items() if n["class_type"] == "KSampler"]
        texts = " ".join(str(n["inputs"].get("text", "")) for n in graph.values())
        for node_id in samplers:
            steps = graph[node_id]["inputs"]["steps"]
            for step in range(steps):
                if interrupted(prompt_id):
                    await send(client_id, {"type": "execution_interrupted",
                                           "data": {"prompt_id": prompt_id, "node_id": node_id}})
                    history[prompt_id] = {"outputs": {}, "status": {"status_str": "error", "completed": False,
                                          "messages": [["execution_interrupted", {"prompt_id": prompt_id}]]}}
                    return
                await asyncio.sleep(step_delay)
                await send(client_id, {"type": "progress", "data": {"value": step + 1, "max": steps,
                                                                     "prompt_id": prompt_id, "node": node_id}})
        if FAIL_MARKER in texts:
            error = {"prompt_id": prompt_id, "node_id": samplers[0], "node_type": "KSampler",
                     "exception_message": "Allocation on device would exceed allowed memory.",
                     "exception_type": "torch.OutOfMemoryError", "traceback": ["..."], "executed": []}
            await send(client_id, {"type": "execution_error", "data": error})
            history[prompt_id] = {"outputs": {}, "status": {"status_str": "error", "completed": False,
                                                            "messages": [["execution_error", error]]}}
            return
        from PIL import Image

        seed = graph[samplers[0]]["inputs"]["seed"]
        decode = next(k for k, n in graph.items() if n["class_type"] == "VAEDecode")
        sizes = {name: Image.open(io.BytesIO(data)).size for name, data in state["uploads"].items()}
        size = _latent_size(graph, str(graph[decode]["inputs"]["samples"][0]), sizes)
        buffer = io.BytesIO()
        Image.new("RGB", size, (seed % 251, (seed // 251) % 251, 7)).save(buffer, format="PNG")
        name = f"promptlab_{next(state['counter']):05d}_.png"
        files[name] = buffer.getvalue()
        save_node = next(k for k, n in graph.items() if n["class_type"] == "SaveImage")
        history[prompt_id] = {
            "prompt": [0, prompt_id, graph, {}, [save_node]],
            "outputs": {save_node: {"images": [{"filename": name, "subfolder": "", "type": "output"}]}},
            "status": {"status_str": "success", "completed": True, "messages": []},
        }
        await send(client_id, {"type": "executing", "data": {"node": None, "prompt_id": prompt_id}})

    async def worker():   # ComfyUI runs one prompt at a time, in queue order, for every client
        while True:
            while not pending:
                wake.clear()
                await wake.wait()
            prompt_id, graph, client_id = pending.pop(0)
            state["running"], state["interrupt"] = prompt_id, None
            try:
                await execute(prompt_id, graph, client_id)
            finally:
                state["executed"].append(prompt_id)
                state["running"] = None

    @app.post("/prompt")
    async def prompt(request: Request):
        body = await request.json()
        graph = body.get("prompt", {})
        error, node_errors = validate_prompt(graph, defs)
        if error is not None:
            return JSONResponse(status_code=400, content={"error": error, "node_errors": node_errors})
        prompt_id = str(uuid.uuid4())
        state["received"].append(graph)
        pending.append((prompt_id, graph, body.get("client_id", "")))
        wake.set()
        return {"prompt_id": prompt_id, "number": len(state["received"]), "node_errors": {}}

    @app.post("/upload/image")
    async def upload_image(request: Request):
        """As ComfyUI: multipart ``image`` (+ ``overwrite``, ``type``, ``subfolder``); the file then appears
        in LoadImage's list of choices."""
        form = await request.form()
        upload = form.get("image")
        if upload is None or not hasattr(upload, "read"):
            return Response(status_code=400)
        name = upload.filename
        state["uploads"][name] = await upload.read()
        choices = defs["LoadImage"]["input"]["required"]["image"][0]
        if name not in choices:
            choices.append(name)
        return {"name": name, "subfolder": form.get("subfolder") or "", "type": form.get("type") or "input"}

    @app.get("/queue")
    def get_queue():
        running = [[0, state["running"], {}, {}, []]] if state["running"] else []
        return {"queue_running": running, "queue_pending": [[i, p[0], p[1], {}, []] for i, p in enumerate(pending)]}

    @app.post("/queue")
    async def post_queue(request: Request):
        body = await request.json()
        if body.get("clear"):
            pending.clear()
        for prompt_id in body.get("delete", []):
            for item in list(pending):
                if item[0] == prompt_id:
                    pending.remove(item)
                    state["deleted"].append(prompt_id)
        return Response(status_code=200)

    @app.get("/history/{prompt_id}")
    def get_history(prompt_id: str):
        return {prompt_id: history[prompt_id]} if prompt_id in history else {}

    @app.get("/view")
    def view(filename: str, subfolder: str = "", type: str = "output"):  # noqa: A002 - ComfyUI's name
        if filename not in files:
            return Response(status_code=404)
        return Response(files[filename], media_type="image/png")

    @app.post("/interrupt")
    async def interrupt(request: Request):
        raw = await request.body()
        body = None
        if raw:
            import json

            body = json.loads(raw)
        state["interrupt_bodies"].append(body)
        wanted = (body or {}).get("prompt_id")
        if wanted is None:
            state["interrupt"] = "*"            # a bare interrupt stops whatever runs
        elif wanted == state["running"]:
            state["interrupt"] = wanted
        return Response(status_code=200)       # the real server answers with an empty body

    return app
