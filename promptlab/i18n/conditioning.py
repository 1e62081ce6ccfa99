"""Strings of the conditioning area: hypernetworks, ENSD, CFG, per-encoder token counts."""

STRINGS = {
    "cond.hypernet.skipped": {
        "en": "Hypernetworks are not supported by the local backend: {names} not applied (the tag is removed "
              "from the prompt). Use a LoRA instead, or generate on an A1111 server, which applies them.",
        "zh": "本地后端不支持超网络（Hypernetwork）：{names} 未生效（该标签已从提示词中移除）。"
              "请改用 LoRA，或在 A1111 服务器上生成（它会应用超网络）。",
    },
    "cond.ensd": {"en": "ENSD (eta noise seed delta)", "zh": "ENSD（eta 噪声种子偏移）"},
    "cond.ensd.help": {
        "en": "A1111's 'Eta noise seed delta': the extra noise of ancestral samplers (Euler a, DPM2 a, DDIM with "
              "eta > 0) comes from seed + ENSD. NovelAI used 31337. 0 = off; other samplers are unaffected.",
        "zh": "A1111 的“Eta 噪声种子偏移”：祖先采样器（Euler a、DPM2 a、eta > 0 的 DDIM）额外加入的噪声使用"
              "“种子 + ENSD”生成。NovelAI 使用 31337。0 = 关闭；其他采样器不受影响。",
    },
    "cond.expander": {"en": "A1111 compatibility", "zh": "A1111 兼容设置"},
    "cond.preset.novelai": {"en": "NovelAI emulation (Clip skip 2, ENSD 31337)", "zh": "模拟 NovelAI（Clip skip 2，ENSD 31337）"},
    "cond.preset.novelai.help": {
        "en": "Sets Clip skip to 2 and ENSD to 31337, as NovelAI's leaked model was run in A1111.",
        "zh": "将 Clip skip 设为 2、ENSD 设为 31337，与 A1111 中运行 NovelAI 模型的常用设置一致。",
    },
    "cond.ensd.invalid": {
        "en": "ENSD {value!r} is not a whole number from 0 to 4294967295; use e.g. 31337 (NovelAI) or 0 (off).",
        "zh": "ENSD {value!r} 不是 0 到 4294967295 之间的整数；例如使用 31337（NovelAI）或 0（关闭）。",
    },
    "cond.ensd.seed_overflow": {
        "en": "Seed {seed} + ENSD {ensd} does not fit in 64 bits; use a smaller seed or ENSD.",
        "zh": "种子 {seed} + ENSD {ensd} 超出 64 位范围；请使用更小的种子或 ENSD。",
    },
    "cond.cfg.invalid": {
        "en": "CFG scale {value!r} is not a finite number; use e.g. 7 (0 gives the negative prompt's image, "
              "values between 0 and 1 mix towards it, as in A1111).",
        "zh": "CFG 值 {value!r} 不是有限数值；例如使用 7（与 A1111 一致：0 得到负面提示词的图，0 到 1 之间向其过渡）。",
    },
    "cond.tokens.encoders_differ": {
        "en": "OpenCLIP (SD2, SDXL's second encoder) reads HTML entities differently: it sees {counter} tokens.",
        "zh": "OpenCLIP（SD2、SDXL 的第二个文本编码器）对 HTML 实体的处理不同：它看到 {counter} 个 token。",
    },
    # warnings of build_conditioning (the library writes them in English; the page shows them translated)
    "cond.warn.and_first_part": {
        "en": "AND (composable diffusion) was not enabled: only the first part {part} is used; the other {n} part(s) "
              "are ignored.",
        "zh": "未启用 AND（可组合扩散）：只使用第一部分 {part}；其余 {n} 部分被忽略。",
    },
    "cond.warn.trailing_weight": {
        "en": "The prompt's trailing weight :{weight} (composable diffusion) is ignored.",
        "zh": "提示词末尾的权重 :{weight}（可组合扩散）被忽略。",
    },
    "cond.warn.sdxl_windows": {
        "en": "The two SDXL tokenizers split {text} into different numbers of 75-token windows (CLIP-L and "
              "OpenCLIP-G clean HTML entities differently); the shorter was padded with empty windows (A1111 fails "
              "on such a prompt).",
        "zh": "SDXL 的两个分词器把 {text} 切成了不同数量的 75 token 窗口（CLIP-L 与 OpenCLIP-G 对 HTML 实体的处理不同）；"
              "较短的一方已用空窗口补齐（A1111 遇到这种提示词会报错）。",
    },
    "cond.warn.clip_skip_sdxl": {
        "en": "Clip skip is ignored for SDXL, as in A1111 (set sdxl_clip_l_skip to apply it to CLIP-L).",
        "zh": "与 A1111 相同，SDXL 忽略 Clip skip（设置 sdxl_clip_l_skip 可对 CLIP-L 生效）。",
    },
    "cond.warn.clip_skip_sd2": {
        "en": "Clip skip is ignored for SD2.x models, as in A1111.",
        "zh": "与 A1111 相同，SD2.x 模型忽略 Clip skip。",
    },
    "cond.warn.embedding_skipped": {
        "en": "Embedding {name} does not fit this model ({dims} vs {want}); skipped.",
        "zh": "嵌入 {name} 与此模型不匹配（{dims}，需要 {want}）；已跳过。",
    },
}
