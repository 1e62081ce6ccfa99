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
}
