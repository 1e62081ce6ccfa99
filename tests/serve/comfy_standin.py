"""A minimal ComfyUI stand-in speaking the endpoints promptlab uses.

ComfyUI itself is not installable here (it is distributed from its git repository, not a package
registry). The stand-in checks what ComfyUI checks before queueing (known node types, links to existing
nodes, required inputs, COMBO values from /object_info) and "executes" a txt2img graph: progress
messages over /ws, history, /view. Images are painted from the seed so tests can check which seed ran.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import uuid

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, Response

CHECKPOINTS = ["anime/alpha.safetensors", "beta.safetensors"]
LORAS = ["detail_tweaker.safetensors", "style/flat.safetensors"]
SAMPLERS = ["euler", "euler_ancestral", "heun", "dpm_2", "dpmpp_2m", "dpmpp_2m_sde", "dpmpp_sde", "ddim", "uni_pc", "lcm"]
SCHEDULERS = ["normal", "karras", "exponential", "sgm_uniform", "simple", "ddim_uniform", "beta"]

REQUIRED = {
    "CheckpointLoaderSimple": {"ckpt_name"},
    "LoraLoader": {"lora_name", "strength_model", "strength_clip", "model", "clip"},
    "CLIPSetLastLayer": {"stop_at_clip_layer", "clip"},
    "CLIPTextEncode": {"text", "clip"},
    "EmptyLatentImage": {"width", "height", "batch_size"},
    "KSampler": {"seed", "steps", "cfg", "sampler_name", "scheduler", "denoise", "model", "positive", "negative",
                 "latent_image"},
    "LatentUpscaleBy": {"upscale_method", "scale_by", "samples"},
    "LatentUpscale": {"upscale_method", "width", "height", "crop", "samples"},
    "VAELoader": {"vae_name"},
    "VAEDecode": {"samples", "vae"},
    "SaveImage": {"filename_prefix", "images"},
}
OUTPUTS = {"CheckpointLoaderSimple": 3, "LoraLoader": 2, "CLIPSetLastLayer": 1, "CLIPTextEncode": 1,
           "EmptyLatentImage": 1, "KSampler": 1, "LatentUpscaleBy": 1, "LatentUpscale": 1, "VAELoader": 1,
           "VAEDecode": 1, "SaveImage": 0}
COMBOS = {("CheckpointLoaderSimple", "ckpt_name"): CHECKPOINTS, ("LoraLoader", "lora_name"): LORAS,
          ("KSampler", "sampler_name"): SAMPLERS, ("KSampler", "scheduler"): SCHEDULERS}


def validate(graph: dict) -> dict:
    errors = {}
    for node_id, node in graph.items():
        kind = node.get("class_type")
        problems = []
        if kind not in REQUIRED:
            problems.append(f"unknown node type {kind}")
        else:
            inputs = node.get("inputs", {})
            problems += [f"missing input {name}" for name in REQUIRED[kind] - set(inputs)]
            for name, value in inputs.items():
                if isinstance(value, list):
                    target, slot = value
                    if target not in graph or slot >= OUTPUTS.get(graph[target]["class_type"], 0):
                        problems.append(f"input {name} links to missing output {value}")
                choices = COMBOS.get((kind, name))
                if choices is not None and value not in choices:
                    problems.append(f"value {value!r} not in list for {name}")
        if problems:
            errors[node_id] = {"errors": problems, "class_type": kind}
    return errors


def create_standin(step_delay: float = 0.0, new_combo_format: bool = False) -> FastAPI:
    app = FastAPI()
    sockets: dict[str, WebSocket] = {}
    history: dict[str, dict] = {}
    files: dict[str, bytes] = {}
    state = {"interrupt": False, "received": [], "counter": itertools.count()}
    lock = asyncio.Lock()
    app.state.standin = state

    @app.get("/object_info/{node}")
    def object_info(node: str):
        required = {name: ["STRING"] for name in REQUIRED.get(node, ())}
        for (kind, field), choices in COMBOS.items():
            if kind == node:
                required[field] = ["COMBO", {"options": choices}] if new_combo_format else [choices, {}]
        return {node: {"input": {"required": required}, "output": [], "name": node}}

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

    async def execute(prompt_id: str, graph: dict, client_id: str):
        async with lock:   # ComfyUI runs one prompt at a time
            state["interrupt"] = False
            sampler = next(n for n in graph.values() if n["class_type"] == "KSampler")["inputs"]
            latent = next(n for n in graph.values() if n["class_type"] == "EmptyLatentImage")["inputs"]
            scale = next((n["inputs"]["scale_by"] for n in graph.values() if n["class_type"] == "LatentUpscaleBy"), 1)
            for step in range(sampler["steps"]):
                if state["interrupt"]:
                    await send(client_id, {"type": "execution_interrupted", "data": {"prompt_id": prompt_id}})
                    history[prompt_id] = {"outputs": {}, "status": {"status_str": "error", "completed": False,
                                                                    "messages": [["execution_interrupted", {}]]}}
                    return
                await asyncio.sleep(step_delay)
                await send(client_id, {"type": "progress", "data": {"value": step + 1, "max": sampler["steps"],
                                                                     "prompt_id": prompt_id, "node": "6"}})
            from PIL import Image

            seed = sampler["seed"]
            size = (int(latent["width"] * scale), int(latent["height"] * scale))
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

    @app.post("/prompt")
    async def prompt(request: Request):
        body = await request.json()
        graph = body.get("prompt", {})
        errors = validate(graph)
        if errors:
            return JSONResponse(status_code=400, content={
                "error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation"},
                "node_errors": errors})
        prompt_id = str(uuid.uuid4())
        state["received"].append(graph)
        asyncio.create_task(execute(prompt_id, graph, body.get("client_id", "")))
        return {"prompt_id": prompt_id, "number": len(state["received"]), "node_errors": {}}

    @app.get("/history/{prompt_id}")
    def get_history(prompt_id: str):
        return {prompt_id: history[prompt_id]} if prompt_id in history else {}

    @app.get("/view")
    def view(filename: str, subfolder: str = "", type: str = "output"):  # noqa: A002 - ComfyUI's name
        if filename not in files:
            return Response(status_code=404)
        return Response(files[filename], media_type="image/png")

    @app.post("/interrupt")
    def interrupt():
        state["interrupt"] = True
        return {}

    return app
