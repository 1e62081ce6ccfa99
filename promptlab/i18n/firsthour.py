"""UI text of a user's first hour: tagger downloads (progress, mirror, offline), and the notes and details that
library code writes in English (prompt conversion notes, unreadable uploads), rendered here by key + values."""

STRINGS = {
    # -- tagger downloads (promptlab/interrogate/fetch.py) ------------------------------------------------
    "firsthour.tagger.mirror": {
        "en": "Downloads come from {endpoint}. Set HF_ENDPOINT before starting promptlab to use a mirror "
              "(e.g. https://hf-mirror.com).",
        "zh": "下载来源：{endpoint}。如需使用镜像站，请在启动 promptlab 前设置 HF_ENDPOINT（例如 https://hf-mirror.com）。",
    },
    "firsthour.tagger.downloading": {"en": "Downloading {name}…", "zh": "正在下载 {name}……"},
    "firsthour.tagger.download_failed": {
        "en": "Could not download tagger {repo} from {endpoint}. Offline? Download {files} from {url} on another "
              "machine and put them in {folder}, or set HF_ENDPOINT to a mirror you can reach (e.g. {mirror}) and "
              "try again.",
        "zh": "无法从 {endpoint} 下载反推模型 {repo}。如果无法联网：请在另一台电脑上从 {url} 下载 {files}，放到 "
              "{folder} 文件夹中；或将 HF_ENDPOINT 设为可访问的镜像站（例如 {mirror}）后重试。",
    },
}
