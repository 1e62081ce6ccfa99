"""UI strings of the Generate page."""

STRINGS = {
    "generate.title": {"en": "Generate", "zh": "生成"},
    "generate.intro": {
        "en": "Preview prompts on your own GPU with A1111-compatible conditioning, samplers and infotext.",
        "zh": "在本机 GPU 上预览提示词：与 A1111 一致的权重解析、采样器和生成参数。",
    },
    "generate.no_checkpoint": {
        "en": "No checkpoint found in {folder}. Put a .safetensors checkpoint there (or set PROMPTLAB_MODELS "
              "to your webui's models folder), then reload.",
        "zh": "在 {folder} 中没有找到模型。请把 .safetensors 模型放到该文件夹（或将 PROMPTLAB_MODELS 设为 webui 的 "
              "models 文件夹），然后刷新。",
    },
}
