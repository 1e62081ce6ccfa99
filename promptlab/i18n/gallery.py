"""Gallery page, CLI and error texts."""

STRINGS = {
    # errors (raised by promptlab.gallery with these keys; the UI shows them translated)
    "gallery.err.no_index": {
        "en": "No gallery index at {path}. Index a folder first: promptlab gallery index DIR",
        "zh": "{path} 处没有图库索引。请先索引文件夹：promptlab gallery index DIR"},
    "gallery.err.schema": {
        "en": "The gallery index {path} has schema version {found}, this promptlab reads {expected}. "
              "Delete the file and index again (your images are not touched).",
        "zh": "图库索引 {path} 的结构版本为 {found}，本版本 promptlab 读取的是 {expected}。请删除该文件后重新索引（不会改动你的图片）。"},
    "gallery.err.db": {
        "en": "Cannot open the gallery index {path} ({detail}). Check the path, or delete the file and index again.",
        "zh": "无法打开图库索引 {path}（{detail}）。请检查路径，或删除该文件后重新索引。"},
    "gallery.err.not_a_folder": {
        "en": "{path} is not a folder. Give folders of images to index.",
        "zh": "{path} 不是文件夹。请指定包含图片的文件夹进行索引。"},
    "gallery.err.unknown_field": {
        "en": "Unknown search field '{field}:' at position {position}. Known fields: {fields}. "
              "Put the text in quotes to search it literally.",
        "zh": "第 {position} 个字符处有未知的搜索字段“{field}:”。可用字段：{fields}。如需按原文搜索，请加引号。"},
    "gallery.err.unclosed_quote": {
        "en": "The quote opened at position {position} is not closed. Add the closing \".",
        "zh": "第 {position} 个字符处的引号没有闭合。请补上结尾的 \"。"},
    "gallery.err.empty_value": {
        "en": "Nothing to search after '{field}:' at position {position}. Write a value, e.g. {field}:value.",
        "zh": "第 {position} 个字符处的“{field}:”后面没有内容。请写上要搜索的值，例如 {field}:值。"},
    "gallery.err.nothing_searchable": {
        "en": "'{term}' at position {position} has no letters or digits to search for. Remove it or put it in a phrase.",
        "zh": "第 {position} 个字符处的“{term}”不含可搜索的文字或数字。请删除它，或放进引号短语中。"},
    "gallery.err.bad_number": {
        "en": "'{field}:{value}' at position {position} is not a number or range. Use e.g. {field}:30, "
              "{field}:>30 or {field}:5..8.",
        "zh": "第 {position} 个字符处的“{field}:{value}”不是数字或范围。请写成例如 {field}:30、{field}:>30 或 {field}:5..8。"},
    "gallery.err.bad_size": {
        "en": "'size:{value}' at position {position} is not a size. Use WIDTHxHEIGHT, e.g. size:1024x1024.",
        "zh": "第 {position} 个字符处的“size:{value}”不是尺寸。请写成 宽x高，例如 size:1024x1024。"},
    "gallery.err.bad_date": {
        "en": "'{field}:{value}' at position {position} is not a date. Use YYYY-MM-DD, YYYY-MM or YYYY.",
        "zh": "第 {position} 个字符处的“{field}:{value}”不是日期。请写成 YYYY-MM-DD、YYYY-MM 或 YYYY。"},
    "gallery.err.bad_sort": {
        "en": "Unknown sort '{sort}'. Use one of: {sorts}.",
        "zh": "未知的排序方式“{sort}”。可用：{sorts}。"},
    "gallery.err.bad_page": {
        "en": "Page size must be 1 to {most} and the offset 0 or more (got {limit} from {offset}).",
        "zh": "每页数量须为 1 到 {most}，偏移量须不小于 0（当前为从 {offset} 起 {limit} 条）。"},
    "gallery.err.not_indexed": {
        "en": "{path} is not in the gallery index. Index its folder first: promptlab gallery index DIR",
        "zh": "{path} 不在图库索引中。请先索引它所在的文件夹：promptlab gallery index DIR"},
    "gallery.err.workers": {
        "en": "A reader process stopped unexpectedly ({detail}). Index again with one worker (--workers 1); "
              "what was read so far is kept.",
        "zh": "一个读取进程意外退出（{detail}）。请用单个进程重新索引（--workers 1）；已读取的部分会保留。"},
    # CLI
    "gallery.cli.scan_done": {
        "en": "{found} images: {added} added, {updated} updated, {moved} moved, {removed} removed, "
              "{unchanged} unchanged, {failed} unreadable, {skipped} skipped ({rate} files/s)",
        "zh": "共 {found} 张图片：新增 {added}，更新 {updated}，移动 {moved}，移除 {removed}，未变 {unchanged}，"
              "无法读取 {failed}，跳过 {skipped}（{rate} 文件/秒）"},
    "gallery.cli.problem": {"en": "warning: {problem}", "zh": "警告：{problem}"},
    "gallery.cli.results": {"en": "{shown} of {total} images", "zh": "共 {total} 张，显示 {shown} 张"},
    "gallery.cli.no_changes": {"en": "The two images have the same parameters.", "zh": "两张图片的参数相同。"},
    # page
    "gallery.page_title": {"en": "Gallery", "zh": "图库"},
    "gallery.intro": {
        "en": "Index folders of generated images (A1111, ComfyUI, NovelAI, any tool) and search them by prompt and parameters.",
        "zh": "索引生成图片的文件夹（A1111、ComfyUI、NovelAI 等任何工具），按提示词和参数搜索。"},
    "gallery.folders": {"en": "Folders to index (one per line)", "zh": "要索引的文件夹（每行一个）"},
    "gallery.index_btn": {"en": "Index", "zh": "开始索引"},
    "gallery.cancel_btn": {"en": "Stop indexing", "zh": "停止索引"},
    "gallery.indexing": {"en": "Indexing: {read} of {to_read} new or changed files read ({found} found)",
                         "zh": "索引中：已读取 {read}/{to_read} 个新增或变更文件（共找到 {found} 个）"},
    "gallery.indexed": {
        "en": "Indexed {found} images: {added} added, {updated} updated, {moved} moved, {removed} removed, "
              "{failed} unreadable, {skipped} skipped.",
        "zh": "已索引 {found} 张图片：新增 {added}，更新 {updated}，移动 {moved}，移除 {removed}，无法读取 {failed}，跳过 {skipped}。"},
    "gallery.problems": {"en": "{n} problems (folders or files skipped)", "zh": "{n} 个问题（跳过的文件夹或文件）"},
    "gallery.query": {"en": "Search", "zh": "搜索"},
    "gallery.query_ph": {"en": "long hair -monochrome model:pony steps:>30 cfg:5..8 tool:comfyui",
                         "zh": "长发 -monochrome model:pony steps:>30 cfg:5..8 tool:comfyui"},
    "gallery.query_help": {
        "en": "Words and \"phrases\" search the prompt; -word excludes; neg:, model:, lora:, seed:, steps:, cfg:, "
              "denoise:, size:WxH, sampler:, tool:, after:, before:, file:. Chinese words also find their tags.",
        "zh": "词语和\"短语\"搜索提示词；-词 排除；可用 neg:、model:、lora:、seed:、steps:、cfg:、denoise:、size:宽x高、"
              "sampler:、tool:、after:、before:、file:。中文词也会按对应的标签搜索。"},
    "gallery.filter_model": {"en": "Model", "zh": "模型"},
    "gallery.filter_lora": {"en": "LoRA", "zh": "LoRA"},
    "gallery.filter_tool": {"en": "Tool", "zh": "工具"},
    "gallery.filter_after": {"en": "From date", "zh": "起始日期"},
    "gallery.any": {"en": "(any)", "zh": "（全部）"},
    "gallery.sort": {"en": "Sort", "zh": "排序"},
    "gallery.sort.newest": {"en": "Newest", "zh": "最新"},
    "gallery.sort.oldest": {"en": "Oldest", "zh": "最早"},
    "gallery.sort.seed": {"en": "Seed", "zh": "种子"},
    "gallery.sort.steps": {"en": "Steps", "zh": "步数"},
    "gallery.sort.path": {"en": "File name", "zh": "文件名"},
    "gallery.page": {"en": "Page", "zh": "页码"},
    "gallery.count": {"en": "{total} images, page {page} of {pages}", "zh": "共 {total} 张图片，第 {page}/{pages} 页"},
    "gallery.empty": {"en": "No images match. Index a folder above, or change the search.",
                      "zh": "没有匹配的图片。请先在上方索引文件夹，或修改搜索条件。"},
    "gallery.no_thumb": {"en": "(cannot be shown)", "zh": "（无法显示）"},
    "gallery.select": {"en": "Select", "zh": "选择"},
    "gallery.details": {"en": "Details", "zh": "详情"},
    "gallery.selected": {"en": "{n} selected", "zh": "已选 {n} 张"},
    "gallery.diff_btn": {"en": "Diff the two selected", "zh": "比较选中的两张"},
    "gallery.diff_need_two": {"en": "Select exactly two images to diff them.", "zh": "请恰好选择两张图片进行比较。"},
    "gallery.diff_title": {"en": "Differences", "zh": "差异"},
    "gallery.diff_field": {"en": "Field", "zh": "字段"},
    "gallery.diff_same": {"en": "{n} other fields are the same.", "zh": "其余 {n} 个字段相同。"},
    "gallery.diff_only_a": {"en": "Only in A", "zh": "仅 A 有"},
    "gallery.diff_only_b": {"en": "Only in B", "zh": "仅 B 有"},
    "gallery.diff_prompt": {"en": "Prompt tags", "zh": "提示词标签"},
    "gallery.diff_negative": {"en": "Negative tags", "zh": "反向提示词标签"},
    "gallery.detail_title": {"en": "Image details", "zh": "图片详情"},
    "gallery.prompt": {"en": "Prompt", "zh": "提示词"},
    "gallery.negative": {"en": "Negative prompt", "zh": "反向提示词"},
    "gallery.parameters": {"en": "Parameters", "zh": "参数"},
    "gallery.read_error": {"en": "This file could not be read: {error}", "zh": "无法读取此文件：{error}"},
    "gallery.send_build": {"en": "Send to Build", "zh": "发送到构建"},
    "gallery.send_generate": {"en": "Send to Generate", "zh": "发送到生成"},
    "gallery.send_img2img": {"en": "Send to img2img", "zh": "发送到图生图"},
    "gallery.send_replay": {"en": "Send to Replay", "zh": "发送到复现"},
    "gallery.sent": {"en": "Sent. Open the {page} page.", "zh": "已发送。请打开“{page}”页面。"},
    "gallery.replay_missing": {"en": "Replay is not available in this version.", "zh": "此版本中尚无复现功能。"},
    "gallery.stats": {"en": "{images} images indexed ({with_metadata} with metadata)",
                      "zh": "已索引 {images} 张图片（{with_metadata} 张含元数据）"},
}
