"""UI text of the app frame: navigation, sidebar status, shared messages."""

STRINGS = {
    "app.page.build": {"en": "Build", "zh": "构建提示词"},
    "app.page.read": {"en": "Read", "zh": "读取图片"},
    "app.page.generate": {"en": "Generate", "zh": "生成"},
    "app.page.compare": {"en": "Compare", "zh": "对比"},
    "app.page.tags": {"en": "Tags", "zh": "标签库"},
    "app.page.library": {"en": "Library", "zh": "收藏库"},
    "app.sidebar.status": {"en": "What is available", "zh": "当前可用"},
    "app.sidebar.tagdb": {"en": "Tag database: **{count}** tags", "zh": "标签数据库：**{count}** 个标签"},
    "app.sidebar.tagdb_counting": {"en": "Tag database: counting…", "zh": "标签数据库：正在统计…"},
    "app.sidebar.models": {
        "en": "Models: {ckpt} checkpoints · {lora} LoRA · {vae} VAE · {emb} embeddings · {taggers} taggers",
        "zh": "模型：{ckpt} 个大模型 · {lora} 个 LoRA · {vae} 个 VAE · {emb} 个嵌入 · {taggers} 个反推模型",
    },
    "app.sidebar.backend_local": {"en": "Backend: local diffusers (installed)", "zh": "后端：本地 diffusers（已安装）"},
    "app.sidebar.backend_none": {"en": "Backend: none installed", "zh": "后端：未安装"},
    "app.sidebar.backend_chosen": {"en": "Backend in use: {names}", "zh": "正在使用的后端：{names}"},
    "app.sidebar.backend_unchosen": {"en": "Backend in use: none chosen", "zh": "正在使用的后端：未选择"},
    "app.sidebar.local_unready": {"en": "this machine (not ready, see the page)", "zh": "本机（未就绪，见页面说明）"},
    "app.sidebar.mirror": {
        "en": "Downloads from `{endpoint}` (set HF_ENDPOINT to use a mirror)",
        "zh": "下载地址：`{endpoint}`（可设置 HF_ENDPOINT 使用镜像站）",
    },
    "app.sidebar.doctor": {
        "en": "`promptlab doctor` lists the same in a terminal.", "zh": "在终端运行 `promptlab doctor` 可查看同样的信息。",
    },
    "app.sidebar.missing": {"en": "Missing ({n}) — how to fix", "zh": "缺少 {n} 项 — 修复方法"},
    "app.sidebar.no_tagdb": {
        "en": "The tag database cannot be opened ({error}).",
        "zh": "无法打开标签数据库（{error}）。",
    },
    "app.sidebar.empty_tagdb": {"en": "The tag database is empty. Import a tag list:", "zh": "标签数据库为空。导入标签列表："},
    "app.sidebar.no_diffusers": {
        "en": "Local generation needs torch and diffusers:", "zh": "本地生成需要安装 torch 和 diffusers：",
    },
    "app.sidebar.no_checkpoint": {
        "en": "No checkpoint in {root}/Stable-diffusion. Put a .safetensors model there:",
        "zh": "{root}/Stable-diffusion 中没有大模型。把 .safetensors 模型放进去：",
    },
    "app.sidebar.no_onnx": {"en": "The WD14 taggers need onnxruntime:", "zh": "WD14 反推需要 onnxruntime："},
    "app.sidebar.no_tagger": {
        "en": "No tagger model in {root}/taggers. Put model.onnx and selected_tags.csv in a folder there:",
        "zh": "{root}/taggers 中没有反推模型。把 model.onnx 和 selected_tags.csv 放进其中一个文件夹：",
    },
    "app.tagdb.unavailable": {
        "en": "The tag database {path} cannot be used: {error}. Tag search is off; the rest of the app works.",
        "zh": "标签数据库 {path} 无法使用：{error}。标签搜索已停用，其余功能照常可用。",
    },
    "app.tagdb.empty": {
        "en": "The tag database is empty: import a tag list on the Tags page (or run the command below).",
        "zh": "标签数据库为空：请在“标签库”页导入标签列表（或运行下面的命令）。",
    },
    # -- errors: a translated sentence above the English detail (app_pages/error_text.py picks one) --
    "app.error.details": {"en": "Details (English)", "zh": "详细信息（英文）"},
    "app.error.library_damaged": {
        "en": "The library file is damaged. It is kept as it is: move it aside (button below) to start a new one, or pick another file.",
        "zh": "收藏库文件已损坏，已原样保留：可将其移到一旁（下方按钮）以新建一个，或选择其他文件。",
    },
    "app.error.library_locked": {
        "en": "The library file is locked by another program. Close it (or wait a moment) and reload.",
        "zh": "收藏库文件被其他程序锁定。请关闭该程序（或稍等片刻）后重新加载。",
    },
    "app.error.no_tagger": {
        "en": "The tagger model is missing. Put the tagger's model.onnx and selected_tags.csv in a folder under models/taggers (see the sidebar), then try again.",
        "zh": "缺少反推模型。请把反推模型的 model.onnx 和 selected_tags.csv 放到 models/taggers 下的一个文件夹中（见侧边栏），然后重试。",
    },
    "app.error.no_clip": {
        "en": "The CLIP interrogator's weights are not downloaded. Download them once while online (or copy them into the Hugging Face cache), then try again.",
        "zh": "CLIP 反推模型的权重尚未下载。请在联网时下载一次（或复制到 Hugging Face 缓存目录），然后重试。",
    },
    "app.error.no_checkpoint": {
        "en": "No checkpoint (Stable Diffusion model) was found. Put a .safetensors file in models/Stable-diffusion, then press Refresh.",
        "zh": "没有找到大模型（Stable Diffusion 模型）。请把 .safetensors 文件放到 models/Stable-diffusion，然后点“刷新”。",
    },
    "app.error.model_not_found": {
        "en": "A model file or folder could not be found. Check the name and the models folder.",
        "zh": "找不到模型文件或文件夹。请检查名称和模型文件夹。",
    },
    "app.error.missing_dependency": {
        "en": "A part of promptlab that this needs is not installed. Install the extra named below (or run `promptlab doctor`), then restart the app.",
        "zh": "此功能所需的组件未安装。请安装下面提到的扩展（或运行 `promptlab doctor` 查看），然后重启应用。",
    },
    "app.error.unsafe_model": {
        "en": "This model is a pickled .ckpt/.pt file, which can run code. Tick 'Allow .ckpt/.pt files' only if you trust it, or use a .safetensors file.",
        "zh": "该模型是 pickle 格式的 .ckpt/.pt 文件，可能执行代码。仅在信任该文件时勾选“允许 .ckpt/.pt 文件”，或改用 .safetensors 文件。",
    },
    "app.error.model_load": {
        "en": "The model was found but cannot be loaded (damaged, or not a supported model type).",
        "zh": "找到了模型，但无法加载（文件损坏，或不是受支持的模型类型）。",
    },
    "app.error.download": {
        "en": "The download failed. Offline? Copy the file into the folder named below yourself, or set HF_ENDPOINT to a mirror and try again (a partial download resumes).",
        "zh": "下载失败。如果无法联网，请自行把文件复制到下面提到的文件夹；或将 HF_ENDPOINT 设为镜像站后重试（已下载的部分会续传）。",
    },
    "app.error.out_of_memory": {
        "en": "Out of memory. Lower the width, height or batch size and try again; the backend is still usable.",
        "zh": "显存/内存不足。请降低宽度、高度或每批数量后重试；后端仍可继续使用。",
    },
    "app.error.unreachable": {
        "en": "The server cannot be reached. Check that it is running (A1111/Forge with --api, ComfyUI, or promptlab serve) and that the URL is right.",
        "zh": "无法连接到服务器。请确认它正在运行（A1111/Forge 需带 --api 启动，或 ComfyUI、promptlab serve），并检查地址是否正确。",
    },
    "app.error.jobs_failed": {
        "en": "Some images failed on every backend. See the details, fix the cause and run again.",
        "zh": "部分图片在所有后端上都生成失败。请查看详细信息，排除原因后重试。",
    },
    "app.error.backend": {
        "en": "The generation backend reported an error.", "zh": "生成后端报告了错误。",
    },
    "app.error.cancelled": {"en": "Stopped.", "zh": "已停止。"},
    "app.error.bad_url": {
        "en": "This is not a server URL. Enter one that starts with http:// or https:// (for example http://127.0.0.1:7860).",
        "zh": "这不是有效的服务器地址。请输入以 http:// 或 https:// 开头的地址（例如 http://127.0.0.1:7860）。",
    },
    "app.error.invalid_input": {
        "en": "This input cannot be used as given. The details say what to change.",
        "zh": "输入内容无法使用。详细信息中说明了需要修改的地方。",
    },
    "app.error.generic": {"en": "Something went wrong. The details say what to do.", "zh": "出现错误。详细信息中说明了处理方法。"},
    "app.error.danbooru": {
        "en": "Danbooru could not be reached or gave an unexpected answer; the database is unchanged. Check the connection and the URL, or import a tag list file instead.",
        "zh": "无法连接 Danbooru，或其返回了意外的数据；数据库未改动。请检查网络和地址，或改为导入标签列表文件。",
    },
    "app.error.tagdb": {
        "en": "The tag database reported an error; it is unchanged.", "zh": "标签数据库报告了错误；数据库未改动。",
    },
    "app.error.os": {
        "en": "A file or folder could not be read or written. Check the path and its permissions.",
        "zh": "无法读取或写入文件/文件夹。请检查路径和权限。",
    },
    "app.error.unexpected": {
        "en": "Unexpected error. Please report it with the details below.", "zh": "意外错误。请附上下面的详细信息反馈。",
    },
}
