STRINGS = {
    # errors (promptlab.upscale.errors.UpscaleError keys)
    "upscale.err_empty_name": {"en": "No upscaler name given. Run `promptlab upscale --list` to see the names.",
                               "zh": "未指定放大算法名称。运行 `promptlab upscale --list` 查看可用名称。"},
    "upscale.err_latent_here": {
        "en": "{name!r} works on latents and exists only in hires fix. For images pick a model upscaler, "
              "Lanczos or Nearest.",
        "zh": "{name!r} 只作用于潜空间，仅用于高清修复。放大图像请选择模型放大算法、Lanczos 或 Nearest。"},
    "upscale.err_ldsr": {
        "en": "LDSR is a latent-diffusion upscaler, not a single-image model, and is not supported. "
              "Use an ESRGAN-family model (e.g. R-ESRGAN 4x+) or hires fix instead.",
        "zh": "LDSR 是潜空间扩散放大器，并非单图模型，暂不支持。请改用 ESRGAN 系列模型（如 R-ESRGAN 4x+）或高清修复。"},
    "upscale.err_builtin_missing": {
        "en": "Upscaler {name!r} needs the file {file}. Download it and put it in {folder} (promptlab does "
              "not download upscalers).",
        "zh": "放大算法 {name!r} 需要文件 {file}。请下载后放入 {folder}（promptlab 不会自动下载放大模型）。"},
    "upscale.err_unknown_name": {
        "en": "No upscaler named {name!r}. Available: {available}. Model files go in {folders} and are named "
              "by their file name without extension.",
        "zh": "没有名为 {name!r} 的放大算法。可用：{available}。模型文件放在 {folders}，以不含扩展名的文件名作为名称。"},
    "upscale.err_unknown_arch": {
        "en": "{file} is not an upscaler architecture spandrel knows (ESRGAN, Real-ESRGAN, SwinIR, DAT, HAT, "
              "SPAN, ...). Check that it is an image upscaling model and not a checkpoint or LoRA.",
        "zh": "{file} 不是 spandrel 支持的放大模型结构（ESRGAN、Real-ESRGAN、SwinIR、DAT、HAT、SPAN 等）。"
              "请确认它是图像放大模型，而不是大模型或 LoRA。"},
    "upscale.err_bad_weights": {
        "en": "{file} looks like an upscaler but its weights do not fit the architecture ({error}). "
              "The file is probably damaged; download it again.",
        "zh": "{file} 看似放大模型，但权重与结构不符（{error}）。文件可能已损坏，请重新下载。"},
    "upscale.err_not_single_image": {
        "en": "{file} is a {arch} model, which needs more than one image (e.g. a mask); only single-image "
              "upscalers can be used here.",
        "zh": "{file} 是 {arch} 模型，需要额外输入（如蒙版）；此处只能使用单图放大模型。"},
    "upscale.err_not_rgb": {
        "en": "{file} ({arch}) takes {channels}-channel images; only RGB upscalers are supported.",
        "zh": "{file}（{arch}）接受 {channels} 通道图像；仅支持 RGB 放大模型。"},
    "upscale.err_no_half": {"en": "{arch} does not support fp16; run it in fp32.",
                            "zh": "{arch} 不支持 fp16，请使用 fp32 运行。"},
    "upscale.err_not_loaded": {"en": "Upscaler {name!r} is a model: load it first (promptlab.upscale.load_upscaler).",
                               "zh": "放大算法 {name!r} 是模型，请先加载（promptlab.upscale.load_upscaler）。"},
    "upscale.err_tile": {"en": "Tile size {tile} is invalid: use 0 (no tiling) or 16 and more (A1111's default is 192).",
                         "zh": "分块大小 {tile} 无效：请使用 0（不分块）或不小于 16 的值（A1111 默认 192）。"},
    "upscale.err_overlap": {"en": "Tile overlap {overlap} is invalid: use 0 up to less than half the tile size "
                                  "({tile}); A1111's default is 8.",
                            "zh": "分块重叠 {overlap} 无效：取值范围为 0 至小于分块大小（{tile}）的一半；A1111 默认 8。"},
    "upscale.err_model_output": {"en": "The model returned a {shape} image for a {tile} tile, which is no whole "
                                       "multiple; it is not an upscaler.",
                                 "zh": "模型对 {tile} 的分块输出了 {shape} 的图像，不是整数倍，因此不是放大模型。"},
    "upscale.err_scale": {"en": "Scale {scale} is out of range: use {low} to {high} (A1111's Extras allows the same).",
                          "zh": "放大倍数 {scale} 超出范围：请使用 {low} 到 {high}（与 A1111 附加功能一致）。"},
    "upscale.err_output_size": {
        "en": "The result would be {size}; each side must be 8 to {side} pixels. Choose a smaller scale or size.",
        "zh": "结果尺寸将为 {size}；每边须在 8 到 {side} 像素之间。请选择更小的倍数或尺寸。"},
    "upscale.err_not_image": {"en": "{name} is not an image Pillow can read ({error}).",
                              "zh": "{name} 不是 Pillow 可读取的图像（{error}）。"},
    "upscale.err_too_large": {
        "en": "{name} is {size}, larger than the {side}x{side} (or {pixels:,} pixels) an input may have. "
              "Downscale it first.",
        "zh": "{name} 尺寸为 {size}，超过输入上限 {side}x{side}（或 {pixels:,} 像素）。请先缩小。"},
    "upscale.err_too_many_bytes": {"en": "{name} is {mb} MB; inputs may have at most {limit} MB.",
                                   "zh": "{name} 大小为 {mb} MB；输入文件最大 {limit} MB。"},
    "upscale.err_not_found": {"en": "{name}: no such file.", "zh": "{name}：文件不存在。"},
    "upscale.err_resize": {"en": "--resize {value!r}: expected WxH such as 2048x2048.",
                           "zh": "--resize {value!r}：格式应为 宽x高，例如 2048x2048。"},
    "upscale.err_scale_and_resize": {"en": "Give either a scale or a target size, not both.",
                                     "zh": "请只指定放大倍数或目标尺寸之一。"},
    "upscale.err_out_is_input": {
        "en": "{name}: the output would overwrite the input. Choose another --out folder.",
        "zh": "{name}：输出会覆盖输入文件。请选择其他 --out 文件夹。"},
    # CLI / UI
    "upscale.done": {"en": "{src} -> {dst} ({w}x{h}, {seconds:.1f} s)", "zh": "{src} -> {dst}（{w}x{h}，{seconds:.1f} 秒）"},
    "upscale.list_header": {"en": "Upscalers (name, kind, file):", "zh": "放大算法（名称、类型、文件）："},
    "upscale.missing_file": {"en": "missing: put {file} in models/{folder}", "zh": "缺失：请将 {file} 放入 models/{folder}"},
    "upscale.ui_title": {"en": "Upscale (Extras)", "zh": "放大（附加功能）"},
    "upscale.ui_upscaler": {"en": "Upscaler", "zh": "放大算法"},
    "upscale.ui_scale": {"en": "Scale by", "zh": "放大倍数"},
    "upscale.ui_run": {"en": "Upscale", "zh": "放大"},
    "upscale.ui_download": {"en": "Download PNG", "zh": "下载 PNG"},
    "upscale.hires_model_help": {
        "en": "Model upscalers come from models/ESRGAN, RealESRGAN, SwinIR and DAT.",
        "zh": "模型放大算法来自 models/ESRGAN、RealESRGAN、SwinIR 和 DAT。"},
}
