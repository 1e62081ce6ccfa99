STRINGS = {
    "common.app_title": {"en": "promptlab", "zh": "promptlab"},
    "common.language": {"en": "Language", "zh": "语言"},
    # Streamlit's own widget texts that can be set (placeholder=); see docs/app.md for those that cannot
    "common.choose_one": {"en": "Choose an option", "zh": "请选择"},
    "common.choose_many": {"en": "Choose options", "zh": "请选择（可多选）"},
}
