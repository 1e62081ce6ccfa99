"""UI text for running jobs on a Ray cluster."""

STRINGS = {
    "cluster.use_ray": {"en": "Run on Ray", "zh": "在 Ray 集群上运行"},
    "cluster.use_ray_help": {
        "en": "Caption on Ray Data (pip install 'promptlab[cluster]'): the same caption files as a local run, "
              "plus a Parquet manifest of tags and scores. Pays off on a cluster; on one machine a local run is "
              "usually faster.",
        "zh": "在 Ray Data 上批量打标（需 pip install 'promptlab[cluster]'）：生成的标注文件与本地运行完全相同，"
              "另写一份包含标签和置信度的 Parquet 清单。适合集群；单机上通常本地运行更快。",
    },
    "cluster.address": {"en": "Ray address", "zh": "Ray 地址"},
    "cluster.address_help": {
        "en": "Empty: start a local Ray on this machine. 'auto': the cluster this machine joined. "
              "ray://HOST:10001 or HOST:6379: a remote head node.",
        "zh": "留空：在本机启动 Ray。auto：本机已加入的集群。ray://主机:10001 或 主机:6379：远程头节点。",
    },
    "cluster.progress": {
        "en": "{done} / {total} images · {rate:.1f} images/s · about {eta} left",
        "zh": "{done} / {total} 张 · {rate:.1f} 张/秒 · 约剩 {eta}",
    },
    "cluster.eta_unknown": {"en": "?", "zh": "未知"},
    "backends.kind.ray": {"en": "Ray cluster (address: empty = local, auto, ray://HOST:10001)",
                          "zh": "Ray 集群（地址：留空 = 本机，auto，ray://主机:10001）"},
    "backends.state.ray": {"en": "reachable — one actor per GPU (or CPU) starts on first use",
                           "zh": "可连接 —— 首次使用时每个 GPU（或 CPU）启动一个执行单元"},
    "cluster.manifest": {"en": "Manifest: {path}", "zh": "清单文件：{path}"},
}
