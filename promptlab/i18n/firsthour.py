"""UI text of a user's first hour: tagger downloads (progress, mirror, offline), and the notes and details that
library code writes in English (prompt conversion notes, unreadable uploads), rendered here by key + values."""

STRINGS = {
    # -- tagger downloads (promptlab/interrogate/fetch.py) ------------------------------------------------
    "firsthour.tagger.mirror": {
        "en": "Downloads come from `{endpoint}`. Set HF_ENDPOINT before starting promptlab to use a mirror "
              "(e.g. `https://hf-mirror.com`).",
        "zh": "下载来源：`{endpoint}`。如需使用镜像站，请在启动 promptlab 前设置 HF_ENDPOINT（例如 `https://hf-mirror.com`）。",
    },
    "firsthour.tagger.downloading": {"en": "Downloading {name}…", "zh": "正在下载 {name}……"},
    "firsthour.tagger.downloaded": {"en": "{name} downloaded to `{folder}`.", "zh": "{name} 已下载到 `{folder}`。"},
    "firsthour.tagger.provider_fallback": {
        "en": "The tagger runs on {provider}, not on the GPU asked for: onnxruntime could not use it (see the details).",
        "zh": "反推模型运行在 {provider} 上，而不是所请求的 GPU：onnxruntime 无法使用它（原因见详细信息）。",
    },
    "firsthour.tagger.download_failed": {
        "en": "Could not download tagger {repo} from `{endpoint}`. Offline? Download {files} from `{url}` on another "
              "machine and put them in `{folder}`, or set HF_ENDPOINT to a mirror you can reach (e.g. `{mirror}`) and "
              "try again.",
        "zh": "无法从 `{endpoint}` 下载反推模型 {repo}。如果无法联网：请在另一台电脑上从 `{url}` 下载 {files}，放到 "
              "`{folder}` 文件夹中；或将 HF_ENDPOINT 设为可访问的镜像站（例如 `{mirror}`）后重试。",
    },

    # -- prompt conversion notes (promptlab/syntax/convert.py NOTE_TEXTS; the English is the same text) ----------
    "firsthour.convert.and_joined": {
        "en": "AND (composable diffusion) has no equivalent; the parts were joined with ', '.",
        "zh": "AND（组合扩散）在目标格式中没有对应写法；各部分已用 ', ' 连接。",
    },
    "firsthour.convert.and_weight": {"en": "AND part weight :{weight} dropped.", "zh": "已丢弃 AND 部分的权重 :{weight}。"},
    "firsthour.convert.break": {"en": "BREAK has no equivalent; replaced by ', '.", "zh": "BREAK 在目标格式中没有对应写法；已替换为 ', '。"},
    "firsthour.convert.extra_network": {
        "en": "<{network}> removed: load it in the target tool (NovelAI has none; ComfyUI: a LoraLoader node).",
        "zh": "已移除 <{network}>：请在目标工具中加载它（NovelAI 不支持；ComfyUI 请用 LoraLoader 节点）。",
    },
    "firsthour.convert.prompt_editing": {
        "en": "prompt editing [..:..:{when}] is A1111-only; kept the final text.",
        "zh": "提示词编辑 [..:..:{when}] 仅 A1111 支持；已保留切换后的文字。",
    },
    "firsthour.convert.alternation": {
        "en": "alternation [a|b] is A1111-only; kept the first option.",
        "zh": "交替语法 [a|b] 仅 A1111 支持；已保留第一个选项。",
    },
    "firsthour.convert.syntax": {"en": "{code} at {position}: {message}", "zh": "第 {position} 个字符处：{message}"},
    "firsthour.convert.stray_colons": {"en": "stray '::' at {position} kept as text.", "zh": "第 {position} 个字符处多余的 '::' 已按普通文字保留。"},
    "firsthour.convert.unbalanced": {
        "en": "unbalanced {token} at {position} kept as text.",
        "zh": "第 {position} 个字符处未配对的 {token} 已按普通文字保留。",
    },
    "firsthour.convert.unclosed": {
        "en": "unclosed {token} at {position}: applied to the end of the prompt.",
        "zh": "第 {position} 个字符处的 {token} 没有闭合：已作用到提示词末尾。",
    },
    "firsthour.convert.nai_literal_brackets": {
        "en": "literal { } [ ] cannot be escaped in NovelAI and will read as emphasis.",
        "zh": "NovelAI 无法转义 { } [ ] 字符本身，它们会被当作强调。",
    },
    "firsthour.convert.weight_dropped": {
        "en": "weight {weight} on {text} cannot be written with braces; dropped.",
        "zh": "{text} 的权重 {weight} 无法用花括号表示；已丢弃。",
    },
    "firsthour.convert.weight_rounded": {
        "en": "weight {weight} on {text} became {count} {brackets} = {actual}.",
        "zh": "{text} 的权重 {weight} 已改为 {count} 层 {brackets} = {actual}。",
    },
    "firsthour.convert.comfy_weights": {
        "en": "ComfyUI applies weights as empty + (token - empty) * w without restoring the mean (A1111 restores "
              "it), so the same numbers act differently; lower strong weights or use an A1111-style weighting node.",
        "zh": "ComfyUI 按 empty + (token - empty) * w 施加权重且不恢复均值（A1111 会恢复），同样的数值效果不同；"
              "请调低较大的权重，或使用 A1111 风格的权重节点。",
    },
    # -- prompt syntax warnings (promptlab/syntax/parser.py codes; {found} is the text they point at) ----------
    "firsthour.syntax.control_char": {"en": "Control character(s) {found} in the prompt; remove them.",
                                      "zh": "提示词中有控制字符 {found}，请删除。"},
    "firsthour.syntax.fullwidth_punct": {
        "en": "Full-width {found} (typed with an IME) is plain text to A1111, not prompt syntax; write it in ASCII.",
        "zh": "全角的 {found}（输入法输入）在 A1111 中只是普通文字，不是提示词语法；请改用半角。",
    },
    "firsthour.syntax.schedule_unverified": {
        "en": "This part is too long to check its [from:to:step] syntax the way A1111 does; it was read the fast way.",
        "zh": "这一部分太长，无法按 A1111 的方式核对 [from:to:step] 语法；已按快速方式读取。",
    },
    "firsthour.syntax.stray_bar": {
        "en": "'|' outside [a|b] makes A1111 ignore every prompt edit and alternation in this part; remove it or "
              "escape it (\\|).",
        "zh": "[a|b] 之外的 '|' 会让 A1111 忽略这一部分中所有的提示词编辑和交替（方括号被当作强调）；请删除或转义（\\|）。",
    },
    "firsthour.syntax.trailing_backslash": {
        "en": "A backslash at the end of a line makes A1111 ignore every prompt edit and alternation in this part; "
              "remove it or write \\\\.",
        "zh": "行尾的反斜杠会让 A1111 忽略这一部分中所有的提示词编辑和交替（方括号被当作强调）；请删除或写成 \\\\。",
    },
    "firsthour.syntax.lone_backslash": {
        "en": "A1111 drops a backslash that is not followed by ( ) [ ] or \\; write \\\\ for a literal backslash.",
        "zh": "A1111 会丢弃后面不是 ( ) [ ] 或 \\ 的反斜杠；要输入反斜杠本身请写 \\\\。",
    },
    "firsthour.syntax.bad_weight": {
        "en": "{found} is not a number; A1111 refuses this prompt. Write a weight such as (word:1.2).",
        "zh": "{found} 不是数字，A1111 会拒绝这个提示词。请写成 (word:1.2) 这样的权重。",
    },
    "firsthour.syntax.stray_close": {"en": "Unbalanced {found} is literal text; escape it with a backslash or remove it.",
                                     "zh": "未配对的 {found} 会被当作普通文字；请用反斜杠转义或删除。"},
    "firsthour.syntax.literal_colon": {
        "en": "':' inside [...] is literal: prompt editing needs a step, as in [from:to:10] or [from:to:0.5].",
        "zh": "[...] 中的 ':' 是普通文字：提示词编辑需要步数，如 [from:to:10] 或 [from:to:0.5]。",
    },
    "firsthour.syntax.unclosed_bracket": {
        "en": "Unclosed {found}: A1111 applies it to the end of the prompt; close it or escape it.",
        "zh": "未闭合的 {found}：A1111 会把它作用到提示词末尾；请闭合或转义。",
    },
    "firsthour.syntax.crossed_brackets": {
        "en": "Brackets cross here; read as A1111 does (each bracket keeps its own range), rendered as nested groups.",
        "zh": "括号在此交叉；已按 A1111 的方式读取（每个括号保持各自的范围），显示为嵌套分组。",
    },
    # -- Read page uploads ---------------------------------------------------------------------------------------
    "firsthour.read.not_image": {
        "en": "{name} is not an image promptlab can read. Upload the image file itself (PNG, JPEG, WebP), not a "
              "shortcut, an archive or a web page.",
        "zh": "{name} 不是 promptlab 能读取的图片。请上传图片文件本身（PNG、JPEG、WebP），而不是快捷方式、压缩包或网页。",
    },
    "firsthour.read.metadata_warnings": {
        "en": "{n} part(s) of this file's metadata could not be read and were skipped; what was readable is shown.",
        "zh": "此文件的元数据有 {n} 处无法读取，已跳过；下面显示的是可读取的部分。",
    },
    # -- captioning a folder (CaptionReport.batch_summary in other languages) -----------------------------------
    "firsthour.caption.batch": {"en": "batch {size}", "zh": "批大小 {size}"},
    "firsthour.caption.batch_auto_untimed": {"en": "batch {size} (auto)", "zh": "批大小 {size}（自动选择）"},
    "firsthour.caption.batch_auto": {"en": "batch {size} (auto; seconds per image at each size: {timings})",
                                     "zh": "批大小 {size}（自动选择；各批大小每张耗时秒数：{timings}）"},
    # -- CLIP interrogator weights (clip-interrogator fetches them through huggingface_hub) ---------------------
    "firsthour.clip.not_downloaded": {
        "en": "The CLIP interrogator's models are not downloaded: {repos}. Run it once online (several GB from "
              "`{endpoint}`), or set HF_ENDPOINT to a mirror you can reach (e.g. `{mirror}`) and try again; offline, "
              "copy a Hugging Face cache holding these repositories into `{cache}`.",
        "zh": "CLIP 反推所需的模型尚未下载：{repos}。请联网运行一次（从 `{endpoint}` 下载，约数 GB），或将 HF_ENDPOINT "
              "设为可访问的镜像站（例如 `{mirror}`）后重试；无法联网时，请把含有这些仓库的 Hugging Face 缓存复制到 `{cache}`。",
    },
}
