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
}
