"""Strings of img2img: its errors (library, CLI, server) and the Generate page's "Image to image" mode."""

STRINGS = {
    # errors
    "img2img.err.resize_mode": {
        "en": "Resize mode {value!r} is not known. Use one of: {choices} (or A1111's 0-3).",
        "zh": "未知的缩放模式 {value!r}。请使用：{choices}（或 A1111 的 0-3）。",
    },
    "img2img.err.too_many_bytes": {
        "en": "The init image {name} is {mb} MB; the limit is {limit} MB. Use a smaller file.",
        "zh": "初始图像 {name} 大小为 {mb} MB，上限为 {limit} MB。请使用更小的文件。",
    },
    "img2img.err.unreadable": {
        "en": "Cannot read the init image {name}: {error}. Check the path.",
        "zh": "无法读取初始图像 {name}：{error}。请检查路径。",
    },
    "img2img.err.not_image": {
        "en": "The init image {name} is not an image Pillow can read ({error}). Use a PNG, JPEG or WebP file.",
        "zh": "初始图像 {name} 不是可读取的图片（{error}）。请使用 PNG、JPEG 或 WebP 文件。",
    },
    "img2img.err.too_large": {
        "en": "The init image {name} declares a size of {size}; at most {side} px per side and {pixels} pixels "
              "are accepted. Downscale it first.",
        "zh": "初始图像 {name} 声明的尺寸为 {size}；每边最多 {side} 像素、总共最多 {pixels} 像素。请先缩小。",
    },
    "img2img.err.denoise": {
        "en": "Denoising strength {value} must be between 0 and 1 (A1111's default for img2img is 0.75).",
        "zh": "重绘幅度 {value} 必须在 0 到 1 之间（A1111 图生图默认 0.75）。",
    },
    "img2img.err.hires": {
        "en": "Hires. fix is a txt2img option; turn it off for img2img (set a larger width/height instead).",
        "zh": "高分辨率修复仅用于文生图；图生图请关闭它（改为设置更大的宽高）。",
    },
    "img2img.err.unsupported": {
        "en": "The backend {backend} cannot do img2img. Use the local backend, a remote A1111 or ComfyUI.",
        "zh": "后端 {backend} 不支持图生图。请使用本地后端、远程 A1111 或 ComfyUI。",
    },
    "img2img.err.no_image": {
        "en": "Image to image needs an init image: upload one, or switch the mode back to text to image.",
        "zh": "图生图需要初始图像：请上传一张，或切换回文生图。",
    },
    # Generate page
    "img2img.mode": {"en": "Mode", "zh": "模式"},
    "img2img.mode.txt2img": {"en": "Text to image", "zh": "文生图"},
    "img2img.mode.img2img": {"en": "Image to image", "zh": "图生图"},
    "img2img.upload": {"en": "Init image", "zh": "初始图像"},
    "img2img.sent": {"en": "Init image: {name} ({width}x{height})", "zh": "初始图像：{name}（{width}x{height}）"},
    "img2img.clear": {"en": "Remove the init image", "zh": "移除初始图像"},
    "img2img.denoise": {"en": "Denoising strength", "zh": "重绘幅度"},
    "img2img.denoise_help": {
        "en": "0 keeps the image, 1 replaces it. A1111 runs int(strength x steps) + 1 of the steps.",
        "zh": "0 保留原图，1 完全重绘。A1111 实际运行 int(幅度 × 步数) + 1 步。",
    },
    "img2img.resize_mode": {"en": "Resize mode", "zh": "缩放模式"},
    "img2img.resize.just-resize": {"en": "Just resize", "zh": "仅调整大小"},
    "img2img.resize.crop-and-resize": {"en": "Crop and resize", "zh": "裁剪后缩放"},
    "img2img.resize.resize-and-fill": {"en": "Resize and fill", "zh": "缩放后填充空白"},
    "img2img.resize.latent-upscale": {"en": "Just resize (latent upscale)", "zh": "仅调整大小（潜空间放大）"},
    "img2img.exact_steps": {"en": "Do exactly the steps", "zh": "精确执行设定步数"},
    "img2img.exact_steps_help": {
        "en": "A1111's setting: run exactly Steps on a schedule of Steps / strength.",
        "zh": "A1111 的设置：在 步数 / 幅度 的调度上精确运行设定的步数。",
    },
    "img2img.use_size": {"en": "Use the image's size ({width}x{height})", "zh": "使用图像尺寸（{width}x{height}）"},
    "img2img.send": {"en": "Send to img2img", "zh": "发送到图生图"},
}
